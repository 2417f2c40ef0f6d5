"""``forum.db``: the clock every timestamp comes from."""
from datetime import UTC, datetime

from forum.db import clock_at, utcnow
from tests import factories as f


def test_clock_at_stamps_everything_a_use_case_writes(ctx):
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with clock_at(moment):
        thread = f.thread()
    assert thread.created_at == moment
    assert thread.last_activity_at == moment
    assert thread.question.created_at == moment
    assert utcnow() > moment


def test_clock_at_nests_and_restores():
    first = datetime(2025, 5, 5, tzinfo=UTC)
    second = datetime(2025, 6, 6, tzinfo=UTC)
    with clock_at(first):
        with clock_at(second):
            assert utcnow() == second
        assert utcnow() == first
    assert utcnow() != first
