"""Notification use cases: watch or mute, notify, read.

:func:`notify` is what listeners (and the plugins: reputation for badges, moderation
for its queue) call inside the transaction of whatever happened. It never tells people
about their own actions, respects mutes, and queues the e-mail for after a short
quiet period so a burst of answers becomes one message.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable

import sqlalchemy as sa
from flask import current_app

from .. import jobs
from ..db import utcnow, write_transaction
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..models import Category, Tag, Thread, User, thread_tags
from . import kinds
from .models import EmailMode, EmailSetting, Level, Notification, Watch, WatchKind

EMAIL_JOB = "notify.email"
#: Kinds about a thread that a mute on that thread silences.
THREAD_KINDS = frozenset({"answer", "mention", "new_thread", "last_call", "escalation"})


# -- watching ------------------------------------------------------------------------------

def _target(kind: WatchKind, target_id: int):
    model = {WatchKind.THREAD: Thread, WatchKind.CATEGORY: Category, WatchKind.TAG: Tag}[kind]
    obj = db.session.get(model, target_id) if 0 < target_id < 2**63 else None
    if obj is None:
        raise NotFound()
    return obj


def parse_watch(kind: object, target_id: object, level: object) -> tuple[WatchKind, int, Level]:
    errors: dict[str, str] = {}
    try:
        kind_ = WatchKind(str(kind))
    except ValueError:
        raise NotFound() from None
    try:
        ident = int(str(target_id))
    except ValueError:
        raise NotFound() from None
    try:
        level_ = Level(str(level))
    except ValueError:
        errors["level"] = "The level is watching, normal or muted."
        level_ = Level.NORMAL
    if errors:
        raise Invalid(errors)
    return kind_, ident, level_


def set_watch(user: User, kind: WatchKind, target_id: int, level: Level, *, reason: str = "chosen") -> Level:
    """Set ``user``'s level on a thread, category or tag (normal removes the row)."""
    require(user, "notifications.manage")
    target = _target(kind, target_id)
    if kind == WatchKind.THREAD:
        require(user, "thread.read", target)
    with write_transaction():
        _put_watch(user.id, kind, target_id, level, reason=reason)
    return level


def _put_watch(user_id: int, kind: WatchKind, target_id: int, level: Level, *, reason: str) -> None:
    watch = db.session.execute(sa.select(Watch).where(
        Watch.user_id == user_id, Watch.kind == kind, Watch.target_id == target_id)).scalar_one_or_none()
    if level == Level.NORMAL:
        if watch is not None:
            db.session.delete(watch)
        return
    if watch is None:
        db.session.add(Watch(user_id=user_id, kind=kind, target_id=target_id, level=level, reason=reason))
    else:
        watch.level, watch.reason = level, reason


def auto_watch(user_id: int, thread_id: int, reason: str) -> None:
    """Inside a transaction: watch a thread one asked or answered in, unless one already
    chose a level for it (a mute stays a mute)."""
    exists = db.session.execute(sa.select(Watch.id).where(
        Watch.user_id == user_id, Watch.kind == WatchKind.THREAD, Watch.target_id == thread_id)).first()
    if exists is None:
        db.session.add(Watch(user_id=user_id, kind=WatchKind.THREAD, target_id=thread_id, level=Level.WATCHING,
                             reason=reason))


def _thread_targets(thread: Thread) -> list[tuple[WatchKind, int]]:
    tag_ids = db.session.execute(sa.select(thread_tags.c.tag_id).where(thread_tags.c.thread_id == thread.id)).scalars()
    return [(WatchKind.THREAD, thread.id), (WatchKind.CATEGORY, thread.category_id)] + \
        [(WatchKind.TAG, t) for t in tag_ids]


def _levels(thread: Thread, user_ids: Iterable[int] | None = None) -> dict[int, Level]:
    """Each person's effective level on ``thread``: their thread watch if any, else
    muted if a category or tag of it is muted, else watching if one is watched."""
    targets = _thread_targets(thread)
    cond = sa.or_(*[sa.and_(Watch.kind == k, Watch.target_id == t) for k, t in targets])
    q = sa.select(Watch.user_id, Watch.kind, Watch.level).where(cond)
    if user_ids is not None:
        ids = list(user_ids)
        if not ids:
            return {}
        q = q.where(Watch.user_id.in_(ids))
    own: dict[int, Level] = {}
    inherited: dict[int, Level] = {}
    for user_id, kind, level in db.session.execute(q):
        if kind == WatchKind.THREAD:
            own[user_id] = level
        elif inherited.get(user_id) != Level.MUTED:
            inherited[user_id] = level
    return {**inherited, **own}


def level(user: User, thread: Thread) -> Level:
    return _levels(thread, [user.id]).get(user.id, Level.NORMAL)


