"""Search's tables: the PostgreSQL backend's documents, and the search log.

``search_documents`` exists on every database so one migration serves both, but only
the PostgreSQL backend fills it; there ``document`` is a ``tsvector`` with a GIN index.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import utcnow
from forum.extensions import db
from forum.models import Timestamp

#: ``tsvector`` on PostgreSQL; an unused text column elsewhere.
Vector = sa.Text().with_variant(TSVECTOR(), "postgresql")


class SearchDocument(db.Model):
    """One searchable thing as the PostgreSQL backend indexes it (key ``kind:object_id``)."""

    __tablename__ = "search_documents"
    __table_args__ = (
        sa.Index("ix_search_documents_document", "document", postgresql_using="gin"),
        sa.Index("ix_search_documents_created", "created_at"),
        sa.Index("ix_search_documents_score", "score"),
    )

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    object_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(sa.Text, default="")
    #: Tags as words, for matching; ``tag_names`` is ``,a,b,`` for the tag filter.
    tags: Mapped[str] = mapped_column(sa.Text, default="")
    tag_names: Mapped[str] = mapped_column(sa.Text, default=",")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    accepted: Mapped[str] = mapped_column(sa.Text, default="")
    answers: Mapped[str] = mapped_column(sa.Text, default="")
    category: Mapped[str] = mapped_column(sa.String(60), default="")
    solved: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    score: Mapped[int] = mapped_column(default=0)
    boost: Mapped[float] = mapped_column(sa.Float, default=1.0)
    digest: Mapped[str] = mapped_column(sa.String(16), default="")
    created_at: Mapped[datetime | None] = mapped_column(Timestamp)
    activity_at: Mapped[datetime | None] = mapped_column(Timestamp)
    document: Mapped[str | None] = mapped_column(Vector)


class SearchLog(db.Model):
    """One search or suggestion request, for the tier-0 figures: what people looked
    for, whether anything came back, what they opened, and whether they asked anyway.
    Keyed by a random session id; the only personal data is the user id."""

    __tablename__ = "search_log"
    __table_args__ = (
        sa.Index("ix_search_log_session_created", "session_id", "created_at"),
        sa.Index("ix_search_log_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    session_id: Mapped[str] = mapped_column(sa.String(32), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: ``search`` (the page), ``suggest`` (while asking), ``api``.
    source: Mapped[str] = mapped_column(sa.String(10))
    query: Mapped[str] = mapped_column(sa.String(200))
    results: Mapped[int] = mapped_column(default=0)
    opened_key: Mapped[str | None] = mapped_column(sa.String(40))
    opened_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: The thread this person asked after searching, if they asked anyway.
    asked_thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("threads.id", ondelete="SET NULL"))
