"""The forum's core models: people, places, threads, posts, votes.

Models hold invariants, never workflows: they compute, and refuse impossible states,
but never commit, render or reach the network. Use cases live in the services.
"""
from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import aware, utcnow
from .extensions import db


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, on every database.

    SQLite stores no zone and hands back naive values; this puts UTC back."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return aware(value)


Timestamp = UTCDateTime()


class Role(str, enum.Enum):
    MEMBER = "member"
    MODERATOR = "moderator"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ThreadStatus(str, enum.Enum):
    OPEN = "open"
    SOLVED = "solved"
    ESCALATED = "escalated"
    CLOSED = "closed"


class PostState(str, enum.Enum):
    VISIBLE = "visible"
    QUEUED = "queued"
    HIDDEN = "hidden"
    DELETED = "deleted"


def string_enum(e: type[enum.Enum], name: str, *, length: int = 16) -> sa.Enum:
    """An enum column stored as its values in a plain string column with a CHECK
    constraint: portable across databases and friendly to migrations."""
    return sa.Enum(e, name=name, native_enum=False, create_constraint=True, length=length,
                   values_callable=lambda cls: [m.value for m in cls])


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(30))
    #: Lower-cased username; uniqueness ignores case.
    username_key: Mapped[str] = mapped_column(sa.String(30), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str] = mapped_column(sa.String(60), default="")
    about: Mapped[str] = mapped_column(sa.Text, default="")
    role: Mapped[Role] = mapped_column(string_enum(Role, "role"), default=Role.MEMBER)
    #: Cache of the reputation ledger's sum; never below 1.
    reputation: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    suspended_until: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Why they are suspended or silenced; shown to them.
    suspension_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: A silenced user can read but not post until then.
    silenced_until: Mapped[datetime | None] = mapped_column(Timestamp)
    #: Bumped to revoke every session cookie (password change, "log out everywhere").
    session_version: Mapped[int] = mapped_column(default=1)
    #: When the person proved the address is theirs (the link in the confirmation mail).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(Timestamp)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def is_suspended(self) -> bool:
        until = aware(self.suspended_until)
        return until is not None and until > utcnow()

    @property
    def is_silenced(self) -> bool:
        until = aware(self.silenced_until)
        return until is not None and until > utcnow()

    def has_role(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    @property
    def is_moderator(self) -> bool:
        return self.has_role(Role.MODERATOR)

    @property
    def is_staff(self) -> bool:
        return self.has_role(Role.STAFF)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters of the token, shown so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)

    user: Mapped[User] = relationship()


class Category(db.Model):
    """A product area, managed by staff."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    thread_count: Mapped[int] = mapped_column(default=0)
    #: Whether threads here are escalated to the help desk when nobody solves them.
    auto_escalate: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


thread_tags = sa.Table(
    "thread_tags",
    db.metadata,
    sa.Column("thread_id", sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_thread_tags_tag_id", "tag_id", "thread_id"),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Normalised: lower case, words joined by hyphens.
    name: Mapped[str] = mapped_column(sa.String(25), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    thread_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class Thread(db.Model):
    """A question and its answers. Counts and activity are denormalised for lists."""

    __tablename__ = "threads"
    __table_args__ = (
        # One index per list ordering, so keyset pages never scan.
        sa.Index("ix_threads_activity", "last_activity_at", "id"),
        sa.Index("ix_threads_created", "created_at", "id"),
        sa.Index("ix_threads_status_activity", "status", "last_activity_at", "id"),
        sa.Index("ix_threads_category_activity", "category_id", "last_activity_at", "id"),
        sa.Index("ix_threads_answers_created", "answer_count", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[ThreadStatus] = mapped_column(string_enum(ThreadStatus, "thread_status"), default=ThreadStatus.OPEN)
    #: Mirrors the question's state: lists show visible threads only.
    state: Mapped[PostState] = mapped_column(string_enum(PostState, "thread_state"), default=PostState.VISIBLE)
    question_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"))
    #: The one accepted answer; a column, so "one per thread" needs no extra rule.
    accepted_post_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"))
    #: The question's score, kept here for list sorting.
    score: Mapped[int] = mapped_column(default=0)
    answer_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    last_poster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    locked: Mapped[bool] = mapped_column(default=False)
    #: Set when the thread was closed as a duplicate of another one.
    duplicate_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("threads.id", use_alter=True, ondelete="SET NULL"))

    category: Mapped[Category] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    last_poster: Mapped[User | None] = relationship(foreign_keys=[last_poster_id])
    question: Mapped[Post | None] = relationship(foreign_keys=[question_id], post_update=True)
    duplicate_of: Mapped[Thread | None] = relationship(remote_side=[id], foreign_keys=[duplicate_of_id])
    tags: Mapped[list[Tag]] = relationship(secondary=thread_tags, order_by="Tag.name")

    @property
    def is_solved(self) -> bool:
        return self.accepted_post_id is not None

    @property
    def is_visible(self) -> bool:
        return self.state == PostState.VISIBLE


class Post(db.Model):
    """A question or an answer. ``body_html`` is rendered once, when written."""

    __tablename__ = "posts"
    __table_args__ = (
        sa.Index("ix_posts_thread_order", "thread_id", "is_question", "score", "created_at"),
        sa.Index("ix_posts_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    is_question: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    score: Mapped[int] = mapped_column(default=0)
    state: Mapped[PostState] = mapped_column(string_enum(PostState, "post_state"), default=PostState.VISIBLE)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(Timestamp)
    edited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(Timestamp)
    revision_count: Mapped[int] = mapped_column(default=1)

    thread: Mapped[Thread] = relationship(foreign_keys=[thread_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id])

    @property
    def kind(self) -> str:
        return "question" if self.is_question else "answer"

    @property
    def is_visible(self) -> bool:
        return self.state == PostState.VISIBLE

    @property
    def is_deleted(self) -> bool:
        return self.state == PostState.DELETED


class PostRevision(db.Model):
    """One version of a post. Revision 1 is the original; history is public."""

    __tablename__ = "post_revisions"
    __table_args__ = (sa.UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    #: Title and tags as they stood, for questions; empty for answers.
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    tags: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    author: Mapped[User] = relationship()


class Vote(db.Model):
    """One vote per (user, post): the schema, not the code, keeps it unique."""

    __tablename__ = "votes"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "post_id"),
        sa.CheckConstraint("value IN (-1, 1)", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    value: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
