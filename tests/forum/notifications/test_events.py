"""Who hears about what: one test per kind of event, through the real services, with
the e-mail that follows read from the test outbox."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import events
from forum.db import clock_at, utcnow, write_transaction
from forum.escalation import services as escalation
from forum.extensions import db
from forum.jobs import worker
from forum.models import Role
from forum.notifications import mail, text
from forum.notifications.models import Notification
from forum.threads import services as threads
from moderation import services as moderation
from moderation.models import ReviewItem
from moderation.sanctions import suspend_user
from tests import factories as f

H = timedelta(hours=1)


@pytest.fixture
def nctx(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0)
    with app.app_context():
        yield app


def notes(user, kind=None) -> list[Notification]:
    q = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        q = q.where(Notification.kind == kind)
    return list(db.session.execute(q).scalars())


def kinds_of(user) -> list[str]:
    """What ``user`` was told, badges (tested on their own) left out."""
    return [n.kind for n in notes(user) if n.kind != "badge"]


def everyone() -> list[Notification]:
    return list(db.session.execute(sa.select(Notification).order_by(Notification.id)).scalars())


def assert_nobody_hears_of_their_own_action() -> None:
    for n in everyone():
        assert n.actor_id != n.user_id, (n.kind, n.user_id)


def test_an_answer_reaches_the_asker_and_every_watcher_once_with_a_link_to_the_post(nctx):
    alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
    thread = f.thread(alice)
    f.answer(thread, bob)
    answer = f.answer(thread, carol)
    # Alice asked, Bob answered before: both watch; Carol hears nothing of her own answer.
    (to_alice,) = [n for n in notes(alice, "answer") if n.post_id == answer.id]
    (to_bob,) = notes(bob, "answer")
    assert to_bob.post_id == answer.id and to_bob.actor_id == carol.id
    assert notes(carol, "answer") == []
    assert text.link(to_alice) == f"/t/{thread.id}#post-{answer.id}"
    assert text.describe(to_alice) == f"carol answered “{thread.title}”"
    assert_nobody_hears_of_their_own_action()
    worker.drain()
    assert sorted(m.to[0] for m in mail.outbox()) == ["alice@example.com", "bob@example.com"]
    for message in mail.outbox():
        assert f"/t/{thread.id}#post-{answer.id}" in message.body


def test_accepting_tells_the_answerer_not_the_asker(nctx):
    alice, bob = f.user("alice"), f.user("bob")
    thread = f.thread(alice)
    answer = f.answer(thread, bob)
    threads.accept_answer(answer, by=alice)
    (n,) = notes(bob, "accepted")
    assert (n.actor_id, n.post_id, text.link(n)) == (alice.id, answer.id, f"/t/{thread.id}#post-{answer.id}")
    assert "accepted" not in kinds_of(alice)
    # Accepting one's own answer tells nobody.
    own = f.answer(f.thread(alice), alice)
    threads.accept_answer(own, by=alice)
    assert [n.post_id for n in notes(alice, "accepted")] == []
    assert_nobody_hears_of_their_own_action()


def test_a_queued_post_tells_its_author_when_approved_and_then_reaches_the_watchers(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0, NEW_USER_REVIEW_POSTS=1)
    with app.app_context():
        mod = f.user("mia", role=Role.MODERATOR)
        alice = f.user("alice", role=Role.MODERATOR)  # not held for review herself
        thread = f.thread(alice)
        newbie = f.user("newbie")
        answer = f.answer(thread, newbie, body="Have you tried the billing settings, @alice?")
        assert kinds_of(alice) == [] and kinds_of(newbie) == []
        item = db.session.execute(sa.select(ReviewItem).where(ReviewItem.target_id == answer.id)).scalar_one()
        moderation.perform(item, "approve", by=mod)
        (approved,) = notes(newbie, "post_approved")
        assert approved.actor_id == mod.id and text.link(approved) == f"/t/{thread.id}#post-{answer.id}"
        # Now it is visible: the asker hears of the answer, and of the mention in it.
        assert kinds_of(alice) == ["answer", "mention"]
        assert all(n.actor_id == newbie.id and n.post_id == answer.id for n in notes(alice))


def test_a_post_held_by_the_spam_check_is_announced_only_when_approved(nctx):
    mod = f.user("mia", role=Role.MODERATOR)
    alice = f.user("alice")
    thread = f.thread(alice)
    spam = f.answer(thread, f.user("spammer"), body="FREE MONEY at the casino, buy now, click here to claim")
    assert kinds_of(alice) == []
    worker.drain()
    assert mail.outbox() == []
    item = db.session.execute(sa.select(ReviewItem).where(ReviewItem.target_id == spam.id)).scalar_one()
    moderation.perform(item, "approve", by=mod)
    assert [(n.kind, n.post_id) for n in notes(alice)] == [("answer", spam.id)]


def test_a_post_hidden_after_flags_tells_its_author_but_not_the_flaggers(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0, HIDE_FLAG_SCORE=2,
                   PRIVILEGES={"vote_up": 1, "vote_down": 1, "flag": 1})
    with app.app_context():
        alice, bob = f.user("alice"), f.user("bob")
        flaggers = [f.user("fred"), f.user("gina")]
        thread = f.thread(alice)
        answer = f.answer(thread, bob)
        for who in flaggers:
            moderation.flag_post(answer, by=who, reason="rude")
        (hidden,) = notes(bob, "post_hidden")
        assert hidden.actor_id is None and text.link(hidden) == f"/t/{thread.id}#post-{answer.id}"
        assert "hidden after flags" in text.describe(hidden)
        assert all(kinds_of(who) == [] for who in flaggers)


def test_a_rejected_post_tells_its_author_the_moderators_reason(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0, NEW_USER_REVIEW_POSTS=1)
    with app.app_context():
        mod = f.user("mia", role=Role.MODERATOR)
        thread = f.thread(f.user("alice", role=Role.MODERATOR))
        answer = f.answer(thread, f.user("newbie"))
        item = db.session.execute(sa.select(ReviewItem).where(ReviewItem.target_id == answer.id)).scalar_one()
        moderation.perform(item, "reject", by=mod, reason="Please don't post links to warez.")
        (n,) = notes(answer.author, "post_rejected")
        assert n.actor_id == mod.id and n.data["reason"] == "Please don't post links to warez."
        assert "Reason: Please don't post links to warez." in text.describe(n)
        worker.drain()
        (message,) = mail.outbox()
        assert message.to == ["newbie@example.com"] and "warez" in message.body
        # A moderation notice can't be unsubscribed from one kind at a time.
        assert mail.check_unsubscribe(message.extra_headers["List-Unsubscribe"].split("/unsubscribe/")[1][:-1])[1] == "*"


def test_a_suspension_tells_the_user_with_the_reason_and_its_end(nctx):
    mod, bob = f.user("mia", role=Role.MODERATOR), f.user("bob")
    suspend_user(bob, by=mod, duration="7d", reason="Repeated insults.")
    (n,) = notes(bob, "sanction")
    assert n.actor_id == mod.id and n.data["reason"] == "Repeated insults." and n.data["kind"] == "suspend"
    assert "suspended until" in text.describe(n) and text.link(n) == "/u/bob"
    assert notes(mod) == []


def test_badges_and_privileges_reach_their_earner(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0,
                   PRIVILEGES={"vote_up": 1, "vote_down": 1, "flag": 1, "post_links": 5, "edit_others": 500})
    with app.app_context():
        alice, bob = f.user("alice"), f.user("bob")
        answer = f.answer(f.thread(alice), bob)
        (badge,) = notes(bob, "badge")
        assert badge.data["key"] == "first_answer" and text.describe(badge) == "You earned the Helper badge"
        threads.cast_vote(answer, by=alice, value=1)
        privileges = [n for n in notes(bob, "badge") if n.data.get("privilege")]
        keys = {n.data["key"] for n in privileges}
        # An upvote moves Bob from 1 to 11: he hears of what he just reached, not of what he had.
        assert "post_links" in keys and not keys & {"vote_up", "vote_down", "flag", "edit_others"}
        assert "privilege" in text.describe(privileges[0]) and text.link(privileges[0]) == "/u/bob"
        assert [n for n in notes(alice, "badge") if n.data.get("privilege")] == []


def test_escalations_tell_the_asker_unless_the_asker_did_it(nctx):
    alice, sam = f.user("alice"), f.staff("sam")
    by_staff = f.thread(alice)
    escalation.escalate(by_staff, by=sam)
    (n,) = notes(alice, "escalation")
    assert n.actor_id == sam.id and n.data["status"] == "escalated" and n.data["trigger"] == "staff"
    assert text.link(n) == f"/t/{by_staff.id}" and "went to the support team" in text.describe(n)
    with clock_at(utcnow() - 25 * H):  # an asker may ask for help after a day without answers
        by_herself = f.thread(alice)
    escalation.escalate(by_herself, by=alice)
    assert [n.thread_id for n in notes(alice, "escalation")] == [by_staff.id]
    assert_nobody_hears_of_their_own_action()


def test_the_sweep_sends_the_last_call_to_asker_and_watchers_then_escalates(nctx):
    alice, bob = f.user("alice"), f.user("bob")
    t0 = utcnow() - 60 * H
    with clock_at(t0):
        thread = f.thread(alice)
    f.answer(thread, bob)
    with clock_at(t0 + 47 * H):
        escalation.sweep()
    (call,) = notes(alice, "last_call")
    assert [n.thread_id for n in notes(bob, "last_call")] == [thread.id]
    assert call.actor_id is None and "support team soon" in text.describe(call)
    with clock_at(t0 + 60 * H):
        assert escalation.sweep()["escalated"] == 1
    (n,) = notes(alice, "escalation")
    assert n.actor_id is None and n.data["trigger"] == "auto"
    # Only the asker hears of the ticket; Bob only watched.
    assert notes(bob, "escalation") == []


def test_a_ticket_status_change_tells_the_asker_and_links_the_support_reply(nctx):
    alice, sam = f.user("alice"), f.staff("sam")
    thread = f.thread(alice)
    esc = escalation.escalate(thread, by=sam)
    reply = f.answer(thread, sam, body="Support here: the fix ships on Monday.")
    with write_transaction():
        events.emit(events.TicketStatusChanged(escalation_id=esc.id, thread_id=thread.id, asker_id=alice.id,
                                               old="open", new="solved", reply_post_id=reply.id))
    (n,) = [n for n in notes(alice, "escalation") if n.data["status"] == "solved"]
    assert text.link(n) == f"/t/{thread.id}#post-{reply.id}" and "solved" in text.describe(n)


def test_a_promoted_answer_tells_its_author_with_a_link_to_the_article(nctx):
    from forum.kb import services as kb

    alice, bob, sam = f.user("alice"), f.user("bob"), f.staff("sam")
    answer = f.answer(f.thread(alice), bob)
    article = kb.promote(answer, by=sam)
    assert notes(bob, "kb_promoted") == []  # a draft tells nobody
    kb.publish(article, by=sam)
    (n,) = notes(bob, "kb_promoted")
    assert n.actor_id == sam.id and n.post_id == answer.id and text.link(n) == f"/kb/{article.slug}"


def test_a_dead_webhook_tells_the_admins_only(nctx):
    root, other = f.user("rita", role=Role.ADMIN), f.user("ops", role=Role.ADMIN)
    mod, member = f.user("mia", role=Role.MODERATOR), f.user("bob")
    with write_transaction():
        events.emit(events.WebhookDead(message_id="msg_1", endpoint_id=7, escalation_id=None))
    for admin in (root, other):
        (n,) = notes(admin, "queue")
        assert n.data["message_id"] == "msg_1" and text.link(n) == "/admin/webhooks/dead"
    assert notes(mod) == [] and notes(member) == []


def test_a_question_reaches_the_watchers_of_its_category_and_tags(nctx):
    from forum.notifications import services
    from forum.notifications.models import Level, WatchKind

    alice, cat_fan, tag_fan, muter = f.user("alice"), f.user("cato"), f.user("tagg"), f.user("mute")
    category = f.category("Billing")
    first = f.thread(alice, category_obj=category, tags=["invoices"])
    tag_id = first.tags[0].id
    services.set_watch(cat_fan, WatchKind.CATEGORY, category.id, Level.WATCHING)
    services.set_watch(tag_fan, WatchKind.TAG, tag_id, Level.WATCHING)
    services.set_watch(muter, WatchKind.CATEGORY, category.id, Level.MUTED)
    services.set_watch(muter, WatchKind.TAG, tag_id, Level.WATCHING)
    services.set_watch(alice, WatchKind.CATEGORY, category.id, Level.WATCHING)
    question = f.thread(alice, category_obj=category, tags=["invoices"])
    for fan in (cat_fan, tag_fan):
        (n,) = notes(fan, "new_thread")
        assert n.thread_id == question.id and text.link(n) == f"/t/{question.id}#post-{n.post_id}"
    assert notes(muter) == [] and notes(alice) == []
