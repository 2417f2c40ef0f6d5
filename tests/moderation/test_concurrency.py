"""Two moderators deciding one item at once: one decision, one audit row. Runs on
SQLite (immediate write transactions) and on PostgreSQL (the item's row lock) when
``TEST_DATABASE_URL`` is set."""
from __future__ import annotations

import pytest

from forum.db import Conflict
from forum.extensions import db
from forum.models import Post, User
from moderation import services
from moderation.models import ReviewItem
from tests import factories
from tests.forum.test_concurrency import race

from .helpers import audit_rows, item_for, moderator

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.mark.parametrize(("first", "second"), [("approve", "reject"), ("reject", "reject"), ("hide", "dismiss")])
def test_two_moderators_deciding_one_item_give_one_decision(app, first, second):
    with app.app_context():
        post = factories.thread().question
        services.flag_post(post, by=factories.user(), reason="spam")
        item_id = item_for(post).id
        mods = [moderator().id, moderator().id]
        before = len(audit_rows())
        db.session.remove()

    def decide(user_id: int, action: str):
        def job():
            item = db.session.get(ReviewItem, item_id)
            return services.perform(item, action, by=db.session.get(User, user_id), reason="race").status.value
        return job

    results, errors = race(app, [decide(mods[0], first), decide(mods[1], second)])
    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], Conflict), errors
    with app.app_context():
        rows = audit_rows()[before:]
        assert len(rows) == 1
        assert rows[0].action in (first, second)
        item = db.session.get(ReviewItem, item_id)
        assert item.handled_by_id == rows[0].actor_id


def test_many_people_flagging_at_once_leave_one_item_with_the_full_score(app):
    with app.app_context():
        post_id = factories.thread().question.id
        flaggers = [factories.user().id for _ in range(5)]
        db.session.remove()

    def flag(user_id: int):
        def job():
            return services.flag_post(db.session.get(Post, post_id), by=db.session.get(User, user_id),
                                      reason="off_topic").id
        return job

    results, errors = race(app, [flag(u) for u in flaggers])
    assert not errors and len(results) == 5
    with app.app_context():
        item = item_for(db.session.get(Post, post_id))
        assert item.score == 5
        assert db.session.query(ReviewItem).count() == 1
