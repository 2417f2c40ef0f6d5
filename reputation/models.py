"""The reputation ledger and badge awards.

A user's reputation is ``1 + sum(delta)`` over their :class:`ReputationEvent` rows;
``User.reputation`` caches it and moves in the same transaction as each row. Rows
are never edited or deleted: undoing something writes a reversal row.

Reason keys (``reason``), dotted like the rules table:

==========================  ===========================================================
``question.voted_up``       the author's question was voted up
``question.voted_down``     the author's question was voted down
``answer.voted_up``         the author's answer was voted up
``answer.voted_down``       the author's answer was voted down
``vote.cast_down``          the voter paid for voting an answer down
``answer.accepted``         the author's answer was accepted
``accept.given``            the asker accepted someone else's answer
``<any of the above>.undone``  the vote was retracted or changed, the answer unaccepted
``post.deleted``            reverses what a deleted post had earned (one row per award)
``serial_voting.reversed``  reverses an award from a vote judged serial voting
==========================  ===========================================================

``source_key`` names the action a row answers to, so replaying one event twice hits
the unique (user, reason, source_key) constraint instead of paying twice. Badges
carry no points; they live in :class:`BadgeAward`.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import utcnow
from forum.extensions import db
from forum.models import Post, Thread, Timestamp, User


class ReputationEvent(db.Model):
    """One change to one user's reputation; ``delta`` is what was actually applied
    after the daily cap and the floor, so a reversal can restore exactly that."""

    __tablename__ = "reputation_events"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "reason", "source_key"),
        # The profile ledger pages by (created_at, id) per user.
        sa.Index("ix_reputation_events_user_created", "user_id", "created_at", "id"),
        # Leaderboards sum a time window across everyone.
        sa.Index("ix_reputation_events_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    delta: Mapped[int]
    #: What the rules would have paid before the cap and floor; 0 for reversals.
    nominal: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.String(60))
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("threads.id", ondelete="SET NULL"))
    #: The vote behind the row. No foreign key: retracted votes are deleted, the history stays.
    vote_id: Mapped[int | None]
    #: Who caused it (the voter, the asker who accepted, the moderator who deleted).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The originating action, e.g. ``vote:12:up:3`` (vote 12, up, third time).
    source_key: Mapped[str] = mapped_column(sa.String(120))
    #: The row this one reverses, for reversal rows.
    reverses_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("reputation_events.id", ondelete="SET NULL"), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    post: Mapped[Post | None] = relationship()
    thread: Mapped[Thread | None] = relationship()

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None

    def __repr__(self) -> str:
        return f"<ReputationEvent user={self.user_id} {self.reason} {self.delta:+d}>"


class BadgeAward(db.Model):
    """A badge someone earned. ``scope`` is ``""`` for once-only badges and
    ``post:<id>`` for badges earned once per post: NULLs would be distinct in a
    unique constraint on every database, an empty string is not."""

    __tablename__ = "badge_awards"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "badge", "scope"),
        sa.Index("ix_badge_awards_badge_awarded", "badge", "awarded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    badge: Mapped[str] = mapped_column(sa.String(40))
    scope: Mapped[str] = mapped_column(sa.String(40), default="")
    post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="SET NULL"))
    awarded_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    user: Mapped[User] = relationship()
    post: Mapped[Post | None] = relationship()

    def __repr__(self) -> str:
        return f"<BadgeAward {self.badge} user={self.user_id} {self.scope}>"
