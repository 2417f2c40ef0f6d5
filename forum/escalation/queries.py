"""Read side of escalation: the staff queue, the delivery log, dead letters, and the
support figures.

Lists are keyset-paged newest first on indexed ``(created_at, id)`` pairs and return
the same :class:`~forum.threads.queries.Page` as the thread lists. Every function
loads what its page shows in a fixed number of queries: a page of escalations with
their threads, categories and requesters is one query; a page of messages and all of
their attempts is two.
"""
from __future__ import annotations

import base64
import binascii
import json
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..errors import Invalid
from ..db import MAX_ID
from ..extensions import db
from ..models import Category, PostState, Thread
from ..threads.queries import Page, decode_cursor, encode_cursor
from .models import Attempt, Delivery, Endpoint, Escalation, Message, MessageStatus, TicketStatus, Trigger

#: Deliveries that need a person: nothing reached the help desk.
ATTENTION = (Delivery.FAILED, Delivery.NO_ENDPOINT)


def _enum(kind: type, value: str | None, field_name: str, message: str):
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except ValueError:
        raise Invalid({field_name: message}) from None


# -- escalations ------------------------------------------------------------------------

def escalations(status: str | None = None, delivery: str | None = None, cursor: str | None = None,
                limit: int = 30) -> Page:
    """One page of escalations, newest first, with thread, category and requester.

    ``status`` is a ticket status (``open``, ``pending``, ``solved``, ``closed``) or
    ``none`` for escalations without a ticket yet; ``delivery`` is a
    :class:`~.models.Delivery` value or ``attention`` (failed or no endpoint).
    """
    q = sa.select(Escalation)
    if status == "none":
        q = q.where(Escalation.ticket_status.is_(None))
    elif status:
        ticket = _enum(TicketStatus, status, "status", "The ticket status is open, pending, solved, closed or none.")
        q = q.where(Escalation.ticket_status == ticket)
    if delivery == "attention":
        q = q.where(Escalation.delivery.in_(ATTENTION))
    elif delivery:
        d = _enum(Delivery, delivery, "delivery",
                  "The delivery is queued, delivered, failed, no_endpoint or attention.")
        q = q.where(Escalation.delivery == d)
    if cursor:
        when, ident = decode_cursor(cursor)
        q = q.where(sa.tuple_(Escalation.created_at, Escalation.id) < sa.tuple_(when, ident))
    q = q.order_by(Escalation.created_at.desc(), Escalation.id.desc()).limit(limit + 1).options(
        joinedload(Escalation.thread).joinedload(Thread.category),
        joinedload(Escalation.thread).joinedload(Thread.author),
        joinedload(Escalation.requested_by))
    rows = list(db.session.execute(q).unique().scalars())
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1].created_at, rows[-1].id)
    return Page(items=rows, next_cursor=nxt, view="escalations",
                extra={"status": status or "", "delivery": delivery or ""})


