"""The knowledge base's pages, and its parts of the thread page.

Readers get the index, the article (summary first, then the body, "did this answer
your question?", the threads that link it and related ones). Staff write, publish,
archive, review and restore revisions; they promote an answer from its thread, and
moderators answer a thread with an article. Views are thin: parse, authorize, call
one service, flash and redirect; a rejected form comes back with what was typed.
"""
from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import hooks, markup
from ..db import Conflict
from ..errors import Invalid, NotFound, require
from ..models import Post, Thread
from ..permissions import can
from ..threads import queries as thread_queries
from ..threads.actions import acting_user, action, post_url, readable_post, readable_thread, wants_json
from . import queries, services
from .models import Article

bp = Blueprint("kb", __name__)

EDITOR_HELP = ("Markdown: **bold**, _italic_, `code`, ``` fenced code blocks ```, [links](https://example.com), "
               "lists. Link another article with [[kb:its-slug]].")
FIELDS = ("title", "slug", "summary", "body", "category", "tags", "reason")


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


def _is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.is_staff)


def _voter(*, create: bool) -> str | None:
    """Who answers "did this help?": the account, else this browser's session (the
    same random id the search log uses, so a "yes" after a suggestion counts as a
    question not asked)."""
    if current_user.is_authenticated:
        return f"u:{current_user.id}"
    sid = session.setdefault("search_sid", secrets.token_hex(8)) if create else session.get("search_sid")
    return f"s:{sid}" if sid else None


def _article_url(article: Article, **values: Any) -> str:
    return url_for("kb.article", slug=article.slug, **values)


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/kb") and not target.startswith("//") else default


# -- reading ---------------------------------------------------------------------------

@bp.get("/kb")
def index():
    """Published articles by category, the most viewed and most helpful; staff also
    see their drafts and how many articles wait for review."""
    category = None
    if request.args.get("category"):
        category = queries.category_by_slug(request.args["category"])
        if category is None:
            raise NotFound()
    page = queries.index(staff=_is_staff(), category=category)
    return render_template("kb/index.html", page=page)


def _article_page(article: Article, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                  status: int = 200):
    linking = queries.linking_threads(article)
    exclude = {t.id for t in linking} | ({article.source_thread_id} if article.source_thread_id else set())
    from_ask = request.values.get("from") == "ask"
    return render_template(
        "kb/article.html", article=article, linking=linking, from_ask=from_ask,
        related=queries.related_threads(article, exclude=exclude),
        mine=queries.my_feedback(article, _voter(create=False)),
        source_visible=queries.source_visible(article),
        stale_reasons=queries.stale_reasons(article) if _is_staff() and article.is_published else [],
        reviewed_on=queries.reviewed_on(article), values=values or {}, errors=errors or {},
        ask_url=url_for("threads.ask", title=article.title, category=article.category_id)), status


@bp.get("/kb/<slug>")
def article(slug: str):
    """An article: the summary first, then the body, feedback and related threads."""
    found = services.get_article(slug)
    require(current_user, "kb.read", found)
    # Staff reading and a reader's own reload after answering "did this help?" are not views.
    if not _is_staff() and urlsplit(request.referrer or "").path != request.path:
        services.record_view(found)
    return _article_page(queries.article_page(slug))


@bp.post("/kb/<slug>/feedback")
@action
def feedback(slug: str):
    """"Did this answer your question?": yes or no, an optional comment; answering again
    changes the answer. ``from=ask`` marks a reader who came from the ask form."""
    found = services.get_article(slug)
    require(current_user, "kb.read", found)
    values = _form("helpful", "comment")
    helpful = {"yes": True, "no": False}.get(values["helpful"])
    try:
        row = services.feedback(found, voter=_voter(create=True), user=acting_user(),
                                helpful=helpful if helpful is not None else values["helpful"],
                                comment=values["comment"], from_ask=request.form.get("from") == "ask")
    except Invalid as exc:
        if wants_json():
            raise
        return _article_page(queries.article_page(slug), values=values, errors=exc.errors, status=400)
    if wants_json():
        return jsonify(helpful=row.helpful, comment=bool(row.comment), helpful_count=found.helpful,
                       unhelpful_count=found.unhelpful)
    return redirect(_article_url(found, _anchor="feedback"))


# -- writing (staff) ---------------------------------------------------------------------

def _category_options() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in thread_queries.categories()]


def _preview(body: str) -> tuple[str | None, dict[str, str]]:
    limit = current_app.config["MAX_POST_CHARS"]
    if len(body) > limit:
        return None, {"body": f"Articles are at most {limit:,} characters ({len(body):,} given)."}
    return markup.render(body), {}


