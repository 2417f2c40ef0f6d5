"""Reading notifications: a person's list, newest first, in keyset pages, grouped."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..db import get_by_id
from ..extensions import db
from ..models import User
from ..threads.queries import decode_cursor, encode_cursor
from .models import Notification

#: Kinds that collapse into one row per thread when several are unread together.
GROUPABLE = frozenset({"answer", "new_thread", "escalation"})


@dataclass
class Group:
    """Notifications shown as one row: "3 new answers on ..."."""

    first: Notification
    items: list[Notification]

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def unread(self) -> bool:
        return any(n.read_at is None for n in self.items)

    @property
    def ids(self) -> list[int]:
        return [n.id for n in self.items]

    @property
    def created_at(self) -> datetime:
        return self.first.created_at


@dataclass
class Page:
    groups: list[Group]
    next_cursor: str | None


def page(user: User, *, unread: bool = False, cursor: str | None = None, limit: int = 30) -> Page:
    q = (sa.select(Notification).where(Notification.user_id == user.id)
         .options(selectinload(Notification.actor), selectinload(Notification.thread), selectinload(Notification.user))
         .order_by(Notification.created_at.desc(), Notification.id.desc()))
    if unread:
        q = q.where(Notification.read_at.is_(None))
    if cursor:
        at, ident = decode_cursor(cursor)
        q = q.where(sa.or_(Notification.created_at < at,
                           sa.and_(Notification.created_at == at, Notification.id < ident)))
    rows = list(db.session.execute(q.limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(group(rows), encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None)


def group(rows: list[Notification]) -> list[Group]:
    """Collapse unread notifications of a groupable kind on the same thread into the
    newest one's row; everything else stays a row of its own."""
    groups: list[Group] = []
    index: dict[tuple[str, int], Group] = {}
    for n in rows:
        key = (n.kind, n.thread_id or 0)
        if n.kind in GROUPABLE and n.thread_id and n.read_at is None and key in index:
            index[key].items.append(n)
            continue
        g = Group(n, [n])
        groups.append(g)
        if n.kind in GROUPABLE and n.thread_id and n.read_at is None:
            index[key] = g
    return groups


def get(user: User, notification_id: int) -> Notification | None:
    n = get_by_id(Notification, notification_id)
    return n if n is not None and n.user_id == user.id else None
