"""Suspensions and silences: setting, lifting, and auditing them.

A suspended user can log in to read why and until when, and do nothing else; a
silenced one can read but not post. "Permanent" is stored as :data:`FOREVER`, so one
column answers "until when" for every case.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from forum import events
from forum.db import lock, utcnow, write_transaction
from forum.errors import Conflict, Invalid, require
from forum.extensions import db
from forum.models import Post, User

from .audit import audit
from .models import ItemStatus, ReviewItem

#: Penalty steps (Discourse's, plus Apache Answer's "forever").
DURATIONS: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24), "72h": timedelta(hours=72), "7d": timedelta(days=7),
    "30d": timedelta(days=30), "permanent": None,
}
#: What "permanent" stores: a date no one will reach, so one column answers "until when".
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


def check_duration(value: Any) -> timedelta | None:
    """The length of a named penalty step; ``None`` means permanent."""
    if value not in DURATIONS:
        raise Invalid({"duration": "Pick a duration: " + ", ".join(DURATIONS) + "."})
    return DURATIONS[value]


def ends_at(value: Any) -> datetime:
    delta = check_duration(value)
    return FOREVER if delta is None else utcnow() + delta


def suspend_user(user: User, *, by: User, duration: str, reason: str) -> User:
    """Suspend ``user`` for ``duration`` (24h, 72h, 7d, 30d or permanent); they can
    log in to read why and until when, and do nothing else."""
    return _sanction_use_case(user, "suspend", by=by, duration=duration, reason=reason)


def silence_user(user: User, *, by: User, duration: str, reason: str) -> User:
    """Silence ``user`` for ``duration``: they can read but not post or edit."""
    return _sanction_use_case(user, "silence", by=by, duration=duration, reason=reason)


def unsuspend_user(user: User, *, by: User, reason: str = "") -> User:
    """Lift a suspension early."""
    return _sanction_use_case(user, "unsuspend", by=by, duration=None, reason=reason)


def unsilence_user(user: User, *, by: User, reason: str = "") -> User:
    """Lift a silence early."""
    return _sanction_use_case(user, "unsilence", by=by, duration=None, reason=reason)


def _sanction_use_case(user: User, action: str, *, by: User, duration: str | None, reason: str) -> User:
    require(by, "user.suspend", user)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    lifting = action.startswith("un")
    until = None if lifting else ends_at(duration)
    if not lifting and not reason:
        raise Invalid({"reason": "Say why: the user will see it."})
    kind = action.removeprefix("un")
    with write_transaction():
        user = lock(User, user.id)
        if lifting and not (user.is_suspended if kind == "suspend" else user.is_silenced):
            raise Conflict(f"{user.name} is not {kind}ed." if kind == "suspend" else f"{user.name} is not silenced.")
        sanction(user, kind, until, reason if not lifting else "", by=by, action=action, note=reason)
        # A user decided outside the queue leaves no stale "suspect user" item behind.
        item = db.session.execute(sa.select(ReviewItem).where(
            ReviewItem.target_type == "user", ReviewItem.target_id == user.id,
            ReviewItem.status == ItemStatus.PENDING)).scalar_one_or_none()
        if item is not None:
            item.status = ItemStatus.APPROVED if lifting else ItemStatus.REJECTED
            item.handled_by_id, item.handled_at = by.id, utcnow()
    return user


def sanction(user: User, kind: str, until: datetime | None, reason: str, *, by: User | None,
            item: ReviewItem | None = None, action: str | None = None, note: str | None = None,
            post_state: tuple[Post, dict] | None = None) -> None:
    """Set (or, with ``until`` None, lift) a suspension or silence and audit it."""
    column = "suspended_until" if kind == "suspend" else "silenced_until"
    before = {column: _iso(getattr(user, column)), "suspension_reason": user.suspension_reason}
    setattr(user, column, until)
    if until is not None:
        user.suspension_reason = reason[:500]
    elif not (user.is_suspended or user.is_silenced):
        user.suspension_reason = ""
    after = {column: _iso(until), "suspension_reason": user.suspension_reason}
    if post_state:
        post, post_before = post_state
        before["post"] = {"id": post.id, **post_before}
        after["post"] = {"id": post.id, "state": "deleted"}
    audit(action or kind, by=by, target=user, item=item, reason=note if note is not None else reason,
          before=before, after=after)
    events.emit(events.UserSanctioned(user_id=user.id, kind=kind, until=until, reason=user.suspension_reason,
                                      by_id=by.id if by else None))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
