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
from flask import current_app, g, has_request_context
from sqlalchemy.dialects import postgresql, sqlite

from .. import jobs
from ..db import MAX_ID, get_by_id, utcnow, write_transaction
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..models import Category, Tag, Thread, User, thread_tags
from . import kinds
from .models import Alert, EmailMode, EmailSetting, Level, Notification, Watch, WatchKind

EMAIL_JOB = "notify.email"
#: Kinds about a thread that a mute on that thread silences. (News about one's own
#: support ticket is not among them: one asked for it.)
THREAD_KINDS = frozenset({"answer", "mention", "new_thread", "last_call"})


# -- watching ------------------------------------------------------------------------------

def _target(kind: WatchKind, target_id: int):
    model = {WatchKind.THREAD: Thread, WatchKind.CATEGORY: Category, WatchKind.TAG: Tag}[kind]
    obj = get_by_id(model, target_id)
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


def _watch_rows(thread: Thread, user_ids: Iterable[int] | None = None) -> list[tuple[int, WatchKind, Level]]:
    """The watches that bear on ``thread`` (its own, its category's, its tags'), in one query."""
    tags = sa.select(thread_tags.c.tag_id).where(thread_tags.c.thread_id == thread.id).scalar_subquery()
    q = sa.select(Watch.user_id, Watch.kind, Watch.level).where(sa.or_(
        sa.and_(Watch.kind == WatchKind.THREAD, Watch.target_id == thread.id),
        sa.and_(Watch.kind == WatchKind.CATEGORY, Watch.target_id == thread.category_id),
        sa.and_(Watch.kind == WatchKind.TAG, Watch.target_id.in_(tags))))
    if user_ids is not None:
        ids = list(user_ids)
        if not ids:
            return []
        q = q.where(Watch.user_id.in_(ids))
    return [tuple(row) for row in db.session.execute(q)]


def _resolve(rows: Iterable[tuple[int, WatchKind, Level]]) -> dict[int, Level]:
    """Each person's effective level: their thread watch if any, else muted if a
    category or tag of it is muted, else watching if one is watched."""
    own: dict[int, Level] = {}
    inherited: dict[int, Level] = {}
    for user_id, kind, level in rows:
        if kind == WatchKind.THREAD:
            own[user_id] = level
        elif inherited.get(user_id) != Level.MUTED:
            inherited[user_id] = level
    return {**inherited, **own}


def _levels(thread: Thread, user_ids: Iterable[int] | None = None) -> dict[int, Level]:
    return _resolve(_watch_rows(thread, user_ids))


def level(user: User, thread: Thread) -> Level:
    return _levels(thread, [user.id]).get(user.id, Level.NORMAL)


def watchers(thread: Thread, *, via: tuple[WatchKind, ...] = tuple(WatchKind)) -> list[int]:
    """Who watches ``thread`` (directly, or through its category or a tag); with ``via``,
    only those whose watch is on one of those kinds of target (and who did not mute it)."""
    rows = _watch_rows(thread)
    direct = {u for u, kind, _ in rows if kind in via}
    return sorted(u for u, lv in _resolve(rows).items() if lv == Level.WATCHING and u in direct)


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

def _effective(kind: kinds.Kind, chosen: EmailMode | None) -> EmailMode:
    if chosen is None or not kind.optional and chosen == EmailMode.OFF:
        return kind.email
    return chosen


def email_modes(user_ids: Iterable[int], kind: str) -> dict[int, EmailMode]:
    """Each person's e-mail mode for ``kind``, in one query."""
    ids = list(dict.fromkeys(user_ids))
    default = kinds.get(kind)
    chosen = dict(db.session.execute(sa.select(EmailSetting.user_id, EmailSetting.mode).where(
        EmailSetting.kind == kind, EmailSetting.user_id.in_(ids))).all()) if ids else {}
    return {u: _effective(default, chosen.get(u)) for u in ids}


def email_mode(user_id: int, kind: str) -> EmailMode:
    return email_modes([user_id], kind)[user_id]


def mode_clause():
    """SQL for the e-mail mode in force for a :class:`Notification` row, given an outer
    join with :class:`EmailSetting` on (user, kind): what :func:`email_mode` answers,
    for many rows in one query."""
    default = sa.case({k.name: k.email.value for k in kinds.KINDS.values()}, value=Notification.kind,
                      else_=EmailMode.OFF.value)
    fixed = [k.name for k in kinds.KINDS.values() if not k.optional]
    chosen = sa.cast(EmailSetting.mode, sa.String)
    return sa.case((EmailSetting.mode.is_(None), default),
                   (sa.and_(Notification.kind.in_(fixed), chosen == EmailMode.OFF.value), default),
                   else_=chosen)


