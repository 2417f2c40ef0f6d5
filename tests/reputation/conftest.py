"""Helpers for reputation tests: read a user's reputation and ledger fresh."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import User
from reputation.models import ReputationEvent
from reputation.services import BASE
from tests import factories as f


def rep(user) -> int:
    """The cached reputation, asserting it equals its ledger."""
    user_id = sa.inspect(user).identity[0]
    cached = db.session.execute(sa.select(User.reputation).where(User.id == user_id)).scalar_one()
    total = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(ReputationEvent.delta), 0))
                               .where(ReputationEvent.user_id == user_id)).scalar_one()
    assert cached == BASE + total, "cache differs from ledger"
    return cached


def reasons(user) -> list[tuple[str, int]]:
    user_id = sa.inspect(user).identity[0]
    return [tuple(r) for r in db.session.execute(
        sa.select(ReputationEvent.reason, ReputationEvent.delta).where(ReputationEvent.user_id == user_id)
        .order_by(ReputationEvent.id)).all()]


@pytest.fixture
def qa(ctx):
    """An asker, an answerer and two voters around one thread with one answer."""
    asker, answerer, voter, other = f.user("asker"), f.user("answerer"), f.user("voter"), f.user("other")
    thread = f.thread(asker)
    answer = f.answer(thread, answerer)
    question = db.session.get(type(answer), thread.question_id)
    return dict(asker=asker, answerer=answerer, voter=voter, other=other, thread=thread, answer=answer,
                question=question)
