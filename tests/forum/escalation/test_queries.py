"""The escalation read side: keyset pages, the delivery log, dead letters and the
figures, with hand-computed expectations and fixed query counts."""
from __future__ import annotations

import contextlib
import secrets
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from forum.errors import Invalid
from forum.escalation import queries
from forum.escalation.models import (Attempt, Delivery, Endpoint, Escalation, Message, MessageStatus, TicketStatus,
                                     Trigger)
from forum.extensions import db
from forum.models import PostState, Thread
from tests import factories as f

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@contextlib.contextmanager
def count_queries():
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        # SQLite's explicit BEGIN is transaction control, not a query.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _thread(author, category, *, asked: datetime, accepted: bool = False, state: PostState = PostState.VISIBLE):
    t = f.thread(author, category_obj=category)
    if accepted:
        answer = f.answer(t, f.user())
        t.accepted_post_id = answer.id
    t.created_at = asked
    t.state = state
    db.session.commit()
    return t


def _escalation(thread, *, at: datetime, trigger=Trigger.ASKER, delivery=Delivery.DELIVERED,
                solved_at: datetime | None = None, status: TicketStatus | None = None, by=None) -> Escalation:
    esc = Escalation(thread_id=thread.id, trigger=trigger, note="", requested_by_id=by.id if by else None,
                     idempotency_key=f"esc_{secrets.token_hex(8)}", delivery=delivery, created_at=at,
                     solved_at=solved_at, ticket_status=status)
    db.session.add(esc)
    db.session.commit()
    return esc


@pytest.fixture
def world(app):
    with app.app_context():
        asker = f.user("asker")
        billing, setup = f.category("Billing"), f.category("Setup")
        yield asker, billing, setup


# -- escalations ------------------------------------------------------------------------

def test_escalations_are_paged_newest_first_without_gaps_or_repeats(app, world):
    asker, billing, _ = world
    made = [_escalation(_thread(asker, billing, asked=T0), at=T0 + timedelta(hours=i), by=asker) for i in range(7)]
    # Two at the same instant: the id breaks the tie.
    made.append(_escalation(_thread(asker, billing, asked=T0), at=T0 + timedelta(hours=6), by=asker))
    expected = sorted(made, key=lambda e: (e.created_at, e.id), reverse=True)
    seen, cursor = [], None
    while True:
        page = queries.escalations(cursor=cursor, limit=3)
        seen.extend(e.id for e in page.items)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == [e.id for e in expected]


def test_escalations_filter_by_ticket_status_and_delivery(app, world):
    asker, billing, _ = world
    a = _escalation(_thread(asker, billing, asked=T0), at=T0, status=TicketStatus.PENDING)
    b = _escalation(_thread(asker, billing, asked=T0), at=T0 + timedelta(1), delivery=Delivery.FAILED)
    c = _escalation(_thread(asker, billing, asked=T0), at=T0 + timedelta(2), delivery=Delivery.NO_ENDPOINT)
    d = _escalation(_thread(asker, billing, asked=T0), at=T0 + timedelta(3), delivery=Delivery.QUEUED)
    ids = lambda **kw: [e.id for e in queries.escalations(**kw).items]  # noqa: E731
    assert ids(status="pending") == [a.id]
    assert ids(status="none") == [d.id, c.id, b.id]
    assert ids(delivery="failed") == [b.id]
    assert ids(delivery="attention") == [c.id, b.id]
    assert ids(delivery="queued") == [d.id]
    assert queries.attention_count() == 2
    with pytest.raises(Invalid) as bad:
        queries.escalations(status="lost")
    assert "status" in bad.value.errors
    with pytest.raises(Invalid):
        queries.escalations(delivery="x")
    with pytest.raises(Invalid):
        queries.escalations(cursor="%%%not-a-cursor")


def test_a_page_of_escalations_is_one_query_with_threads_categories_and_requesters(app, world):
    asker, billing, setup = world
    for i in range(12):
        _escalation(_thread(asker, billing if i % 2 else setup, asked=T0), at=T0 + timedelta(minutes=i), by=asker)
    db.session.expire_all()
    with count_queries() as statements:
        page = queries.escalations(limit=10)
        shown = [(e.thread.title, e.thread.category.name, e.requested_by.username, e.thread.author.username)
                 for e in page.items]
    assert len(shown) == 10 and shown[0][1] == "Billing"
    assert len(statements) == 1


# -- messages and attempts ----------------------------------------------------------------

def _endpoint(name: str = "desk") -> Endpoint:
    ep = Endpoint(url=f"https://{name}.example/hooks", secret="whsec_" + "A" * 40, description=name)
    db.session.add(ep)
    db.session.commit()
    return ep


def _message(endpoint, esc=None, *, at: datetime, status=MessageStatus.DELIVERED, tries: int = 1) -> Message:
    msg = Message(id=f"msg_{secrets.token_hex(6)}", endpoint_id=endpoint.id, escalation_id=esc.id if esc else None,
                  event_type="thread.escalated", body="{}", status=status, created_at=at, attempts=tries)
    db.session.add(msg)
    db.session.flush()
    for n in range(1, tries + 1):
        db.session.add(Attempt(message_id=msg.id, number=n, started_at=at + timedelta(seconds=n), url=endpoint.url,
                               status_code=500 if n < tries else 200, duration_ms=10 * n))
    db.session.commit()
    return msg


