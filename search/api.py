"""Search in the JSON API: ``GET /api/v1/search`` and ``GET /api/v1/suggest``.

Both read like the pages (same parsing, same hydration and filtering in the
database). ``cursor`` is opaque: pass back the ``next_cursor`` of the previous page.
"""
from __future__ import annotations

import base64
from typing import Any

from flask import Flask, current_app, request, url_for

from forum.api import auth, plugin_blueprint, register, serializers
from forum.api.openapi import ID, TEXT, _obj, _op, _query, _ref
from forum.errors import Invalid
from forum.web import problem

from . import queries
from .backends.base import MAX_QUERY_CHARS, SORTS, STATUSES

bp = plugin_blueprint("search_api", __name__)
MAX_OFFSET = 10_000


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        offset = int(text[1:]) if text.startswith("o") else -1
    except (ValueError, UnicodeDecodeError):
        offset = -1
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid({"cursor": "Pass back the next_cursor of the previous page, unchanged."})
    return offset


def _result(result: queries.Result, snippet: bool = True) -> dict[str, Any]:
    item = result.item
    out: dict[str, Any] = {"kind": result.kind, "id": item.id, "title": item.title}
    if result.kind == "thread":
        out.update({"status": item.status.value, "solved": item.is_solved, "score": item.score,
                    "answer_count": item.answer_count, "url": serializers.thread(item)["url"]})
    elif result.kind == "article":
        out.update({"slug": item.slug, "summary": item.summary,
                    "url": url_for("kb.article", slug=item.slug, _external=True)})
    if snippet:
        out["snippet_html"] = str(result.snippet)
    return out


@bp.get("/search")
def search():
    """Threads matching ``q``, best first (or newest, or most voted)."""
    limit = 20
    args = {k: request.args.get(k) for k in ("q", "category", "tag", "status", "kind", "sort")}
    q = queries.parse({**args, "page": "1"}, limit=limit)
    if not q.words:
        raise Invalid({"q": "Give some words to search for."})
    q.offset = _offset(request.args.get("cursor"))
    page = queries.search(q, auth.current_user(), source="api")
    if page.unavailable:
        return problem(503, "Service Unavailable", queries.REBUILDING)
    return {
        "results": [_result(r) for r in page.results], "total": page.total,
        "corrected_query": page.corrected,
        "next_cursor": _cursor(q.offset + limit) if page.has_next and q.offset + limit <= MAX_OFFSET else None,
    }


@bp.get("/suggest")
def suggest():
    """Threads like a question being typed: for "similar questions" while asking."""
    text = request.args.get("q") or ""
    if len(text) > MAX_QUERY_CHARS:
        raise Invalid({"q": f"Send at most {MAX_QUERY_CHARS} characters: the title and the start of the body."})
    results, log_id = queries.suggest(text, auth.current_user())
    return {"results": [_result(r, snippet=False) for r in results], "search_log_id": log_id,
            "min_chars": current_app.config["SUGGEST_MIN_CHARS"]}


# -- The OpenAPI part --------------------------------------------------------------

RESULT = {
    "kind": {"type": "string", "enum": ["thread", "article"]}, "id": ID, "title": TEXT,
    "slug": {"type": "string", "description": "Articles: the address under /kb/."},
    "summary": {"type": "string", "description": "Articles: the answer in a sentence or two."},
    "status": {"type": "string", "enum": ["open", "solved", "escalated", "closed"]},
    "solved": {"type": "boolean"}, "score": {"type": "integer"},
    "answer_count": {"type": "integer", "minimum": 0},
    "url": {"type": "string", "format": "uri", "description": "The page in the browser."},
}
OPTIONAL = ("status", "solved", "score", "answer_count", "slug", "summary")


def openapi_part() -> dict[str, Any]:
    q = {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS},
         "description": "Words, as typed; quotes, operators and field names are searched as plain words."}
    return {
        "paths": {
            "/search": {"get": _op(
                "search", "Search threads.", ok="200", schema="SearchResults", errors=(422, 503), params=(
                    q, _query("category", {"type": "string"}, "A category's slug."),
                    _query("tag", {"type": "string"}, "A tag."),
                    _query("status", {"type": "string", "enum": list(STATUSES)}, "Solved or unsolved only."),
                    _query("kind", {"type": "string", "enum": list(queries.KINDS)}, "Only this kind."),
                    _query("sort", {"type": "string", "enum": list(SORTS), "default": "relevance"}, "Order."),
                    _query("cursor", {"type": "string"}, "The previous page's next_cursor.")),
                description="503 while the index is being rebuilt.")},
            "/suggest": {"get": _op(
                "suggest", "Threads similar to a question being typed.", ok="200", schema="Suggestions",
                errors=(422,), params=({**q, "description": "The title, and the start of the body."},),
                description="Empty until the text is min_chars long.")},
        },
        "schemas": {
            "SearchResult": _obj({**RESULT, "snippet_html": {
                "type": "string", "description": "The best matching passage; matches in <mark>, the rest escaped."}},
                optional=OPTIONAL),
            "SearchResults": _obj({
                "results": {"type": "array", "items": _ref("SearchResult")},
                "total": {"type": "integer", "minimum": 0},
                "corrected_query": {"type": ["string", "null"], "description": "The query with typos fixed, if any."},
                "next_cursor": {"type": ["string", "null"]}}),
            "Suggestion": _obj(RESULT, optional=OPTIONAL),
            "Suggestions": _obj({
                "results": {"type": "array", "items": _ref("Suggestion")},
                "search_log_id": {"type": ["integer", "null"],
                                  "description": "Pass as `log` to /search/open to record which one was opened."},
                "min_chars": {"type": "integer"}}),
        },
    }


def init_app(app: Flask) -> None:
    register(app, bp, openapi_part)