def notify(user_id: int, kind: str, *, actor_id: int | None = None, thread: Thread | None = None,
           post_id: int | None = None, data: dict[str, Any] | None = None) -> Notification | None:
    """Inside the transaction of what happened: tell ``user_id`` about it. Returns the
    notification, or None when it was skipped (their own action, a muted thread)."""
    rows = _rows([user_id], kind, actor_id=actor_id, thread=thread, post_id=post_id, data=data)
    if not rows:
        return None
    note = Notification(**rows[0])
    db.session.add(note)
    return note


def notify_many(user_ids: Iterable[int], kind: str, **kw: Any) -> int:
    """:func:`notify` for several people at once: a fixed number of queries however
    many they are (one multi-row INSERT). Returns how many were told."""
    rows = _rows(user_ids, kind, **kw)
    if len(rows) == 1:
        db.session.add(Notification(**rows[0]))
    elif rows:
        db.session.execute(sa.insert(Notification), rows)
    return len(rows)


def _rows(user_ids: Iterable[int], kind: str, *, actor_id: int | None = None, thread: Thread | None = None,
          post_id: int | None = None, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The notifications to write (as column values) and their e-mail jobs (queued)."""
    kinds.get(kind)  # unknown kinds are a programming error
    ids = [u for u in dict.fromkeys(user_ids) if u is not None and u != actor_id]
    if thread is not None and kind in THREAD_KINDS and ids:
        levels = _levels(thread, ids)
        ids = [u for u in ids if levels.get(u) != Level.MUTED]
    if not ids:
        return []
    modes = email_modes(ids, kind)
    now = utcnow()
    title = thread.title if thread is not None else (data or {}).get("title", "")
    rows = [dict(user_id=u, kind=kind, actor_id=actor_id, thread_id=thread.id if thread else None, post_id=post_id,
                 data=dict(data or {}, title=title), created_at=now, read_at=None,
                 emailed_at=now if modes[u] == EmailMode.OFF else None) for u in ids]
    instant = [u for u in ids if modes[u] == EmailMode.INSTANT]
    if instant:
        # One job per notification: the first to run after the quiet period mails
        # everything waiting, the later ones find nothing left.
        run_at = now + timedelta(seconds=float(current_app.config["NOTIFY_COALESCE_SECONDS"]))
        max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
        job_rows = [dict(kind=EMAIL_JOB, payload={"user_id": u}, status=jobs.JobStatus.PENDING, run_at=run_at,
                         attempts=0, max_attempts=max_attempts, created_at=now) for u in instant]
        if len(job_rows) == 1:
            jobs.enqueue(EMAIL_JOB, {"user_id": instant[0]}, run_at=run_at)
        else:
            db.session.execute(sa.insert(jobs.Job), job_rows)
    return rows


def alert(key: str, on: bool, user_ids: Iterable[int], kind: str, **kw: Any) -> int:
    """Inside a transaction: tell ``user_ids`` that condition ``key`` holds, once when
    it starts (``on`` after being off), and not again until an ``on=False`` call has
    re-armed it. Returns how many were told. Two workers checking at once agree: the
    change of state is one conditional UPDATE, and only the one that made it notifies."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(insert(Alert).values(key=key, active=False, changed_at=utcnow())
                       .on_conflict_do_nothing(index_elements=["key"]))
    changed = db.session.execute(sa.update(Alert).where(Alert.key == key, Alert.active.is_(not on))
                                 .values(active=on, changed_at=utcnow())).rowcount
    return notify_many(user_ids, kind, **kw) if on and changed else 0


# -- reading --------------------------------------------------------------------------------

def unread_count(user: User) -> int:
    """The bell's number; counted once per request (the bell and the page both show it)."""
    cache = g.setdefault("unread_counts", {}) if has_request_context() else {}
    if user.id not in cache:
        cache[user.id] = db.session.execute(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()
    return cache[user.id]


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark ``ids`` (or, with None, everything) read; returns how many changed."""
    q = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        ids = [i for i in ids if isinstance(i, int) and 0 < i <= MAX_ID]
        if not ids:
            return 0
        q = q.where(Notification.id.in_(ids))
    with write_transaction():
        result = db.session.execute(q.values(read_at=utcnow()))
    if has_request_context():
        g.pop("unread_counts", None)
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
