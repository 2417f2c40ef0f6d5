"""Random sequences of votes, retractions, accepts, unaccepts and deletions, through
the real services: after every step each cache equals ``1 + sum(delta)`` of its
ledger and is at least 1, and undoing everything returns everyone to 1."""
from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum.errors import Forbidden, NotFound
from forum.extensions import db
from forum.models import Post, Thread, User, Vote
from forum.threads import services as threads
from reputation.services import drift
from tests import factories as f

PEOPLE = 4
STEPS = st.lists(st.tuples(st.sampled_from(["vote", "accept", "unaccept", "delete"]),
                           st.integers(0, PEOPLE - 1), st.integers(0, 5), st.sampled_from([1, -1, 0])),
                 max_size=25)


def _check() -> None:
    assert drift() == []
    low = db.session.execute(sa.select(sa.func.min(User.reputation))).scalar_one()
    assert low >= 1


def _step(action, who, which, value, people, posts) -> None:
    db.session.rollback()
    user = db.session.get(User, people[who])
    post = db.session.get(Post, posts[which % len(posts)])
    try:
        if action == "vote":
            threads.cast_vote(post, by=user, value=value)
        elif action == "accept":
            threads.accept_answer(post, by=user)
        elif action == "unaccept":
            threads.unaccept_answer(db.session.get(Thread, post.thread_id), by=user)
        elif post.author_id == user.id or value == 0:
            threads.delete_post(post, by=user)
    except (Forbidden, NotFound):
        pass  # refusals (own post, not the asker, nothing accepted) are part of the game


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_cache_always_equals_the_ledger_and_undoing_returns_to_the_start(make_app, steps):
    app = make_app(REPUTATION_RULES={"daily_vote_cap": 35})
    with app.app_context():
        db.drop_all()
        db.create_all()
        users = [f.user(f"person{i}") for i in range(PEOPLE)]
        people = [u.id for u in users]
        posts = []
        for asker in users[:2]:
            thread = f.thread(asker)
            posts.append(thread.question_id)
            posts += [f.answer(thread, u).id for u in users if u is not asker][:2]
        for step in steps:
            _step(*step, people, posts)
            _check()
        # Undo everything that can be undone, newest first.
        db.session.rollback()
        for vote in db.session.execute(sa.select(Vote).order_by(Vote.updated_at.desc(), Vote.id.desc())).scalars().all():
            threads.cast_vote(db.session.get(Post, vote.post_id), by=db.session.get(User, vote.user_id), value=0)
            _check()
        for thread in db.session.execute(sa.select(Thread).where(Thread.accepted_post_id.is_not(None))).scalars().all():
            threads.unaccept_answer(thread, by=thread.author)
            _check()
        assert set(db.session.execute(sa.select(User.reputation)).scalars()) == {1}
        db.session.remove()
