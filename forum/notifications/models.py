"""Watches, notifications, and each person's e-mail choices.

A watch is one person's level (watching, normal, muted) on a thread, a category or a
tag; a thread's own watch wins over its category's and tags'. A notification is one
thing that happened for one person, linking to the exact post; ``emailed_at`` is set
once it went out by e-mail (alone or in a digest) or was never going to. An alert
remembers whether a condition that notifies (the review queue too long) is on.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from ..models import Post, Thread, Timestamp, User, string_enum


class WatchKind(str, enum.Enum):
    THREAD = "thread"
    CATEGORY = "category"
    TAG = "tag"


class Level(str, enum.Enum):
    WATCHING = "watching"
    NORMAL = "normal"
    MUTED = "muted"


class EmailMode(str, enum.Enum):
    INSTANT = "instant"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


class Watch(db.Model):
    __tablename__ = "watches"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "kind", "target_id", name="uq_watches_user_target"),
        sa.Index("ix_watches_target", "kind", "target_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[WatchKind] = mapped_column(string_enum(WatchKind, "watch_kind"))
    target_id: Mapped[int]
    level: Mapped[Level] = mapped_column(string_enum(Level, "watch_level"))
    #: Why: ``asked``, ``answered``, ``mentioned`` or ``chosen`` (the person set it).
    reason: Mapped[str] = mapped_column(sa.String(20), default="chosen")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.Index("ix_notifications_unsent", "emailed_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    #: What the notification says beyond its links: a title, a reason, a badge name...
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: When it was e-mailed (or decided not to be); None while an e-mail may still follow.
    emailed_at: Mapped[datetime | None] = mapped_column(Timestamp)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    thread: Mapped[Thread | None] = relationship()
    post: Mapped[Post | None] = relationship()


class EmailSetting(db.Model):
    """One person's e-mail choice for one kind of notification (absent: the kind's default)."""

    __tablename__ = "notification_email_settings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    mode: Mapped[EmailMode] = mapped_column(string_enum(EmailMode, "email_mode"))


class Digest(db.Model):
    """When each person last got each digest, so every period sends one at most."""

    __tablename__ = "notification_digests"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[EmailMode] = mapped_column(string_enum(EmailMode, "email_mode"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Alert(db.Model):
    """A condition that tells people once when it starts (the review queue grew past
    its threshold) and not again until it has ended: hysteresis, kept in one row per
    condition so several workers agree on it."""

    __tablename__ = "notification_alerts"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    active: Mapped[bool] = mapped_column(default=False)
    changed_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
