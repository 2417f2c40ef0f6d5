"""Search's pages: ``/search``, the link that records which result was opened, the
header's search box and the ask page's similar questions.

The forum's templates know nothing of search: this module provides their
``header_search`` and ``ask_suggestions`` hooks (:mod:`forum.hooks`).
"""
from __future__ import annotations

from flask import Blueprint, Flask, abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from forum import hooks
from forum.errors import Invalid
from forum.threads.actions import thread_url

from . import documents, queries

bp = Blueprint("search", __name__)


def result_url(key: str, item) -> str:
    """Where a result leads (threads now; articles register their own later)."""
    kind = documents.parse_key(key)[0] if documents.parse_key(key) else ""
    if kind == "thread":
        return thread_url(item)
    if kind == "article":
        return url_for("kb.article", slug=item.slug)
    return "/"


def open_url(page_log_id: int | None, key: str) -> str:
    """The result's link: through ``/search/open`` when the search was logged."""
    if page_log_id is None:
        return ""
    return url_for("search.open_result", log=page_log_id, key=key)


@bp.get("/search")
def page():
    """Results for ``q`` with filters, sorts and pages; the empty query shows the form."""
    try:
        q = queries.parse(request.args)
    except Invalid as exc:
        return render_template("search/results.html", page=None, errors=exc.errors, args=request.args,
                               categories=queries.categories(), kinds=queries.KINDS), 400
    results = queries.search(q, current_user)
    return render_template("search/results.html", page=results, errors={}, args=request.args,
                           categories=queries.categories(), kinds=queries.KINDS), 503 if results.unavailable else 200


@bp.get("/search/open")
def open_result():
    """Record which result a search led to, then go there."""
    key = request.args.get("key") or ""
    log_raw = request.args.get("log") or ""
    parsed = documents.parse_key(key)
    if parsed is None:
        abort(404)
    found = queries.hydrate([key], current_user)
    if not found:
        abort(404)
    source = queries.record_open(int(log_raw), key) if log_raw.isdigit() and len(log_raw) < 18 else None
    url = result_url(key, found[0][2])
    if source == "suggest" and parsed[0] == "article":
        # The article page counts a "yes" from here as a question that was never asked.
        url += "?from=ask"
    return redirect(url)


def header_search() -> list[Markup]:
    return [Markup(render_template("search/_header_box.html"))]


def ask_suggestions(title: str, body: str, checked: bool) -> list[Markup]:
    """Similar threads under the title: found now when the asker pressed "Check for
    similar questions" (works without scripts), fetched while typing otherwise."""
    queries.session_id()  # the script's suggestions are logged in this browser's session
    results, log_id = (queries.suggest(f"{title} {body[:200]}", current_user) if checked and title.strip()
                       else ([], None))
    return [Markup(render_template("search/_ask_suggestions.html", results=results, log_id=log_id,
                                   checked=checked))]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    hooks.provide(app, "header_search", header_search)
    hooks.provide(app, "ask_suggestions", ask_suggestions)
    app.add_template_global(result_url, "search_result_url")
    app.add_template_global(open_url, "search_open_url")