def escalation(escalation_id: object) -> Escalation | None:
    """One escalation with its thread, category, requester and reply post, or None."""
    try:
        ident = int(escalation_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not 0 < ident <= MAX_ID:
        return None
    return db.session.execute(
        sa.select(Escalation).where(Escalation.id == ident).options(
            joinedload(Escalation.thread).joinedload(Thread.category),
            joinedload(Escalation.thread).joinedload(Thread.author),
            joinedload(Escalation.requested_by), joinedload(Escalation.reply_post))
    ).unique().scalar_one_or_none()


def attention_count() -> int:
    """Escalations that reached no help desk: every delivery failed, or no endpoint."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Escalation).where(Escalation.delivery.in_(ATTENTION))
    ).scalar_one()


# -- messages and attempts --------------------------------------------------------------

def _encode_message_cursor(when: datetime, ident: str) -> str:
    raw = json.dumps([when.isoformat(), ident], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_message_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, ident = json.loads(raw)
        when = datetime.fromisoformat(when)
        if not isinstance(ident, str) or not 0 < len(ident) <= 40 or when.tzinfo is None:
            raise ValueError
        return when, ident
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise Invalid({"cursor": "This page link is broken; start again from the first page."}) from None


def messages(escalation_id: int | None = None, endpoint_id: int | None = None, status: str | None = None,
             since: datetime | None = None, cursor: str | None = None, limit: int = 50) -> Page:
    """One page of webhook messages, newest first, with their endpoint and escalation
    (and its thread). ``status`` is ``pending``, ``delivered`` or ``dead``."""
    q = sa.select(Message)
    if escalation_id is not None:
        q = q.where(Message.escalation_id == escalation_id)
    if endpoint_id is not None:
        q = q.where(Message.endpoint_id == endpoint_id)
    wanted = _enum(MessageStatus, status, "status", "The message status is pending, delivered or dead.")
    if wanted is not None:
        q = q.where(Message.status == wanted)
    if since is not None:
        q = q.where(Message.created_at >= since)
    if cursor:
        when, ident = _decode_message_cursor(cursor)
        q = q.where(sa.tuple_(Message.created_at, Message.id) < sa.tuple_(when, ident))
    q = q.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit + 1).options(
        joinedload(Message.endpoint), joinedload(Message.escalation).joinedload(Escalation.thread))
    rows = list(db.session.execute(q).unique().scalars())
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = _encode_message_cursor(rows[-1].created_at, rows[-1].id)
    return Page(items=rows, next_cursor=nxt, view="messages", extra={"status": status or ""})


def attempts(message_ids: list[str]) -> dict[str, list[Attempt]]:
    """Every attempt of each message, oldest first, in one query."""
    out: dict[str, list[Attempt]] = {mid: [] for mid in message_ids}
    if not message_ids:
        return out
    rows = db.session.execute(
        sa.select(Attempt).where(Attempt.message_id.in_(list(message_ids)))
        .order_by(Attempt.message_id, Attempt.id)).scalars()
    for row in rows:
        out[row.message_id].append(row)
    return out


def dead_letters(endpoint_id: int | None = None, cursor: str | None = None, limit: int = 50) -> Page:
    """Messages that gave up (dead), newest first."""
    return messages(endpoint_id=endpoint_id, status=MessageStatus.DEAD.value, cursor=cursor, limit=limit)


# -- endpoints --------------------------------------------------------------------------

def endpoints() -> list[Endpoint]:
    return list(db.session.execute(sa.select(Endpoint).order_by(Endpoint.id)).scalars())


def endpoint_counts() -> dict[int, dict[str, int]]:
    """Per endpoint: how many of its messages are pending, delivered and dead."""
    out: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        sa.select(Message.endpoint_id, Message.status, sa.func.count())
        .group_by(Message.endpoint_id, Message.status))
    for endpoint_id, status, n in rows:
        counts = out.setdefault(endpoint_id, {s.value: 0 for s in MessageStatus})
        counts[MessageStatus(status).value] = n
    return out


# -- figures ----------------------------------------------------------------------------

@dataclass
class Figures:
    """The support figures for escalations opened (and threads asked) in ``[since, until)``."""
    since: datetime
    until: datetime
    escalations: int = 0
    #: trigger value -> count, every trigger present
    by_trigger: dict[str, int] = field(default_factory=dict)
    #: (category name, count), most first
    by_category: list[tuple[str, int]] = field(default_factory=list)
    median_to_escalation: timedelta | None = None
    median_to_solved: timedelta | None = None
    solved_tickets: int = 0
    threads_asked: int = 0
    solved_without_escalation: int = 0
    #: escalations anywhere in time that reached no help desk (failed or no endpoint)
    needs_attention: int = 0

    @property
    def share_solved_without_escalation(self) -> float | None:
        if not self.threads_asked:
            return None
        return self.solved_without_escalation / self.threads_asked


def _median(deltas: list[timedelta]) -> timedelta | None:
    if not deltas:
        return None
    return timedelta(seconds=statistics.median(max(0.0, d.total_seconds()) for d in deltas))


def figures(since: datetime, until: datetime) -> Figures:
    """Escalations by trigger and category, the median time from asking to escalating
    and from escalating to a solved ticket, the share of visible threads asked in the
    period that were solved (an accepted answer) without any escalation, and how many
    escalations need a person now. Three queries."""
    out = Figures(since=since, until=until)
    in_period = sa.and_(Escalation.created_at >= since, Escalation.created_at < until)
    rows = db.session.execute(
        sa.select(Escalation.trigger, Category.name, Escalation.created_at, Thread.created_at, Escalation.solved_at)
        .join(Thread, Thread.id == Escalation.thread_id).join(Category, Category.id == Thread.category_id)
        .where(in_period)).all()
    out.by_trigger = {t.value: 0 for t in Trigger}
    categories: dict[str, int] = {}
    to_escalation: list[timedelta] = []
    to_solved: list[timedelta] = []
    for trigger, category, escalated_at, asked_at, solved_at in rows:
        out.by_trigger[Trigger(trigger).value] += 1
        categories[category] = categories.get(category, 0) + 1
        to_escalation.append(escalated_at - asked_at)
        if solved_at is not None:
            to_solved.append(solved_at - escalated_at)
    out.escalations = len(rows)
    out.by_category = sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))
    out.median_to_escalation = _median(to_escalation)
    out.median_to_solved = _median(to_solved)
    out.solved_tickets = len(to_solved)
    asked = sa.and_(Thread.created_at >= since, Thread.created_at < until, Thread.state == PostState.VISIBLE)
    escalated = sa.exists().where(Escalation.thread_id == Thread.id)
    out.threads_asked, out.solved_without_escalation = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.count().filter(sa.and_(Thread.accepted_post_id.is_not(None), ~escalated)))
        .select_from(Thread).where(asked)).one()
    out.needs_attention = attention_count()
    return out
