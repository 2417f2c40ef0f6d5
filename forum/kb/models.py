"""The knowledge base's records: articles, their revisions, feedback, and links from posts."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from ..models import Category, Post, Tag, Thread, Timestamp, User, string_enum


class ArticleStatus(str, enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


article_tags = sa.Table(
    "kb_article_tags",
    db.metadata,
    sa.Column("article_id", sa.ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_kb_article_tags_tag_id", "tag_id", "article_id"),
)


class Article(db.Model):
    """An answer-first article: a one- or two-sentence summary on top, then the body.

    ``source_post_id`` and ``credited_user_id`` are set when the article was promoted
    from a community answer: the thread links to the article and the article credits
    the answerer."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        sa.Index("ix_kb_articles_status_category", "status", "category_id"),
        sa.Index("ix_kb_articles_status_views", "status", "views"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(400))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    status: Mapped[ArticleStatus] = mapped_column(string_enum(ArticleStatus, "article_status"),
                                                  default=ArticleStatus.DRAFT)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    credited_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    source_post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    source_thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("threads.id", ondelete="SET NULL"),
                                                         index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(Timestamp)
    #: When staff last confirmed the article is still right (publishing counts).
    reviewed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    views: Mapped[int] = mapped_column(default=0)
    helpful: Mapped[int] = mapped_column(default=0)
    unhelpful: Mapped[int] = mapped_column(default=0)
    revision_count: Mapped[int] = mapped_column(default=1)

    category: Mapped[Category] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    credited_user: Mapped[User | None] = relationship(foreign_keys=[credited_user_id])
    source_post: Mapped[Post | None] = relationship(foreign_keys=[source_post_id])
    source_thread: Mapped[Thread | None] = relationship(foreign_keys=[source_thread_id])
    tags: Mapped[list[Tag]] = relationship(secondary=article_tags, order_by="Tag.name")

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED

    def __repr__(self) -> str:
        return f"<Article {self.slug} {self.status.value}>"


class ArticleRevision(db.Model):
    """One version of an article; revision 1 is the first draft."""

    __tablename__ = "kb_article_revisions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_articles.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(400))
    body: Mapped[str] = mapped_column(sa.Text)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="SET NULL"))
    tags: Mapped[str] = mapped_column(sa.String(200), default="")
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    author: Mapped[User] = relationship()


class ArticleFeedback(db.Model):
    """"Did this answer your question?": one answer per person (or browser session)
    and article; answering again changes it."""

    __tablename__ = "kb_feedback"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "voter"),
        sa.Index("ix_kb_feedback_article_created", "article_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_articles.id", ondelete="CASCADE"))
    #: ``u:<user id>`` or ``s:<session id>``: who answered, without more personal data.
    voter: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    helpful: Mapped[bool]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    #: The reader came from the ask form's suggestions: a "yes" is a deflected question.
    from_ask: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ArticleLink(db.Model):
    """A post that links an article (``[[kb:slug]]`` or the article's address)."""

    __tablename__ = "kb_article_links"
    __table_args__ = (sa.Index("ix_kb_article_links_article", "article_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"), index=True)