def _editor(article: Article | None, form: dict[str, str], *, errors: dict[str, str] | None = None,
            preview: str | None = None, source: Post | None = None, status: int = 200):
    return render_template("kb/edit.html", article=article, form=form, errors=errors or {}, preview=preview,
                           source=source or (article.source_post if article else None),
                           category_options=_category_options(), editor_help=EDITOR_HELP,
                           min_summary=services.MIN_SUMMARY, max_summary=services.MAX_SUMMARY), status


def _promotion_form(post: Post) -> dict[str, str]:
    """What promoting ``post`` would fill in, for a draft finished by hand."""
    thread = post.thread
    return {"title": thread.title, "slug": "", "summary": services.summary_from(markup.html_text(post.body_html)),
            "body": post.body, "category": str(thread.category_id), "tags": ", ".join(t.name for t in thread.tags),
            "reason": f"Promoted from an answer by {post.author.name}"}


@bp.route("/kb/new", methods=["GET", "POST"])
def new():
    """Write a draft. ``?title=`` and ``?category=`` fill the form in; ``post=<id>``
    starts from a community answer (what promoting does, finished by hand)."""
    require(current_user, "kb.write")
    source = None
    post_id = request.values.get("post", "")
    if post_id:
        if not post_id.isdigit() or len(post_id) > 18:
            raise NotFound()
        source = readable_post(int(post_id))
        require(current_user, "kb.promote", source)
        existing = services.source_article(source.id)
        if existing is not None:
            flash("This answer is already an article.", "info")
            return redirect(url_for("kb.edit", slug=existing.slug))
    if request.method == "GET":
        form = _promotion_form(source) if source else {
            "title": request.args.get("title", "")[:current_app.config["MAX_TITLE_CHARS"]], "slug": "",
            "summary": "", "body": "", "category": request.args.get("category", ""), "tags": "", "reason": ""}
        return _editor(None, form, source=source)
    form = _form(*FIELDS)
    if "preview" in request.form:
        html, errors = _preview(form["body"])
        return _editor(None, form, errors=errors, preview=html, source=source, status=400 if errors else 200)
    try:
        article = services.create(by=acting_user(), title=form["title"], summary=form["summary"], body=form["body"],
                                  category_id=form["category"], tags=form["tags"], slug=form["slug"] or None,
                                  source_post=source, reason=form["reason"])
    except Invalid as exc:
        return _editor(None, form, errors=exc.errors, source=source, status=400)
    flash("Draft saved: only staff can see it until you publish it.", "success")
    return redirect(_article_url(article))