def watchers(thread: Thread, *, via: tuple[WatchKind, ...] = tuple(WatchKind)) -> list[int]:
    """Who watches ``thread`` (directly, or through its category or a tag)."""
    levels = _levels(thread)
    if via != tuple(WatchKind):
        direct = set(db.session.execute(sa.select(Watch.user_id).where(
            sa.or_(*[sa.and_(Watch.kind == k, Watch.target_id == t) for k, t in _thread_targets(thread)
                     if k in via]))).scalars())
        return sorted(u for u, lv in levels.items() if lv == Level.WATCHING and u in direct)
    return sorted(u for u, lv in levels.items() if lv == Level.WATCHING)


def level_on(user: User, kind: WatchKind, target_id: int) -> Level:
    """The level ``user`` chose on one category or tag (or thread), without inheritance."""
    return db.session.execute(sa.select(Watch.level).where(
        Watch.user_id == user.id, Watch.kind == kind, Watch.target_id == target_id)).scalar_one_or_none() \
        or Level.NORMAL


def watch_targets(user: User) -> list[tuple[Watch, Any]]:
    """Every watch ``user`` has, with what it is on (thread, category or tag), in three queries."""
    watches = list(db.session.execute(sa.select(Watch).where(Watch.user_id == user.id)
                                      .order_by(Watch.kind, Watch.created_at.desc())).scalars())
    found: dict[tuple[WatchKind, int], Any] = {}
    for kind, model in ((WatchKind.THREAD, Thread), (WatchKind.CATEGORY, Category), (WatchKind.TAG, Tag)):
        ids = [w.target_id for w in watches if w.kind == kind]
        if ids:
            for obj in db.session.execute(sa.select(model).where(model.id.in_(ids))).scalars():
                found[(kind, obj.id)] = obj
    return [(w, found[(w.kind, w.target_id)]) for w in watches if (w.kind, w.target_id) in found]


# -- notifying --------------------------------------------------------------------------------

def email_mode(user_id: int, kind: str) -> EmailMode:
    chosen = db.session.get(EmailSetting, (user_id, kind))
    default = kinds.get(kind)
    if chosen is None or not default.optional and chosen.mode == EmailMode.OFF:
        return default.email
    return chosen.mode


def notify(user_id: int, kind: str, *, actor_id: int | None = None, thread: Thread | None = None,
           post_id: int | None = None, data: dict[str, Any] | None = None) -> Notification | None:
    """Inside the transaction of what happened: tell ``user_id`` about it. Returns the
    notification, or None when it was skipped (their own action, a muted thread)."""
    kinds.get(kind)  # unknown kinds are a programming error
    if actor_id is not None and actor_id == user_id:
        return None
    if thread is not None and kind in THREAD_KINDS and \
            _levels(thread, [user_id]).get(user_id) == Level.MUTED and kind != "escalation":
        return None
    now = utcnow()
    note = Notification(user_id=user_id, kind=kind, actor_id=actor_id, thread_id=thread.id if thread else None,
                        post_id=post_id, data=dict(data or {}, title=thread.title if thread else
                                                   (data or {}).get("title", "")), created_at=now)
    mode = email_mode(user_id, kind)
    if mode == EmailMode.OFF:
        note.emailed_at = now
    db.session.add(note)
    if mode == EmailMode.INSTANT:
        wait = float(current_app.config["NOTIFY_COALESCE_SECONDS"])
        jobs.enqueue(EMAIL_JOB, {"user_id": user_id}, run_at=now + timedelta(seconds=wait))
    return note


def notify_many(user_ids: Iterable[int], kind: str, **kw: Any) -> int:
    return sum(notify(u, kind, **kw) is not None for u in dict.fromkeys(user_ids))


# -- reading --------------------------------------------------------------------------------

def unread_count(user: User) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark ``ids`` (or, with None, everything) read; returns how many changed."""
    q = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        ids = [i for i in ids if isinstance(i, int) and 0 < i < 2**63]
        if not ids:
            return 0
        q = q.where(Notification.id.in_(ids))
    with write_transaction():
        result = db.session.execute(q.values(read_at=utcnow()))
    return result.rowcount or 0


def set_email_mode(user: User, kind: str, mode: EmailMode) -> None:
    if kind not in kinds.KINDS:
        raise Invalid({"kind": "Unknown kind of notification."})
    if mode == EmailMode.OFF and not kinds.get(kind).optional:
        raise Invalid({kind: "These e-mails can't be turned off: they are about your account."})
    with write_transaction():
        setting = db.session.get(EmailSetting, (user.id, kind))
        if setting is None:
            db.session.add(EmailSetting(user_id=user.id, kind=kind, mode=mode))
        else:
            setting.mode = mode
