"""@mentions: existing people only, outside code, never the author, only readers of
the post, once per post however often it is edited, few at a time from new members."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.db import write_transaction
from forum.extensions import db
from forum.markup import render
from forum.models import PostState, Role
from forum.notifications import text
from forum.notifications.models import Notification
from forum.threads import moderation as content
from forum.threads import services as threads
from tests import factories as f


@pytest.fixture
def nctx(make_app):
    # Everyone skips review here (post_without_review at 1), so no mention limit applies.
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0,
                   PRIVILEGES={"vote_up": 1, "vote_down": 1, "post_without_review": 1})
    with app.app_context():
        yield app


def mentioned(user) -> list[int]:
    return list(db.session.execute(sa.select(Notification.post_id).where(
        Notification.user_id == user.id, Notification.kind == "mention").order_by(Notification.id)).scalars())


def test_a_mention_tells_existing_people_once_and_links_the_post(nctx):
    alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
    thread = f.thread(alice)
    post = f.answer(thread, bob, body="@Carol and @carol, see also @nobody_here and mail me at bob@carol.com")
    assert mentioned(carol) == [post.id]
    (n,) = db.session.execute(sa.select(Notification).where(Notification.kind == "mention")).scalars()
    assert n.actor_id == bob.id and text.link(n) == f"/t/{thread.id}#post-{post.id}"
    assert text.describe(n) == f"bob mentioned you in “{thread.title}”"
    assert 'href="/u/carol"' in post.body_html and "/u/nobody_here" not in post.body_html


def test_mentions_in_code_and_of_oneself_tell_nobody(nctx):
    alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
    thread = f.thread(alice)
    f.answer(thread, bob, body="Run `notify @carol` or\n\n```\n@carol\n```\n\nand ask me, @bob.")
    assert mentioned(carol) == [] and mentioned(bob) == []
    assert "/u/carol" not in render("`@carol`")


def test_an_edit_tells_only_the_newly_mentioned(nctx):
    alice, bob, carol, dan = f.user("alice"), f.user("bob"), f.user("carol"), f.user("dan")
    post = f.answer(f.thread(alice), bob, body="Asking @carol about this one.")
    threads.edit_post(post, by=bob, body="Asking @carol about this one, and @dan too.")
    threads.edit_post(post, by=bob, body="Asking @carol and @dan again, hello.")
    assert mentioned(carol) == [post.id] and mentioned(dan) == [post.id]


def test_only_people_who_can_read_the_post_hear_of_it(nctx):
    alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
    mia = f.user("mia", role=Role.MODERATOR)
    thread = f.thread(alice)
    post = f.answer(thread, bob, body="Nothing to see yet.")
    with write_transaction():
        content.set_post_state(post, PostState.HIDDEN, by=mia)
    # A hidden post is edited by a moderator: only readers of hidden posts are told.
    with write_transaction():
        content.revise_post(post, by=mia, body="Hidden for now, @carol and @alice, ask @mia.")
    assert mentioned(carol) == [] and mentioned(alice) == [] and mentioned(mia) == []
    # Answers in a thread whose question is hidden reach moderators, not members.
    with write_transaction():
        content.set_post_state(thread.question, PostState.HIDDEN, by=mia)
    sam = f.staff("sam")
    visible = f.answer(thread, sam, body="Pinging @carol and @mia here.")
    assert mentioned(carol) == [] and mentioned(mia) == [visible.id]


def test_new_members_mention_only_a_few_people_per_post_edits_included(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0, NEW_USER_MAX_MENTIONS=2,
                   PRIVILEGES={"vote_up": 1, "vote_down": 1, "post_links": 1, "post_without_review": 1000})
    with app.app_context():
        people = [f.user(f"person{i}") for i in range(5)]
        alice = f.user("alice", role=Role.MODERATOR)  # her thread is not held for review
        thread = f.thread(alice)
        newbie = f.user("newbie")
        post = f.answer(thread, newbie, body=" ".join(f"@{p.username}" for p in people) + " hello all")
        assert [bool(mentioned(p)) for p in people] == [True, True, False, False, False]
        threads.edit_post(post, by=newbie, body=" ".join(f"@{p.username}" for p in reversed(people)) + " again")
        assert sum(bool(mentioned(p)) for p in people) == 2
        # A trusted member is not limited.
        post2 = f.answer(thread, alice, body=" ".join(f"@{p.username}" for p in people) + " from a moderator")
        assert all(post2.id in mentioned(p) for p in people)
