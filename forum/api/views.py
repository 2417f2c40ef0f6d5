"""The API's endpoints: thin views over the same services and queries as the pages.

Each view authenticates (:mod:`.auth`), reads its input (:mod:`.inputs`), asks the
policy or lets the service ask it, calls one service and serialises the result.
Errors become problem documents in :mod:`.problems`.
"""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, request, url_for

from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..models import Post, Thread, User, Vote
from ..permissions import can
from ..ratelimit import posting_limit
from ..threads import queries, services
from ..threads.validation import TAG_RE, normalize_tag
from . import auth, problems, serializers
from .inputs import json_body, optional_text, query_int
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(auth.authenticate)
problems.register(bp)

SLUG_RE = re.compile(r"^[a-z0-9-]{1,60}$")
#: Base64url of a (timestamp, id) pair is far shorter; anything longer is not ours.
MAX_CURSOR = 200


@bp.get("/openapi.json")
def openapi():
    return document()


@bp.get("/me")
def me():
    return serializers.me(auth.require_user())


@bp.get("/categories")
def categories():
    return {"items": [serializers.category(c) for c in queries.categories()]}


@bp.get("/threads")
def list_threads():
    """Visible threads by latest activity, ``limit`` per page, continued by ``cursor``."""
    args = request.args
    category = tag = None
    if slug := args.get("category"):
        category = queries.get_category_by_slug(slug) if SLUG_RE.match(slug) else None
        if category is None:
            raise Invalid({"category": "No category has this slug; GET /api/v1/categories lists them."})
    if name := args.get("tag"):
        name = normalize_tag(name)
        if len(name) > current_app.config["MAX_TAG_CHARS"] or not TAG_RE.match(name):
            raise Invalid({"tag": "This is not a tag name."})
        tag = queries.get_tag(name)
        if tag is None:
            # A tag nobody has used yet simply has no threads.
            return {"items": [], "next_cursor": None}
    cursor = args.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR:
        raise Invalid({"cursor": "This cursor is not one we handed out; start from the first page."})
    limit = query_int("limit", current_app.config["PAGE_SIZE"], low=1, high=100)
    page = queries.list_threads("latest", category=category, tag=tag, status=args.get("status") or None,
                                cursor=cursor, limit=limit)
    return {"items": [serializers.thread(t) for t in page.items], "next_cursor": page.next_cursor}


@bp.post("/threads")
@posting_limit
def create_thread():
    user = auth.require_user()
    data = json_body(allowed={"title", "body", "category", "tags"})
    thread = services.ask(author=user, title=data.get("title"), body=data.get("body"),
                          category_id=_category_id(data.get("category")), tags=data.get("tags"))
    body = serializers.thread_page(queries.thread_page(thread, user))
    return body, 201, {"Location": url_for("api.get_thread", thread_id=thread.id, _external=True)}


@bp.get("/threads/<int:thread_id>")
def get_thread(thread_id: int):
    thread = _readable_thread(thread_id)
    return serializers.thread_page(queries.thread_page(thread, auth.current_user()))


@bp.post("/threads/<int:thread_id>/answers")
@posting_limit
def create_answer(thread_id: int):
    user = auth.require_user()
    thread = _readable_thread(thread_id)
    data = json_body(allowed={"body"})
    post = services.post_answer(thread, author=user, body=data.get("body"))
    return (serializers.post(post, post.thread), 201,
            {"Location": url_for("api.get_post", post_id=post.id, _external=True)})


@bp.post("/threads/<int:thread_id>/accept")
def accept(thread_id: int):
    user = auth.require_user()
    thread = _readable_thread(thread_id)
    data = json_body(allowed={"post_id"})
    answer = _answer_in(thread, data.get("post_id"), user)
    return serializers.thread(services.accept_answer(answer, by=user))


@bp.delete("/threads/<int:thread_id>/accept")
def unaccept(thread_id: int):
    user = auth.require_user()
    thread = _readable_thread(thread_id)
    if thread.accepted_post_id is None:
        raise NotFound("This thread has no accepted answer.")
    return serializers.thread(services.unaccept_answer(thread, by=user))


@bp.get("/posts/<int:post_id>")
def get_post(post_id: int):
    post = _readable_post(post_id)
    return serializers.post(post, post.thread, _my_vote(auth.current_user(), post))


@bp.patch("/posts/<int:post_id>")
def edit_post(post_id: int):
    """Change a post. Leave a field out to keep it; title, tags and category are
    for questions only."""
    user = auth.require_user()
    post = _readable_post(post_id)
    require(user, "post.edit", post)
    data = json_body(allowed={"body", "reason", "title", "tags", "category"})
    errors: dict[str, str] = {}
    if not post.is_question:
        for name in ("title", "tags", "category"):
            if name in data:
                errors[name] = "Only questions have a title, tags and a category."
    reason = optional_text(data, "reason", errors)
    if errors:
        raise Invalid(errors)
    post = services.edit_post(
        post, by=user, body=data.get("body", post.body), title=data.get("title"), tags=data.get("tags"),
        category_id=_category_id(data["category"]) if "category" in data else None, reason=reason or "")
    return serializers.post(post, post.thread, _my_vote(user, post))


@bp.get("/posts/<int:post_id>/revisions")
def revisions(post_id: int):
    post = _readable_post(post_id)
    return {"items": [serializers.revision(r, post) for r in queries.revisions(post)]}


@bp.post("/posts/<int:post_id>/vote")
def vote(post_id: int):
    user = auth.require_user()
    post = _readable_post(post_id)
    value = json_body(allowed={"value"}).get("value")
    # JSON's true is not 1, and 1.0 is not a vote: only the three integers are.
    if isinstance(value, bool) or not isinstance(value, int) or value not in (1, -1, 0):
        raise Invalid({"value": "A vote is 1 (up), -1 (down) or 0 (retract)."})
    score, mine = services.cast_vote(post, by=user, value=value)
    return {"score": score, "vote": mine}


def _readable_thread(thread_id: int) -> Thread:
    """The thread, or 404 when it does not exist or the caller may not see it."""
    thread = services.get_thread(thread_id)
    require(auth.current_user(), "thread.read", thread)
    return thread


def _readable_post(post_id: int) -> Post:
    post = services.get_post(post_id)
    require(auth.current_user(), "thread.read", post.thread)
    require(auth.current_user(), "post.read", post)
    return post


def _answer_in(thread: Thread, post_id: Any, user: User) -> Post:
    """The answer ``post_id`` names in ``thread``; anything else is a 422 on the field."""
    try:
        answer = services.get_post(post_id) if isinstance(post_id, int) else None
    except NotFound:
        answer = None
    if answer is None or answer.thread_id != thread.id or answer.is_question or not can(user, "post.read", answer):
        raise Invalid({"post_id": "Give the id of an answer in this thread."})
    return answer


def _category_id(value: Any) -> int:
    """The category id the services take, from an id or a slug.

    Whatever names no category becomes -1, an id no row has, so the service reports
    ``category`` together with every other problem in the request.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and SLUG_RE.match(value):
        category = queries.get_category_by_slug(value)
        if category is not None:
            return category.id
    return -1


def _my_vote(user: User | None, post: Post) -> int:
    if user is None:
        return 0
    value = db.session.execute(
        sa.select(Vote.value).where(Vote.user_id == user.id, Vote.post_id == post.id)).scalar_one_or_none()
    return value or 0
