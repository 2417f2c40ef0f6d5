"""The review queue's invariants: one item per target, reopened not duplicated,
decided once, and new users' first posts held in it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.errors import Conflict, Invalid
from forum.extensions import db
from forum.models import PostState
from forum.permissions import can
from moderation import services
from moderation.models import ReviewItem
from tests import factories

from .helpers import PRIVILEGES, audit_rows, item_for, moderator


@pytest.fixture
def post(ctx):
    return factories.thread().question


def _items() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(ReviewItem)).scalar_one()


def test_a_decided_target_flagged_again_is_reopened_not_duplicated(post):
    services.flag_post(post, by=factories.user(), reason="rude")
    item = item_for(post)
    services.perform(item, "dismiss", by=moderator(), reason="Fine")
    services.flag_post(post, by=factories.user(), reason="spam")
    db.session.refresh(item)
    assert _items() == 1
    assert (item.status.value, item.times_reopened, item.score, item.handled_by_id) == ("pending", 1, 1, None)


def test_the_score_sums_pending_flag_weights_only(post):
    services.flag_post(post, by=factories.user(), reason="rude")
    services.perform(item_for(post), "dismiss", by=moderator())
    services.flag_post(post, by=factories.user(), reason="rude")
    services.flag_post(post, by=factories.user(), reason="spam")
    assert item_for(post).score == 2


@pytest.mark.parametrize("second", ["approve", "reject", "dismiss", "hide"])
def test_an_action_on_a_decided_item_is_refused_without_a_second_audit_row(post, second):
    services.flag_post(post, by=factories.user(), reason="rude")
    item = item_for(post)
    services.perform(item, "hide", by=moderator(), reason="Abusive")
    before = len(audit_rows())
    with pytest.raises(Conflict):
        services.perform(item, second, by=moderator(), reason="again")
    assert len(audit_rows()) == before


def test_an_unknown_action_is_invalid(post):
    services.flag_post(post, by=factories.user(), reason="rude")
    with pytest.raises(Invalid):
        services.perform(item_for(post), "explode", by=moderator())


def test_claiming_assigns_the_item_and_someone_elses_claim_stands(post):
    services.flag_post(post, by=factories.user(), reason="rude")
    first, second = moderator(), moderator()
    item = services.claim(item_for(post), by=first)
    assert item.claimed_by_id == first.id
    with pytest.raises(Conflict):
        services.claim(item, by=second)


def test_bulk_reject_clears_many_items_and_skips_decided_ones(ctx):
    posts = [factories.thread().question for _ in range(4)]
    for p in posts:
        services.flag_post(p, by=factories.user(), reason="spam")
    items = [item_for(p) for p in posts]
    mod = moderator()
    services.perform(items[0], "dismiss", by=mod)
    done = services.bulk_perform(items, "reject", by=mod, reason="Spam wave")
    assert [i.id for i in done] == [i.id for i in items[1:]]
    assert services.pending_count() == 0
    assert len(audit_rows("reject")) == 3


@pytest.fixture
def review_app(make_app):
    privileges = dict(PRIVILEGES, post_without_review=10)
    app = make_app(PRIVILEGES=privileges, NEW_USER_REVIEW_POSTS=2)
    with app.app_context():
        yield app


def test_a_new_users_first_posts_are_queued_until_approved(review_app):
    newbie = factories.user()
    thread = factories.thread(newbie)
    question = thread.question
    assert question.state == PostState.QUEUED and thread.state == PostState.QUEUED
    item = item_for(question)
    assert (item.kind.value, item.status.value) == ("queued", "pending")
    assert thread.category.thread_count == 0
    services.perform(item, "approve", by=moderator(), reason="")
    db.session.refresh(thread)
    assert thread.state == PostState.VISIBLE and thread.category.thread_count == 1


def test_a_queued_answer_is_not_counted_until_approved(review_app):
    thread = factories.thread(moderator())
    answer = factories.answer(thread, factories.user())
    db.session.refresh(thread)
    assert answer.state == PostState.QUEUED and thread.answer_count == 0
    services.perform(item_for(answer), "approve", by=moderator())
    db.session.refresh(thread)
    assert thread.answer_count == 1


def test_a_queued_post_is_seen_by_its_author_and_moderators_only(review_app):
    question = factories.thread(factories.user()).question
    assert can(question.author, "post.read", question)
    assert can(moderator(), "post.read", question)
    assert not can(factories.user(), "post.read", question)
    assert not can(None, "post.read", question)


def test_users_with_enough_visible_posts_skip_the_queue(review_app):
    author = factories.user()
    mod = moderator()
    for n in range(2):
        question = factories.thread(author, body=f"How do I make part {n} work again?").question
        services.perform(item_for(question), "approve", by=mod)
    assert factories.thread(author, body="And the last part, how?").question.state == PostState.VISIBLE


def test_queue_post_holds_a_visible_post_for_review(post):
    item = services.queue_post(post, reason="Spam check: 3 phrases")
    db.session.refresh(post)
    assert post.state == PostState.QUEUED and item.kind.value == "queued"
    assert [r.actor_id for r in audit_rows("queue")] == [None]
