"""Searching as the pages and the API see it: parse, ask the backend, hydrate from the
database in rank order, filter again there, add snippets, log.

The database has the last word: a result whose thread is gone, hidden, queued or in
a state the viewer may not read is dropped here even if the index still has it.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

import sqlalchemy as sa
from flask import Flask, current_app, has_request_context, request, session
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from forum.db import get_by_id, utcnow, write_transaction
from forum.errors import Invalid
from forum.extensions import db
from forum.markup import html_text
from forum.models import Category, Post, PostState, Thread
from forum.permissions import can

from . import documents
from .backends.base import MAX_QUERY_CHARS, SORTS, STATUSES, Hits, IndexUnavailable, SearchQuery, clean_text
from .indexing import backend, request_rebuild
from .models import SearchLog

KINDS = {"thread": "Questions", "article": "Articles"}
#: How long after a search an asked question counts as "asked anyway".
ASKED_WINDOW = timedelta(minutes=30)
_EMAIL = re.compile(r"\S+@\S+")
_LONG_NUMBER = re.compile(r"\d{6,}")
REBUILDING = "Search is being rebuilt and will be back in a minute. Browse the categories meanwhile."


@dataclass
class Result:
    key: str
    kind: str
    item: Any
    snippet: Markup


@dataclass
class ResultPage:
    query: SearchQuery
    results: list[Result] = field(default_factory=list)
    total: int = 0
    corrected: str | None = None
    unavailable: bool = False
    log_id: int | None = None

    @property
    def page(self) -> int:
        return self.query.offset // self.query.limit + 1

    @property
    def has_next(self) -> bool:
        return self.query.offset + self.query.limit < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.limit))


def parse(args: Any, *, limit: int | None = None) -> SearchQuery:
    """A :class:`SearchQuery` from request arguments; :class:`Invalid` says what is wrong."""
    errors: dict[str, str] = {}
    raw = args.get("q") or ""
    if len(raw) > MAX_QUERY_CHARS:
        errors["q"] = f"Search for at most {MAX_QUERY_CHARS} characters: the words that matter most."
    text = clean_text(raw[:MAX_QUERY_CHARS])
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        errors["sort"] = "Sort by relevance, newest or votes."
    status = args.get("status") or ""
    if status not in ("", *STATUSES):
        errors["status"] = "Status is solved or unsolved."
    kind = args.get("kind") or ""
    if kind not in ("", *KINDS):
        errors["kind"] = "Unknown kind of result."
    per_page = limit or current_app.config["SEARCH_PAGE_SIZE"]
    page_raw = args.get("page") or "1"
    page = int(page_raw) if page_raw.isdigit() and len(page_raw) < 6 else 0
    if page < 1 or page > 500:
        errors["page"] = "Pages go from 1 to 500."
    if errors:
        raise Invalid(errors)
    return SearchQuery(text=text, category=(args.get("category") or "")[:60],
                       tag=(args.get("tag") or "").strip().lower()[:25], status=status, kind=kind, sort=sort,
                       offset=(page - 1) * per_page, limit=per_page)


# -- hydration -----------------------------------------------------------------------

Hydrator = Callable[[list[int], Any], dict[int, Any]]


def _threads(ids: list[int], viewer: Any) -> dict[int, Thread]:
    rows = db.session.execute(
        sa.select(Thread).where(Thread.id.in_(ids), Thread.state == PostState.VISIBLE)
        .options(selectinload(Thread.category), selectinload(Thread.tags), selectinload(Thread.author))).scalars()
    return {t.id: t for t in rows if can(viewer, "thread.read", t)}


def _thread_texts(threads: dict[int, Thread]) -> dict[int, str]:
    """The question, then the accepted answer: what a snippet is cut from."""
    wanted = {t.question_id for t in threads.values()} | {t.accepted_post_id for t in threads.values()}
    wanted.discard(None)
    bodies = dict(db.session.execute(sa.select(Post.id, Post.body_html).where(
        Post.id.in_(wanted), Post.state == PostState.VISIBLE)).all()) if wanted else {}
    return {t.id: " ".join(html_text(bodies.get(i, "")) for i in (t.question_id, t.accepted_post_id) if i)
            for t in threads.values()}


def register_kind(app: Flask, kind: str, label: str, hydrate: Hydrator,
                  texts: Callable[[dict[int, Any]], dict[int, str]]) -> None:
    """How results of ``kind`` are loaded and cut into snippets (the KB's articles)."""
    app.extensions["search"]["hydrators"][kind] = (hydrate, texts)
    KINDS[kind] = label


def hydrate(keys: list[str], viewer: Any) -> list[tuple[str, str, Any, str]]:
    """``(key, kind, item, text)`` for each key the viewer may see, in ``keys``' order."""
    by_kind: dict[str, list[int]] = {}
    for k in keys:
        parsed = documents.parse_key(k)
        if parsed:
            by_kind.setdefault(parsed[0], []).append(parsed[1])
    loaded: dict[str, tuple[dict[int, Any], dict[int, str]]] = {}
    registry = current_app.extensions["search"]["hydrators"]
    for kind, ids in by_kind.items():
        if kind in registry:
            items = registry[kind][0](ids, viewer)
            loaded[kind] = (items, registry[kind][1](items))
    out = []
    for k in keys:
        parsed = documents.parse_key(k)
        if parsed and parsed[0] in loaded and parsed[1] in loaded[parsed[0]][0]:
            items, texts = loaded[parsed[0]]
            out.append((k, parsed[0], items[parsed[1]], texts.get(parsed[1], "")))
    return out


# -- searching -----------------------------------------------------------------------

def search(q: SearchQuery, viewer: Any, *, source: str = "search") -> ResultPage:
    """One page of results, hydrated, with snippets; logged."""
    page = ResultPage(q)
    if not q.words:
        return page
    try:
        hits: Hits = backend().search(q)
    except IndexUnavailable:
        request_rebuild()
        page.unavailable = True
        return page
    found = hydrate(hits.keys, viewer)
    snippets = backend().snippets({k: text for k, _kind, _item, text in found}, q, hits.terms)
    page.results = [Result(k, kind, item, Markup(snippets.get(k, ""))) for k, kind, item, _text in found]
    # Results the database dropped are not counted on the last page.
    page.total = hits.total - (len(hits.keys) - len(found))
    page.corrected = hits.corrected
    page.log_id = log(source, q.text, page.total)
    return page


def suggest(text: str, viewer: Any, *, limit: int | None = None, source: str = "suggest") -> tuple[list[Result], int | None]:
    """Threads (and later articles) like the question being typed, best first."""
    text = clean_text(text[:MAX_QUERY_CHARS])
    limit = limit or current_app.config["SUGGEST_LIMIT"]
    if len(text) < current_app.config["SUGGEST_MIN_CHARS"]:
        return [], None
    try:
        keys = backend().suggest(text, limit * 2)
    except IndexUnavailable:
        request_rebuild()
        return [], None
    # An article that matches comes before the threads: it is the reviewed answer.
    found = sorted(hydrate(keys, viewer), key=lambda r: r[1] != "article")[:limit]
    results = [Result(k, kind, item, Markup("")) for k, kind, item, _text in found]
    return results, log(source, text, len(results))


def categories() -> list[Category]:
    return list(db.session.execute(sa.select(Category).order_by(Category.position, Category.name)).scalars())


# -- the search log ------------------------------------------------------------------

def session_id() -> str:
    """A random id for this browser session; nothing personal. API clients without a
    session cookie get none (and no cookie either); the ask page's script has one."""
    if not has_request_context():
        return ""
    sid = session.get("search_sid")
    if not sid and not request.path.startswith("/api/"):
        sid = session["search_sid"] = secrets.token_hex(8)
    return sid or ""


def scrub(text: str) -> str:
    """The query as logged: e-mail addresses and long numbers (orders, phones) removed."""
    return _LONG_NUMBER.sub("[number]", _EMAIL.sub("[email]", text))[:200]


def log(source: str, text: str, results: int) -> int:
    from flask_login import current_user

    user_id = current_user.id if has_request_context() and current_user.is_authenticated else None
    with write_transaction():
        row = SearchLog(source=source, query=scrub(text), results=results, session_id=session_id(),
                        user_id=user_id, created_at=utcnow())
        db.session.add(row)
    return row.id


def record_open(log_id: int, key: str) -> str | None:
    """Note which result a search led to (only the searcher's own session can);
    returns where the search came from (``search``, ``suggest``), if it is theirs."""
    with write_transaction():
        row = get_by_id(SearchLog, log_id)
        if row is None or not row.session_id or row.session_id != session.get("search_sid"):
            return None
        if row.opened_key is None:
            row.opened_key, row.opened_at = key[:40], utcnow()
        return row.source


def record_asked(thread_id: int) -> None:
    """In the asking transaction: this session's recent searches led to a question."""
    sid = session.get("search_sid") if has_request_context() else None
    if not sid:
        return
    db.session.execute(sa.update(SearchLog).where(
        SearchLog.session_id == sid, SearchLog.asked_thread_id.is_(None),
        SearchLog.created_at > utcnow() - ASKED_WINDOW).values(asked_thread_id=thread_id))


def init_app(app: Flask) -> None:
    app.extensions["search"]["hydrators"]["thread"] = (_threads, _thread_texts)
