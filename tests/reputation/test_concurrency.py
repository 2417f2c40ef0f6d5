"""Many people vote on one answer at the same moment: the score and the author's
reputation are exact. Runs on SQLite and, with ``TEST_DATABASE_URL``, PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa

from forum.extensions import db
from forum.models import Post, User
from forum.threads import services as threads
from reputation.models import ReputationEvent
from tests import factories as f
from tests.forum.test_concurrency import race

VOTERS = 32


def test_thirty_two_simultaneous_upvotes_pay_the_author_exactly(app):
    with app.app_context():
        author = f.user("author")
        answer = f.answer(f.thread(), author)
        voters = [f.user(f"voter{i}").id for i in range(VOTERS)]
        author_id, answer_id = author.id, answer.id

    def vote(user_id: int):
        def job():
            return threads.cast_vote(db.session.get(Post, answer_id), by=db.session.get(User, user_id), value=1)
        return job

    _, errors = race(app, [vote(v) for v in voters])
    assert errors == []
    with app.app_context():
        assert db.session.get(Post, answer_id).score == VOTERS
        # 32 x 10 = 320, but the daily cap lets 200 through.
        assert db.session.get(User, author_id).reputation == 1 + 200
        deltas = db.session.execute(sa.select(ReputationEvent.delta).where(
            ReputationEvent.user_id == author_id)).scalars().all()
        assert len(deltas) == VOTERS and sum(deltas) == 200


def test_simultaneous_uncapped_upvotes_are_exact(make_app):
    app = make_app(REPUTATION_RULES={"daily_vote_cap": 10_000})
    with app.app_context():
        author = f.user("author")
        answer = f.answer(f.thread(), author)
        voters = [f.user(f"voter{i}").id for i in range(VOTERS)]
        author_id, answer_id = author.id, answer.id

    def vote(user_id: int):
        def job():
            return threads.cast_vote(db.session.get(Post, answer_id), by=db.session.get(User, user_id), value=1)
        return job

    _, errors = race(app, [vote(v) for v in voters])
    assert errors == []
    with app.app_context():
        assert db.session.get(Post, answer_id).score == VOTERS
        assert db.session.get(User, author_id).reputation == 1 + 10 * VOTERS
