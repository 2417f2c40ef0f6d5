"""Flags: who may raise them, what they weigh, and what crossing the thresholds does."""
from __future__ import annotations

import pytest

from forum.errors import Forbidden, Invalid
from forum.extensions import db
from forum.models import PostState, Role
from forum.permissions import can
from moderation import services
from moderation.models import Flag, FlagStatus
from tests import factories

from .helpers import PRIVILEGES, audit_rows, item_for, moderator


@pytest.fixture
def post(ctx):
    return factories.thread().question


def test_a_flag_puts_the_post_in_the_queue_scored_by_its_weight(post):
    flag = services.flag_post(post, by=factories.user(), reason="spam")
    item = item_for(post)
    assert (flag.weight, item.kind.value, item.status.value, item.score) == (1, "flagged", "pending", 1)
    assert services.pending_count() == 1
    assert [a.action for a in audit_rows()] == ["flag"]


def test_a_second_flag_adds_to_the_same_item(post):
    services.flag_post(post, by=factories.user(), reason="spam")
    services.flag_post(post, by=factories.user(), reason="rude")
    assert item_for(post).score == 2
    assert services.pending_count() == 1


def test_flagging_the_same_post_twice_is_refused_cleanly(post):
    alice = factories.user()
    services.flag_post(post, by=alice, reason="spam")
    with pytest.raises(Invalid) as exc:
        services.flag_post(post, by=alice, reason="rude")
    assert "already flagged" in exc.value.errors["reason"]
    assert len(audit_rows("flag")) == 1


def test_own_posts_cannot_be_flagged(post):
    with pytest.raises(Forbidden):
        services.flag_post(post, by=post.author, reason="spam")


def test_flagging_needs_the_privilege(make_app):
    app = make_app(PRIVILEGES={"flag": 15})
    with app.app_context():
        post = factories.thread().question
        with pytest.raises(Forbidden, match="15 reputation"):
            services.flag_post(post, by=factories.user(), reason="spam")


@pytest.mark.parametrize(("reason", "extra", "field"), [
    ("nonsense", {}, "reason"),
    ("needs_moderator", {}, "note"),
    ("duplicate", {}, "duplicate_of"),
    ("duplicate", {"duplicate_of": "abc"}, "duplicate_of"),
    ("rude", {"note": "x" * 501}, "note"),
])
def test_incomplete_flags_are_refused_with_a_message(post, reason, extra, field):
    with pytest.raises(Invalid) as exc:
        services.flag_post(post, by=factories.user(), reason=reason, **extra)
    assert field in exc.value.errors
    assert db.session.query(Flag).count() == 0


def test_a_duplicate_flag_links_the_original_thread(post):
    original = factories.thread()
    flag = services.flag_post(post, by=factories.user(), reason="duplicate", duplicate_of=str(original.id))
    assert flag.duplicate_of_id == original.id


def test_the_daily_flag_cap_refuses_the_next_flag(make_app):
    app = make_app(PRIVILEGES=PRIVILEGES, FLAGS_PER_DAY=2)
    with app.app_context():
        flagger = factories.user()
        posts = [factories.thread().question for _ in range(3)]
        for p in posts[:2]:
            services.flag_post(p, by=flagger, reason="off_topic")
        with pytest.raises(Invalid, match="2 flags for today"):
            services.flag_post(posts[2], by=flagger, reason="off_topic")


def test_flags_from_trusted_people_and_moderators_weigh_more(make_app):
    app = make_app(PRIVILEGES={"flag": 1, "trusted_flags": 500, "post_without_review": 1})
    with app.app_context():
        post = factories.thread().question
        trusted = factories.user()
        trusted.reputation = 600
        db.session.commit()
        assert services.flag_post(post, by=factories.user(), reason="spam").weight == 1
        assert services.flag_post(post, by=trusted, reason="spam").weight == 2
        assert item_for(post).score == 3


def test_crossing_the_hide_score_hides_the_post_and_audits_the_system(make_app):
    app = make_app(PRIVILEGES=PRIVILEGES, HIDE_FLAG_SCORE=3)
    with app.app_context():
        post = factories.thread().question
        for _ in range(2):
            services.flag_post(post, by=factories.user(), reason="rude")
        assert post.state == PostState.VISIBLE
        services.flag_post(post, by=factories.user(), reason="rude")
        db.session.refresh(post)
        assert post.state == PostState.HIDDEN and post.thread.state == PostState.HIDDEN
        (row,) = audit_rows("auto_hide")
        assert row.actor_id is None and row.after == {"state": "hidden"}
        assert not can(factories.user(), "post.read", post)
        assert can(post.author, "post.read", post)


def test_a_moderators_flag_alone_hides_the_post(post):
    services.flag_post(post, by=moderator(), reason="spam")
    assert post.state == PostState.HIDDEN


def test_spam_flags_from_enough_people_silence_a_new_user(make_app):
    app = make_app(PRIVILEGES={"flag": 1, "post_without_review": 10}, SILENCE_AFTER_SPAM_FLAGGERS=3,
                   NEW_USER_REVIEW_POSTS=0)
    with app.app_context():
        spammer = factories.user()
        posts = [factories.thread(spammer, body=f"Buy my product number {n} today").question for n in range(2)]
        flaggers = [factories.user() for _ in range(3)]
        for i, flagger in enumerate(flaggers):
            flagger.reputation = 50
        db.session.commit()
        services.flag_post(posts[0], by=flaggers[0], reason="spam")
        services.flag_post(posts[1], by=flaggers[1], reason="spam")
        assert not spammer.is_silenced
        services.flag_post(posts[1], by=flaggers[2], reason="spam")
        db.session.refresh(spammer)
        assert spammer.is_silenced
        assert "spam" in spammer.suspension_reason
        assert [r.actor_id for r in audit_rows("auto_silence")] == [None]
        assert not can(spammer, "thread.create")
        assert can(spammer, "post.read", factories.thread().question)


def test_an_established_user_is_not_silenced_by_spam_flags(make_app):
    app = make_app(PRIVILEGES={"flag": 1, "post_without_review": 10}, SILENCE_AFTER_SPAM_FLAGGERS=2)
    with app.app_context():
        author = factories.user()
        author.reputation = 100
        db.session.commit()
        post = factories.thread(author).question
        for _ in range(2):
            flagger = factories.user()
            flagger.reputation = 50
            db.session.commit()
            services.flag_post(post, by=flagger, reason="spam")
        assert not author.is_silenced


def test_the_flagger_learns_the_outcome(post):
    flag = services.flag_post(post, by=factories.user(), reason="rude")
    services.perform(item_for(post), "hide", by=moderator(), reason="Abusive")
    db.session.refresh(flag)
    assert flag.status == FlagStatus.AGREED and flag.handled_by_id is not None


def test_dismissing_tells_the_flagger_no_violation_and_shows_the_post_again(post):
    flag = services.flag_post(post, by=moderator(), reason="rude")
    assert post.state == PostState.HIDDEN
    services.perform(item_for(post), "dismiss", by=moderator(), reason="Fine")
    db.session.refresh(flag)
    db.session.refresh(post)
    assert flag.status == FlagStatus.DISAGREED
    assert post.state == PostState.VISIBLE
