"""What the search log adds to an escalation: the searches the asker ran before
asking, and the knowledge-base articles they opened from the suggestions and asked
anyway, so the help desk's agent does not send the same articles again.

The search log knows which browser session led to a question (``asked_thread_id``,
set while asking); the session's earlier rows are the searches. Only rows from the
asker's account or from before they logged in count: a shared browser does not leak
someone else's searches. Registered through
:func:`forum.escalation.payload.context_provider`; both providers only read.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from forum.db import MAX_ID
from forum.escalation.models import Escalation
from forum.escalation.payload import context_provider
from forum.extensions import db
from forum.kb.models import Article, ArticleStatus
from forum.models import Thread

from . import documents
from .models import SearchLog

#: Searches sent with an escalation, the latest ones before asking.
MAX_SEARCHES = 20


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _before_asking(thread: Thread):
    """The asker's log rows, from the sessions that led to ``thread``, up to when it was asked."""
    sessions = (sa.select(SearchLog.session_id).where(SearchLog.asked_thread_id == thread.id,
                                                     SearchLog.session_id != "").distinct())
    return (sa.select(SearchLog).where(
        SearchLog.session_id.in_(sessions), SearchLog.created_at <= thread.created_at,
        sa.or_(SearchLog.user_id.is_(None), SearchLog.user_id == thread.author_id)))


def searches(thread: Thread, _escalation: Escalation) -> list[dict[str, Any]]:
    """The last searches and suggestions before the question, oldest first."""
    rows = db.session.execute(_before_asking(thread).order_by(SearchLog.created_at.desc(), SearchLog.id.desc())
                              .limit(MAX_SEARCHES)).scalars().all()
    return [{"query": r.query, "source": r.source, "results": r.results, "created_at": _iso(r.created_at),
             "opened_key": r.opened_key} for r in reversed(rows)]


def opened_articles(thread: Thread, _escalation: Escalation) -> list[dict[str, Any]]:
    """Published articles the asker opened from the suggestions while asking, in the
    order they first opened them."""
    rows = db.session.execute(_before_asking(thread).where(
        SearchLog.source == "suggest", SearchLog.opened_key.like("article:%"))
        .order_by(SearchLog.opened_at, SearchLog.id)).scalars().all()
    order: list[int] = []
    for row in rows:
        parsed = documents.parse_key(row.opened_key or "")
        if parsed and parsed[0] == "article" and parsed[1] not in order and 0 < parsed[1] <= MAX_ID:
            order.append(parsed[1])
    if not order:
        return []
    found = {a.id: a for a in db.session.execute(
        sa.select(Article).where(Article.id.in_(order), Article.status == ArticleStatus.PUBLISHED)).scalars()}
    base = current_app.config["BASE_URL"].rstrip("/")
    return [{"slug": a.slug, "title": a.title, "summary": a.summary, "url": f"{base}/kb/{a.slug}",
             "helpful": a.helpful, "unhelpful": a.unhelpful, "source": "opened"} for a in (found[i] for i in order if i in found)]


def init_app(app: Flask) -> None:
    context_provider(app, "searches", searches)
    context_provider(app, "kb_articles", opened_articles)