def test_messages_filter_page_and_load_their_attempts_in_one_query(app, world):
    asker, billing, _ = world
    desk, other = _endpoint("desk"), _endpoint("other")
    esc = _escalation(_thread(asker, billing, asked=T0), at=T0)
    m1 = _message(desk, esc, at=T0, tries=3)
    m2 = _message(desk, None, at=T0 + timedelta(minutes=1), status=MessageStatus.DEAD, tries=2)
    m3 = _message(other, esc, at=T0 + timedelta(minutes=2))
    m4 = _message(desk, None, at=T0 + timedelta(minutes=3), status=MessageStatus.PENDING, tries=0)
    assert [m.id for m in queries.messages(endpoint_id=desk.id).items] == [m4.id, m2.id, m1.id]
    assert [m.id for m in queries.messages(escalation_id=esc.id).items] == [m3.id, m1.id]
    assert [m.id for m in queries.messages(status="dead").items] == [m2.id]
    assert [m.id for m in queries.messages(since=T0 + timedelta(minutes=2)).items] == [m4.id, m3.id]
    assert [m.id for m in queries.dead_letters().items] == [m2.id]
    assert queries.dead_letters(endpoint_id=other.id).items == []
    first = queries.messages(limit=2)
    second = queries.messages(limit=2, cursor=first.next_cursor)
    assert [m.id for m in first.items + second.items] == [m4.id, m3.id, m2.id, m1.id]
    assert second.next_cursor is None
    with pytest.raises(Invalid):
        queries.messages(status="lost")
    with pytest.raises(Invalid):
        queries.messages(cursor="bm90IGpzb24")

    db.session.expire_all()
    with count_queries() as statements:
        page = queries.messages(limit=10)
        by_message = queries.attempts([m.id for m in page.items])
        endpoints_shown = {m.endpoint.url for m in page.items}
        threads_shown = {m.escalation.thread.title for m in page.items if m.escalation}
    assert len(statements) == 2
    assert len(endpoints_shown) == 2 and len(threads_shown) == 1
    assert [a.number for a in by_message[m1.id]] == [1, 2, 3]
    assert [a.status_code for a in by_message[m1.id]] == [500, 500, 200]
    assert by_message[m4.id] == []
    assert queries.attempts([]) == {}
    assert queries.endpoint_counts()[desk.id] == {"pending": 1, "delivered": 1, "dead": 1}


# -- figures ------------------------------------------------------------------------------

def test_figures_by_hand(app, world):
    asker, billing, setup = world
    since, until = T0, T0 + timedelta(days=30)
    # Threads asked in the period: six visible (two solved without escalation, one solved
    # after escalation, three unsolved), one hidden and solved (not counted).
    t1 = _thread(asker, billing, asked=T0 + timedelta(hours=1))
    t2 = _thread(asker, billing, asked=T0 + timedelta(hours=2))
    t3 = _thread(asker, setup, asked=T0 + timedelta(hours=3), accepted=True)
    _thread(asker, setup, asked=T0 + timedelta(hours=4), accepted=True)
    _thread(asker, setup, asked=T0 + timedelta(hours=5), accepted=True)
    _thread(asker, setup, asked=T0 + timedelta(hours=6))
    _thread(asker, setup, asked=T0 + timedelta(hours=7), accepted=True, state=PostState.HIDDEN)
    # Asked before the period, escalated in it.
    t_old = _thread(asker, billing, asked=T0 - timedelta(hours=10))
    # Escalated before the period: not counted anywhere.
    t_before = _thread(asker, setup, asked=T0 - timedelta(days=5))

    # ask -> escalation: t1 2h, t2 10h, t3 4h, t_old 12h -> median (4h + 10h) / 2 = 7h
    _escalation(t1, at=T0 + timedelta(hours=3), trigger=Trigger.ASKER,
                solved_at=T0 + timedelta(hours=5), status=TicketStatus.SOLVED)            # solved in 2h
    _escalation(t2, at=T0 + timedelta(hours=12), trigger=Trigger.AUTO, delivery=Delivery.FAILED)
    _escalation(t3, at=T0 + timedelta(hours=7), trigger=Trigger.STAFF,
                solved_at=T0 + timedelta(hours=15), status=TicketStatus.CLOSED)           # solved in 8h
    _escalation(t_old, at=T0 + timedelta(hours=2), trigger=Trigger.ASKER,
                solved_at=T0 + timedelta(hours=2, minutes=30), status=TicketStatus.SOLVED)  # solved in 30 min
    _escalation(t_before, at=T0 - timedelta(days=4), trigger=Trigger.STAFF, delivery=Delivery.NO_ENDPOINT)

    db.session.expire_all()
    with count_queries() as statements:
        fig = queries.figures(since, until)
    assert len(statements) == 3
    assert fig.escalations == 4
    assert fig.by_trigger == {"asker": 2, "staff": 1, "auto": 1}
    assert fig.by_category == [("Billing", 3), ("Setup", 1)]
    assert fig.median_to_escalation == timedelta(hours=7)
    assert fig.median_to_solved == timedelta(hours=2)  # median of 30 min, 2 h, 8 h
    assert fig.solved_tickets == 3
    # t1..t6 visible and asked in the period (t3 solved but escalated): 2 of 6.
    assert fig.threads_asked == 6
    assert fig.solved_without_escalation == 2
    assert fig.share_solved_without_escalation == pytest.approx(2 / 6)
    # Attention is now, not the period: t2 failed, t_before has no endpoint.
    assert fig.needs_attention == 2


def test_figures_of_an_empty_period(app, world):
    fig = queries.figures(T0, T0 + timedelta(days=1))
    assert fig.escalations == 0 and fig.by_category == []
    assert fig.by_trigger == {"asker": 0, "staff": 0, "auto": 0}
    assert fig.median_to_escalation is None and fig.median_to_solved is None
    assert fig.share_solved_without_escalation is None
