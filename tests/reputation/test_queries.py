"""The read side: ledger pages, the daily history, badges, leaderboards, top tags."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from forum.errors import Invalid
from forum.extensions import db
from forum.threads import services as threads
from reputation import queries
from reputation.models import ReputationEvent
from tests import factories as f

from .community import build, move

#: A Wednesday, so "this week" began two days earlier and "this month" 14 days earlier.
NOW = datetime(2030, 5, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(ctx):
    return build()


def _walk(user, limit):
    seen, cursor, pages = [], None, 0
    while True:
        page = queries.ledger_page(user, cursor=cursor, limit=limit)
        assert len(page.items) <= limit
        seen += [e.id for e in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return seen, pages


def test_ledger_pages_cover_every_row_once_newest_first(world):
    rows = list(db.session.execute(
        sa.select(ReputationEvent.id).where(ReputationEvent.user_id == world.bob.id)
        .order_by(ReputationEvent.created_at.desc(), ReputationEvent.id.desc())).scalars())
    assert len(rows) == 3
    for limit in (1, 2, 3, 30):
        seen, pages = _walk(world.bob, limit)
        assert seen == rows, limit
        # A full last page knows it is the last: no empty page after it.
        assert pages == -(-len(rows) // limit), limit


def test_ledger_pagination_survives_rows_written_in_the_same_instant(world):
    voters = [f.user() for _ in range(6)]
    for voter in voters:
        threads.cast_vote(world.fix, by=voter, value=1)
    move(world.bob, NOW)  # every row shares one timestamp: only the id orders them
    expected = sorted(db.session.execute(
        sa.select(ReputationEvent.id).where(ReputationEvent.user_id == world.bob.id)).scalars(), reverse=True)
    assert len(expected) == 9
    seen, pages = _walk(world.bob, 4)
    assert seen == expected and pages == 3


def test_a_cursor_that_was_not_handed_out_is_refused(world):
    with pytest.raises(Invalid) as exc:
        queries.ledger_page(world.bob, cursor="not-a-cursor")
    assert "cursor" in exc.value.errors


def test_history_runs_from_the_first_point_to_the_cached_total(world):
    move(world.bob, datetime(2030, 5, 1, 9, tzinfo=UTC))
    event = db.session.execute(sa.select(ReputationEvent).where(
        ReputationEvent.user_id == world.bob.id, ReputationEvent.reason == "answer.accepted")).scalar_one()
    event.created_at = datetime(2030, 5, 3, 23, 59, tzinfo=UTC)
    db.session.commit()
    assert queries.daily_changes(world.bob) == [(date(2030, 5, 1), 20), (date(2030, 5, 3), 15)]
    points = queries.history(world.bob, today=date(2030, 5, 10))
    assert points[-3:] == [(date(2030, 5, 1), 21), (date(2030, 5, 3), 36), (date(2030, 5, 10), 36)]
    assert points[-1][1] == world.bob.reputation == 36


def test_history_of_someone_without_changes_is_flat_at_the_start(world):
    newcomer = f.user("newcomer")
    points = queries.history(newcomer)
    assert {total for _, total in points} == {1}


def test_leaderboard_counts_only_the_period(world):
    move(world.bob, NOW - timedelta(days=20))      # earlier this year, not this month
    move(world.dave, NOW - timedelta(days=1))      # this week
    move(world.alice, NOW - timedelta(days=10))    # this month, not this week

    def board(period, **kw):
        return [(row.user.username, row.gained, row.accepted)
                for row in queries.leaderboard(period, now=NOW, **kw)]

    assert board("week") == [("dave", 10, 0)]
    assert board("month") == [("dave", 10, 0), ("alice", 2, 0)]
    assert board("all") == [("bob", 35, 1), ("dave", 10, 0), ("alice", 2, 0)]
    assert [row.rank for row in queries.leaderboard("all", now=NOW)] == [1, 2, 3]


def test_leaderboard_by_category(world):
    assert [(r.user.username, r.gained) for r in queries.leaderboard("all", category=world.billing)] == [
        ("bob", 35), ("alice", 2)]
    assert [(r.user.username, r.gained) for r in queries.leaderboard("all", category=world.accounts)] == [
        ("dave", 10)]
    empty = f.category("Empty")
    assert queries.leaderboard("all", category=empty) == []


def test_reversals_count_against_the_period_and_the_accepted_count(world):
    threads.unaccept_answer(world.invoices, by=world.alice)
    [bob] = [r for r in queries.leaderboard("all") if r.user.username == "bob"]
    assert (bob.gained, bob.accepted) == (20, 0)
    threads.accept_answer(world.fix, by=world.alice)
    [bob] = [r for r in queries.leaderboard("all") if r.user.username == "bob"]
    assert (bob.gained, bob.accepted) == (35, 1)


def test_period_start_is_monday_and_the_first_in_utc():
    assert queries.period_start("week", NOW) == datetime(2030, 5, 13, tzinfo=UTC)
    assert queries.period_start("month", NOW) == datetime(2030, 5, 1, tzinfo=UTC)
    assert queries.period_start("all", NOW) is None


def test_badges_of_a_user_and_the_holders_of_each_badge(world):
    assert {b.badge for b in queries.badges_of(world.bob)} == {"first_answer", "first_accepted"}
    assert {b.badge for b in queries.badges_of(world.alice)} == {"first_solved_question"}
    holders = queries.badge_holders(["first_answer", "accepted_50"], recent=1)
    assert holders["first_answer"].awards == 2 and holders["first_answer"].people == 2
    # The newest holder only, as asked: Dave answered after Bob.
    assert [h.user.username for h in holders["first_answer"].recent] == ["dave"]
    assert holders["accepted_50"].awards == 0 and holders["accepted_50"].recent == []


def test_top_tags_rank_by_score_then_posts(world):
    other = f.thread(world.carol, title="Where do I download old invoices", tags=["invoices", "export"])
    f.answer(other, world.bob)
    tags = queries.top_tags(world.bob)
    assert [(t.tag.name, t.posts, t.score) for t in tags] == [("invoices", 2, 2), ("export", 1, 0)]


def test_reason_labels_cover_reversals_and_unknown_keys():
    assert queries.reason_label("answer.accepted") == "Answer accepted"
    assert queries.reason_label("answer.voted_up.undone") == "Answer voted up (undone)"
    assert queries.reason_label("something.new") == "something.new"
