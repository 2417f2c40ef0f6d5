"""Database plumbing: SQLite pragmas, write transactions, time.

Every use case runs inside :func:`write_transaction`. On SQLite it starts with
``BEGIN IMMEDIATE``: a deferred transaction that reads and later writes fails with
"database is locked" whatever the busy timeout, while an immediate one queues for the
write lock. On PostgreSQL it is a plain transaction; services take row locks where an
invariant needs one (:func:`lock`).
"""
from __future__ import annotations

import contextlib
import contextvars
from datetime import UTC, datetime
from typing import Iterator, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .extensions import db

T = TypeVar("T")

_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("immediate", default=False)
_frozen_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("frozen_now", default=None)


def utcnow() -> datetime:
    """The current time in UTC; every timestamp the app writes comes from here."""
    return _frozen_now.get() or datetime.now(UTC)


@contextlib.contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Make :func:`utcnow` answer ``moment`` in this context.

    For replaying history (the demo community) through the real services: every row
    a use case writes, its listeners' included, is stamped with the simulated time."""
    token = _frozen_now.set(moment)
    try:
        yield
    finally:
        _frozen_now.reset(token)


def aware(value: datetime | None) -> datetime | None:
    """Return ``value`` as aware UTC; SQLite hands naive datetimes back."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def setup_engine(engine: Engine) -> None:
    """Configure an engine after creation; only SQLite needs anything."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # pragma: no cover - trivial
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


class Conflict(Exception):
    """A uniqueness rule lost a race; the caller answers 409."""


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """Run the body as one write transaction and commit it.

    Whatever read-only transaction the request had open is closed first so the
    write one starts fresh (and, on SQLite, immediate). An integrity error from a
    lost race becomes :class:`Conflict`; anything else rolls back and propagates.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    token = _immediate.set(True)
    try:
        yield
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(str(exc.orig)) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        _immediate.reset(token)


#: The largest id an INTEGER primary key holds; PostgreSQL refuses a larger number in
#: a query on such a column, so anything past it is simply not there.
MAX_ID = 2**31 - 1


def get_by_id(model: type[T], ident: object) -> T | None:
    """The row with id ``ident``, or None for any value that can't be one of ours
    (not a number, a bool, zero or less, past :data:`MAX_ID`)."""
    if isinstance(ident, bool):
        return None
    try:
        ident = int(ident)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return db.session.get(model, ident) if 0 < ident <= MAX_ID else None


def lock(model: type[T], ident: int) -> T | None:
    """Load one row with ``FOR NO KEY UPDATE`` (a no-op on SQLite, where the
    transaction already holds the write lock) and refresh it from the database.

    Not ``FOR UPDATE``: that also blocks the key-share locks PostgreSQL takes on a
    row whenever another transaction writes a foreign key pointing at it, so locking
    a post would deadlock with an accept that points the thread at that post."""
    return db.session.execute(
        sa.select(model).where(model.id == ident).with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
