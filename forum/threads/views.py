"""Thread pages: the lists, the thread page, asking, answering, editing, the
revision history, and the staff's category pages.

Views are thin: parse the request, let ``can()`` or the service decide, call one
service, redirect. A rejected form is rendered again with status 400, showing every
value the person typed beside its error. The POST actions that also answer scripts
with JSON live in :mod:`.actions`.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from flask_login import current_user

from .. import markup, ratelimit
from ..errors import Forbidden, Invalid, NotFound, require
from ..models import Category, Post, Thread
from . import actions, diffs, queries, services
from .actions import acting_user, bad_request, post_url, readable_post, readable_thread, thread_url
from .validation import normalize_tag, slugify

bp = Blueprint("threads", __name__)
bp.add_app_template_global(thread_url, "thread_url")
bp.add_app_template_global(post_url, "post_url")
for _rule, _endpoint, _view in actions.ROUTES:
    bp.add_url_rule(_rule, _endpoint, _view, methods=["POST"])

#: The Markdown help shown under every editor.
EDITOR_HELP = "Markdown: **bold**, _italic_, `code`, ``` fenced code blocks ```, [links](https://example.com), lists."


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


def _preview(body: str) -> tuple[str | None, dict[str, str]]:
    """Render a no-JavaScript preview with the same renderer a saved post uses."""
    limit = current_app.config["MAX_POST_CHARS"]
    if len(body) > limit:
        return None, {"body": f"Posts are at most {limit:,} characters ({len(body):,} given)."}
    return markup.render(body), {}


def _query(*reserved: str) -> dict[str, str]:
    """The query string to carry over a redirect, minus names the route itself uses."""
    return {k: v for k, v in request.args.items() if k not in reserved and not k.startswith("_")}


def _wants_preview() -> bool:
    return "preview" in request.form


# --- lists -----------------------------------------------------------------------

def _list_page(template: str, **context: Any):
    """Render one page of a thread list; a broken ``cursor`` or ``view`` is a 400."""
    view = request.args.get("view") or "latest"
    try:
        page = queries.list_threads(view, category=context.get("category"), tag=context.get("tag"),
                                    cursor=request.args.get("cursor") or None,
                                    limit=current_app.config["PAGE_SIZE"])
    except Invalid as exc:
        return bad_request(exc.errors)
    return render_template(template, page=page, views=queries.VIEWS, is_first=not request.args.get("cursor"),
                           sidebar_categories=queries.categories(), sidebar_tags=queries.popular_tags(15),
                           **context)


@bp.route("/")
def index():
    return _list_page("threads/index.html")


@bp.route("/c/<slug>")
def category(slug: str):
    cat = queries.get_category_by_slug(slug)
    if cat is None:
        raise NotFound()
    return _list_page("threads/index.html", category=cat)


@bp.route("/tags/<name>")
def tag(name: str):
    found = queries.get_tag(name)
    if found is None:
        canonical = normalize_tag(name)
        if canonical and canonical != name and queries.get_tag(canonical) is not None:
            return redirect(url_for("threads.tag", name=canonical, **_query("name")), 301)
        raise NotFound()
    return _list_page("threads/index.html", tag=found)


@bp.route("/categories")
def categories():
    return render_template("threads/categories.html", categories=queries.categories())


@bp.route("/tags")
def tags():
    return render_template("threads/tags.html", tags=queries.popular_tags(120))


# --- the thread page and answering ---------------------------------------------------

def _thread_page(thread: Thread, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                 preview: str | None = None, status: int = 200):
    page = queries.thread_page(thread, acting_user())
    related = [t for t in queries.list_threads("latest", category=page.thread.category, limit=6).items
               if t.id != thread.id][:5]
    return render_template("threads/show.html", page=page, thread=page.thread, form=form or {},
                           errors=errors or {}, preview=preview, editor_help=EDITOR_HELP, related=related), status


@bp.route("/t/<int:thread_id>")
@bp.route("/t/<int:thread_id>/<slug>")
def show(thread_id: int, slug: str | None = None):
    """Show a thread; any other address for it moves permanently to the canonical one."""
    thread = readable_thread(thread_id)
    if slug != slugify(thread.title):
        return redirect(thread_url(thread, **_query("thread_id", "slug", "anchor")), 301)
    return _thread_page(thread)


@bp.route("/t/<int:thread_id>/answers", methods=["POST"])
@ratelimit.posting_limit
def answer(thread_id: int):
    thread = readable_thread(thread_id)
    form = _form("body")
    if _wants_preview():
        html, errors = _preview(form["body"])
        return _thread_page(thread, form=form, errors=errors, preview=html, status=400 if errors else 200)
    try:
        post = services.post_answer(thread, author=acting_user(), body=form["body"])
    except Invalid as exc:
        return _thread_page(thread, form=form, errors=exc.errors, status=400)
    flash("Your answer is posted.", "success")
    return redirect(post_url(post))


# --- asking ----------------------------------------------------------------------------

def _category_options() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in queries.categories()]


def _ask_page(form: dict[str, str], *, errors: dict[str, str] | None = None, preview: str | None = None,
              status: int = 200, checked: bool = False):
    return render_template("threads/ask.html", form=form, errors=errors or {}, preview=preview, checked=checked,
                           category_options=_category_options(), editor_help=EDITOR_HELP), status


@bp.route("/ask", methods=["GET", "POST"])
@ratelimit.posting_limit
def ask():
    """Ask a question. ``?title=`` (from search) and ``?category=`` fill the form in."""
    require(current_user, "thread.create")
    if request.method == "GET":
        limit = current_app.config["MAX_TITLE_CHARS"]
        form = {"title": request.args.get("title", "")[:limit], "body": "",
                "category": request.args.get("category", ""), "tags": request.args.get("tags", "")}
        return _ask_page(form)
    form = _form("title", "body", "category", "tags")
    if _wants_preview():
        html, errors = _preview(form["body"])
        return _ask_page(form, errors=errors, preview=html, status=400 if errors else 200)
    if request.form.get("check"):
        # "Check for similar questions": the form again, with what was typed and
        # whatever the ``ask_suggestions`` hook finds for it.
        return _ask_page(form, checked=True)
    try:
        thread = services.ask(author=acting_user(), title=form["title"], body=form["body"],
                              category_id=form["category"], tags=form["tags"])
    except Invalid as exc:
        return _ask_page(form, errors=exc.errors, status=400)
    flash("Your question is posted.", "success")
    return redirect(thread_url(thread))


@bp.errorhandler(RateLimitExceeded)
def _posting_too_fast(exc: RateLimitExceeded):
    """Refuse a question or answer over the limit without losing what was typed."""
    seconds = ratelimit.retry_after()
    errors = {"body": ratelimit.message(seconds)}
    if request.endpoint == "threads.answer":
        try:
            thread = readable_thread(request.view_args["thread_id"])
        except (Forbidden, NotFound):
            # The limit is checked before the view; a bad thread gets the plain 429 page.
            return ratelimit.too_many_requests(seconds)
        response = _thread_page(thread, form=_form("body"), errors=errors, status=429)
    else:
        response = _ask_page(_form("title", "body", "category", "tags"), errors=errors, status=429)
    response = current_app.make_response(response)
    response.headers["Retry-After"] = str(seconds)
    return response


# --- editing and history -------------------------------------------------------------

def _edit_page(post: Post, form: dict[str, str], *, errors: dict[str, str] | None = None,
               preview: str | None = None, status: int = 200):
    options = _category_options() if post.is_question else []
    return render_template("threads/edit.html", post=post, thread=post.thread, form=form, errors=errors or {},
                           preview=preview, category_options=options, editor_help=EDITOR_HELP), status


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    """Edit a post; for a question also its title, tags and category."""
    post = readable_post(post_id)
    require(current_user, "post.edit", post)
    thread = post.thread
    if request.method == "GET":
        form = {"body": post.body, "reason": ""}
        if post.is_question:
            form.update(title=thread.title, tags=", ".join(t.name for t in thread.tags),
                        category=str(thread.category_id))
        return _edit_page(post, form)
    names = ("body", "reason", "title", "tags", "category") if post.is_question else ("body", "reason")
    form = _form(*names)
    if _wants_preview():
        html, errors = _preview(form["body"])
        return _edit_page(post, form, errors=errors, preview=html, status=400 if errors else 200)
    before = post.revision_count
    extra = {"title": form["title"], "tags": form["tags"], "category_id": form["category"]} if post.is_question else {}
    try:
        post = services.edit_post(post, by=acting_user(), body=form["body"], reason=form["reason"], **extra)
    except Invalid as exc:
        return _edit_page(post, form, errors=exc.errors, status=400)
    if post.revision_count == before:
        flash("Nothing changed, so no new revision was saved.", "info")
    else:
        flash("Your edit is saved.", "success")
    return redirect(post_url(post))


@bp.route("/posts/<int:post_id>/revisions")
def revisions(post_id: int):
    """The public history of a post: every revision, newest first, with what it changed."""
    post = readable_post(post_id)
    return render_template("threads/revisions.html", post=post, thread=post.thread,
                           changes=diffs.changes(queries.revisions(post)))


# --- staff: categories -----------------------------------------------------------------

@bp.route("/admin/categories", methods=["GET", "POST"])
def manage_categories():
    require(current_user, "category.manage")
    form = {"name": "", "description": "", "position": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = _form("name", "description", "position")
        try:
            created = services.save_category(by=acting_user(), name=form["name"], description=form["description"],
                                              position=form["position"])
        except Invalid as exc:
            errors = exc.errors
        else:
            flash(f"Category “{created.name}” created.", "success")
            return redirect(url_for("threads.manage_categories"))
    return render_template("threads/admin_categories.html", categories=queries.categories(), form=form,
                           errors=errors), 400 if errors else 200


@bp.route("/admin/categories/<int:category_id>", methods=["GET", "POST"])
def edit_category(category_id: int):
    require(current_user, "category.manage")
    cat: Category = services.get_category(category_id)
    if request.method == "GET":
        form = {"name": cat.name, "description": cat.description, "position": str(cat.position),
                "auto_escalate": "1" if cat.auto_escalate else ""}
        return render_template("threads/admin_category.html", category=cat, form=form, errors={})
    form = _form("name", "description", "position", "auto_escalate")
    try:
        services.save_category(by=acting_user(), category=cat, name=form["name"], description=form["description"],
                               position=form["position"], auto_escalate=bool(form["auto_escalate"]))
    except Invalid as exc:
        return render_template("threads/admin_category.html", category=cat, form=form, errors=exc.errors), 400
    flash("Category saved.", "success")
    return redirect(url_for("threads.manage_categories"))
