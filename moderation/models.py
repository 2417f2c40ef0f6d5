"""Moderation's records: flags, the one review queue, and the audit log.

A :class:`ReviewItem` is the one row per target (a post or a user) that a moderator
must decide; new reasons to look at a target reopen it rather than add a second row.
:class:`Flag` rows feed an item's score. :class:`ModerationAction` is the ledger of
everything moderators (and the system, with no actor) did: rows are never edited.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import utcnow
from forum.extensions import db
from forum.models import Post, Thread, Timestamp, User, string_enum


class FlagReason(str, enum.Enum):
    SPAM = "spam"
    RUDE = "rude"
    OFF_TOPIC = "off_topic"
    NOT_AN_ANSWER = "not_an_answer"
    DUPLICATE = "duplicate"
    NEEDS_MODERATOR = "needs_moderator"


class FlagStatus(str, enum.Enum):
    PENDING = "pending"
    #: A moderator hid or rejected the post: the flag was right.
    AGREED = "agreed"
    #: A moderator approved the post or dismissed the flags.
    DISAGREED = "disagreed"
    IGNORED = "ignored"


class ItemStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    IGNORED = "ignored"


class ItemKind(str, enum.Enum):
    FLAGGED = "flagged"
    QUEUED = "queued"
    SUSPECT_USER = "suspect_user"


def _enum(e: type[enum.Enum], name: str) -> sa.Enum:
    return string_enum(e, name, length=20)


class Flag(db.Model):
    """One person's report about one post; the schema keeps it one per (user, post)."""

    __tablename__ = "flags"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "post_id"),
        sa.Index("ix_flags_post_status", "post_id", "status"),
        # The daily cap counts a flagger's recent flags.
        sa.Index("ix_flags_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[FlagReason] = mapped_column(_enum(FlagReason, "flag_reason"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("threads.id", ondelete="SET NULL"))
    #: 1 + the flagger's trust bonus, fixed when the flag is raised.
    weight: Mapped[int] = mapped_column(default=1)
    status: Mapped[FlagStatus] = mapped_column(_enum(FlagStatus, "flag_status"), default=FlagStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    post: Mapped[Post] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    duplicate_of: Mapped[Thread | None] = relationship()

    def __repr__(self) -> str:
        return f"<Flag {self.reason.value} post={self.post_id} by={self.user_id}>"


class ReviewItem(db.Model):
    """One target awaiting (or past) a moderator's decision.

    ``target_type`` is ``"post"`` or ``"user"``; ``target_id`` is not a foreign key
    because it points at either table. A decided item comes back as ``pending``
    (``times_reopened`` + 1) when something new happens to its target."""

    __tablename__ = "review_items"
    __table_args__ = (
        sa.UniqueConstraint("target_type", "target_id"),
        sa.Index("ix_review_items_status_score", "status", "score"),
        sa.Index("ix_review_items_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[str] = mapped_column(sa.String(10))
    target_id: Mapped[int]
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, "review_kind"))
    status: Mapped[ItemStatus] = mapped_column(_enum(ItemStatus, "review_status"), default=ItemStatus.PENDING)
    #: Sum of the target's pending flag weights (queued items score 0 until flagged).
    score: Mapped[int] = mapped_column(default=0)
    #: Why it is here, in a few words ("new user's first post", "flagged: spam").
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    claimed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    times_reopened: Mapped[int] = mapped_column(default=0)

    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == ItemStatus.PENDING

    def __repr__(self) -> str:
        return f"<ReviewItem {self.kind.value} {self.target_type}:{self.target_id} {self.status.value}>"


class ModerationAction(db.Model):
    """One audited action. ``actor_id`` is NULL for what the system did on its own
    (``auto_hide``, ``auto_silence``); ``before``/``after`` hold the fields it changed."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        sa.Index("ix_moderation_actions_created", "created_at", "id"),
        sa.Index("ix_moderation_actions_actor_created", "actor_id", "created_at"),
        sa.Index("ix_moderation_actions_action_created", "action", "created_at"),
        sa.Index("ix_moderation_actions_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(30))
    target_type: Mapped[str] = mapped_column(sa.String(10))
    target_id: Mapped[int]
    review_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("review_items.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    actor: Mapped[User | None] = relationship()
    review_item: Mapped[ReviewItem | None] = relationship()

    def __repr__(self) -> str:
        return f"<ModerationAction {self.action} {self.target_type}:{self.target_id}>"