@bp.route("/kb/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    """Change an article; every change is a revision with its reason."""
    article = services.get_article(slug)
    require(current_user, "kb.write", article)
    if request.method == "GET":
        form = {"title": article.title, "slug": article.slug, "summary": article.summary, "body": article.body,
                "category": str(article.category_id), "tags": ", ".join(t.name for t in article.tags), "reason": ""}
        return _editor(article, form, preview=article.body_html)
    form = _form(*FIELDS)
    if "preview" in request.form:
        html, errors = _preview(form["body"])
        return _editor(article, form, errors=errors, preview=html, status=400 if errors else 200)
    before = article.revision_count
    try:
        article = services.edit(article, by=acting_user(), title=form["title"], summary=form["summary"],
                                body=form["body"], category_id=form["category"], tags=form["tags"],
                                slug=form["slug"] or None, reason=form["reason"])
    except Invalid as exc:
        return _editor(article, form, errors=exc.errors, status=400)
    if article.revision_count == before:
        flash("Nothing changed, so no new revision was saved.", "info")
    else:
        flash(f"Saved as revision {article.revision_count}.", "success")
    return redirect(_article_url(article))


STATUS_ACTIONS = {
    "publish": (services.publish, "Published: everyone can read it now."),
    "archive": (services.archive, "Archived: readers get “not found” until it is published again."),
    "reviewed": (services.mark_reviewed, "Marked as reviewed today."),
}


def _status_action(name: str, slug: str):
    article = services.get_article(slug)
    require(current_user, "kb.write", article)
    service, message = STATUS_ACTIONS[name]
    try:
        article = service(article, by=acting_user())
    except Conflict as exc:
        flash(str(exc) if "already" in str(exc) else "Someone else changed this article; try again.", "info")
        return redirect(_article_url(article))
    if name == "publish" and article.source_post_id:
        message = "Published: everyone can read it now, and the answer it came from links to it."
    flash(message, "success")
    return redirect(_safe_next(_article_url(article)))


@bp.post("/kb/<slug>/publish")
@action
def publish(slug: str):
    return _status_action("publish", slug)


@bp.post("/kb/<slug>/archive")
@action
def archive(slug: str):
    return _status_action("archive", slug)


@bp.post("/kb/<slug>/reviewed")
@action
def reviewed(slug: str):
    return _status_action("reviewed", slug)


# -- history (staff) -----------------------------------------------------------------------

def _number(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.get("/kb/<slug>/revisions")
def revisions(slug: str):
    """Every revision (number, who, when, why) and the difference between any two."""
    article = services.get_article(slug)
    require(current_user, "kb.write", article)
    revs = queries.revisions(article)
    by_number = {r.number: r for r in revs}
    newest = revs[0].number if revs else 0
    new_n = _number("to") or newest
    old_n = _number("from") or max(new_n - 1, 1)
    errors = {}
    if ("from" in request.args or "to" in request.args) and (old_n not in by_number or new_n not in by_number):
        errors["compare"] = f"Choose two revisions between 1 and {newest}."
    comparison = None
    if not errors and old_n in by_number and new_n in by_number and old_n != new_n:
        old, new_ = sorted((by_number[old_n], by_number[new_n]), key=lambda r: r.number)
        comparison = queries.compare(old, new_)
    return render_template("kb/revisions.html", article=article, revisions=revs, comparison=comparison,
                           old_n=old_n, new_n=new_n, errors=errors), 400 if errors else 200


@bp.post("/kb/<slug>/revisions/<int:number>/restore")
@action
def restore(slug: str, number: int):
    """Make an earlier revision the current text, as a new revision."""
    article = services.get_article(slug)
    require(current_user, "kb.write", article)
    before = article.revision_count
    article = services.restore(article, number, by=acting_user())
    if article.revision_count == before:
        flash(f"Revision {number} is the current text already.", "info")
    else:
        flash(f"Revision {number} restored as revision {article.revision_count}.", "success")
    return redirect(url_for("kb.revisions", slug=article.slug))


@bp.get("/kb/review")
def review():
    """Published articles due for another look: old, or too many "no" answers."""
    require(current_user, "kb.write")
    articles = queries.stale()
    return render_template("kb/review.html", articles=articles, reasons={a.id: queries.stale_reasons(a)
                                                                        for a in articles},
                           reviewed_on=queries.reviewed_on)


# -- the thread page's parts ---------------------------------------------------------------

@bp.post("/posts/<int:post_id>/promote")
@action
def promote(post_id: int):
    """Turn a community answer into a draft article, then finish it on the edit page."""
    post = readable_post(post_id)
    require(current_user, "kb.promote", post)
    existing = services.source_article(post.id)
    try:
        article = services.promote(post, by=acting_user())
    except Invalid as exc:
        # The answer is too short for a summary, say: finish the draft by hand.
        return _editor(None, _promotion_form(post), errors=exc.errors, source=post, status=400)
    if existing is not None:
        flash("This answer is already an article.", "info")
    else:
        flash(f"Draft created from {post.author.name}'s answer. Check the summary, then publish.", "success")
    return redirect(url_for("kb.edit", slug=article.slug))


def _answer_with_page(thread: Thread, form: dict[str, str], errors: dict[str, str] | None = None, status: int = 200):
    return render_template("kb/answer_with.html", thread=thread, form=form, errors=errors or {}), status


@bp.route("/t/<int:thread_id>/answer-with-article", methods=["GET", "POST"])
@action
def answer_with(thread_id: int):
    """Answer a thread with an article's card and an optional note, in one step."""
    thread = readable_thread(thread_id)
    require(current_user, "kb.answer_with", thread)
    if request.method == "GET":
        return _answer_with_page(thread, {"article": request.args.get("article", ""), "note": ""})
    form = _form("article", "note")
    article = queries.article_by_reference(form["article"])
    if article is None or not can(current_user, "kb.read", article):
        return _answer_with_page(thread, form, {"article": "There is no article at that address: paste its link "
                                                           "or its slug (the part after /kb/)."}, 400)
    try:
        post = services.answer_with(thread, article, by=acting_user(), note=form["note"])
    except Invalid as exc:
        # The answer's text is the card plus the note: its errors are the note's.
        errors = {("note" if k == "body" else k): v for k, v in exc.errors.items()}
        return _answer_with_page(thread, form, errors, 400)
    flash(f"Answered with “{article.title}”.", "success")
    return redirect(post_url(post))


def thread_articles(thread: Thread) -> queries.ThreadArticles:
    """For the thread page's templates: promoted and linked articles (cached per request)."""
    return queries.for_thread(thread, acting_user())


def nav_links() -> list[tuple[str, str, str]]:
    return [("kb.index", "Knowledge base", url_for("kb.index"))]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(thread_articles, "kb_thread")
    hooks.provide(app, "nav_links", nav_links)

