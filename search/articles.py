"""Knowledge-base articles as a kind of search document (``article:<id>``).

Published articles only; their summary is indexed with the title's weight so an
article that answers the question outranks the threads that asked it.
"""
from __future__ import annotations

from typing import Any, Iterator

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import selectinload

from forum import events
from forum.db import aware
from forum.extensions import db
from forum.kb.models import Article, ArticleStatus
from forum.markup import html_text
from forum.permissions import can

from . import documents, indexing, queries


def article_docs(ids: list[int]) -> dict[int, documents.Doc | None]:
    out: dict[int, documents.Doc | None] = {i: None for i in ids}
    rows = db.session.execute(sa.select(Article).where(Article.id.in_(ids), Article.status == ArticleStatus.PUBLISHED)
                              .options(selectinload(Article.tags), selectinload(Article.category))).scalars()
    for a in rows:
        out[a.id] = documents.Doc(
            key=documents.key("article", a.id), kind="article", object_id=a.id,
            title=f"{a.title}. {a.summary}", body=documents._clip(html_text(a.body_html)),
            tags=[t.name for t in a.tags], category=a.category.slug, solved=True, status="published",
            score=max(a.helpful - a.unhelpful, 0), created_at=aware(a.published_at or a.created_at),
            activity_at=aware(a.updated_at))
    return out


def article_ids(batch: int = 1000) -> Iterator[list[int]]:
    last = 0
    while True:
        ids = list(db.session.execute(sa.select(Article.id).where(
            Article.id > last, Article.status == ArticleStatus.PUBLISHED).order_by(Article.id).limit(batch)).scalars())
        if not ids:
            return
        yield ids
        last = ids[-1]


def _articles(ids: list[int], viewer: Any) -> dict[int, Article]:
    rows = db.session.execute(sa.select(Article).where(Article.id.in_(ids), Article.status == ArticleStatus.PUBLISHED)
                              .options(selectinload(Article.category), selectinload(Article.tags))).scalars()
    return {a.id: a for a in rows if can(viewer, "kb.read", a)}


def _texts(articles: dict[int, Article]) -> dict[int, str]:
    return {a.id: f"{a.summary} {html_text(a.body_html)}" for a in articles.values()}


def init_app(app: Flask) -> None:
    documents.register_kind(app, "article", article_docs, article_ids)
    queries.register_kind(app, "article", "Articles", _articles, _texts)
    events.listen(app, events.ArticleChanged, lambda e: indexing.mark(documents.key("article", e.article_id)))
