"""Spam checks: what scores, what is held for review, and who is never scored."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.db import utcnow
from forum.errors import Invalid
from forum.extensions import db
from forum.models import Post, PostState
from forum.threads import services as threads
from moderation import spam
from moderation.models import ReviewItem
from tests import factories

#: New accounts may post links (up to the forum's cap) but not skip review.
NEW = {"vote_up": 1, "vote_down": 1, "post_links": 1000, "post_without_review": 1000}


@pytest.fixture
def app(make_app):
    return make_app(PRIVILEGES=dict(NEW), NEW_USER_MAX_LINKS=5)


@pytest.fixture
def world(ctx):
    return factories.thread(factories.staff("sam")), factories.user("newbie")


def _item(post):
    return db.session.execute(sa.select(ReviewItem).where(
        ReviewItem.target_type == "post", ReviewItem.target_id == post.id)).scalar_one_or_none()


def test_an_ordinary_answer_goes_live_without_a_queue_item(world):
    thread, newbie = world
    post = threads.post_answer(thread, author=newbie, body="Restart the router, then renew the lease.")
    assert post.state == PostState.VISIBLE and _item(post) is None


def test_a_new_users_answer_full_of_spam_phrases_is_held_for_review(world):
    thread, newbie = world
    post = threads.post_answer(thread, author=newbie, body="Free money! Visit our casino and buy now, friends.")
    db.session.refresh(post)
    assert post.state == PostState.QUEUED
    item = _item(post)
    assert item is not None and item.kind.value == "queued"
    assert "known spam phrases" in item.reason and "casino" in item.reason


def test_links_and_capitals_add_up(world):
    thread, newbie = world
    body = "CHECK THIS OUT NOW [one](https://a.example) [two](https://b.example)"
    verdict = spam.check(threads.post_answer(thread, author=newbie, body=body), newbie)
    assert verdict.score >= 4
    assert any("links from a new user" in r for r in verdict.reasons)
    assert "written in capitals" in verdict.reasons


def test_the_same_text_on_another_thread_later_is_held(world, ctx):
    thread, newbie = world
    other = factories.thread(factories.staff("kim"))
    body = "Contact me for a great deal on support plans for your devices."
    first = threads.post_answer(thread, author=newbie, body=body)
    # Older than the refusal window, younger than the repeat window.
    first.created_at = utcnow() - timedelta(minutes=30)
    db.session.commit()
    second = threads.post_answer(other, author=newbie, body=body)
    db.session.refresh(second)
    assert second.state == PostState.QUEUED
    assert "the same text on 1 other thread" in _item(second).reason


def test_the_same_text_on_another_thread_at_once_is_refused(world, ctx):
    thread, newbie = world
    other = factories.thread(factories.staff("kim"))
    threads.post_answer(thread, author=newbie, body="My detailed answer about the router.")
    with pytest.raises(Invalid) as exc:
        threads.post_answer(other, author=newbie, body="My detailed answer about the router.")
    assert "another thread" in exc.value.errors["body"]
    with pytest.raises(Invalid) as exc:
        threads.ask(author=newbie, title="Another question entirely", body="My detailed answer about the router.",
                    category_id=thread.category_id)
    assert "another thread" in exc.value.errors["body"]


def test_trusted_members_are_never_scored(make_app):
    app = make_app(PRIVILEGES=dict(NEW, post_without_review=1))
    with app.app_context():
        thread = factories.thread(factories.staff("sam"))
        post = threads.post_answer(thread, author=factories.user("old.hand"), body="Free money at the casino, buy now!")
        assert post.state == PostState.VISIBLE and _item(post) is None


def test_the_phrase_list_and_threshold_come_from_config(make_app):
    app = make_app(PRIVILEGES=dict(NEW), SPAM_PHRASES=["router firmware"], SPAM_SCORE_THRESHOLD=2)
    with app.app_context():
        thread = factories.thread(factories.staff("sam"))
        post = threads.post_answer(thread, author=factories.user("newbie"), body="Update the router firmware first.")
        assert db.session.get(Post, post.id).state == PostState.QUEUED


def test_links_to_the_knowledge_base_are_not_outside_links(make_app):
    app = make_app(PRIVILEGES={"vote_up": 1, "vote_down": 1, "post_links": 1000, "post_without_review": 1},
                   NEW_USER_MAX_LINKS=1)
    with app.app_context():
        thread, newbie = factories.thread(factories.staff("sam")), factories.user("newbie")
        post = threads.post_answer(thread, author=newbie, body="See [[kb:sso-setup]], [[kb:scim]] and [[kb:okta]].")
        assert post.state == PostState.VISIBLE
        assert not any("link" in r for r in spam.check(post, newbie).reasons)
        with pytest.raises(Invalid, match="at most 1 links"):
            threads.post_answer(thread, author=newbie, body="Try https://one.example.com and https://two.example.com")
