"""The knowledge base in the JSON API: list and read articles, write them (staff),
promote an answer, and say whether an article helped.

The endpoints sit under ``/api/v1`` with the API's token authentication and problem
documents (:func:`forum.api.plugin_blueprint`), call the same services as the pages,
and describe themselves in the OpenAPI document through :func:`forum.api.register`.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask import Flask, current_app, request, url_for

from ..api import auth, plugin_blueprint, register, serializers
from ..api.inputs import json_body, query_int
from ..api.openapi import (CATEGORY_INPUT, ID, NULLABLE_TIME, TAGS, TEXT, TIME, WRITE_ERRORS, _obj, _op, _query,
                           _ref)
from ..api.views import MAX_CURSOR, SLUG_RE, _category_id, _readable_post
from ..errors import Forbidden, Invalid, require
from ..models import User
from ..permissions import LOGIN, Decision, can
from ..threads import queries as thread_queries
from ..threads.validation import TAG_RE, normalize_tag
from . import queries, services
from .models import Article, ArticleStatus

bp = plugin_blueprint("kb_api", __name__)

ARTICLE_FIELDS = ("title", "summary", "body", "category", "tags", "slug", "reason")
#: What PATCH may set ``status`` to; an article goes back to draft never, it is archived.
STATUS_CHANGES = {ArticleStatus.PUBLISHED: services.publish, ArticleStatus.ARCHIVED: services.archive}


# -- serialising ---------------------------------------------------------------------

def _article(a: Article) -> dict[str, Any]:
    """An article as lists show it."""
    return {
        "slug": a.slug, "title": a.title, "summary": a.summary, "status": a.status.value,
        "category": serializers.category_ref(a.category), "tags": [t.name for t in a.tags],
        "author": serializers.user(a.author),
        "credited_user": serializers.user(a.credited_user) if a.credited_user else None,
        "helpful_count": a.helpful, "unhelpful_count": a.unhelpful, "views": a.views,
        "created_at": serializers.timestamp(a.created_at), "updated_at": serializers.timestamp(a.updated_at),
        "published_at": serializers.timestamp(a.published_at),
        "reviewed_at": serializers.timestamp(a.reviewed_at),
        "url": url_for("kb.article", slug=a.slug, _external=True),
    }


def _detail(a: Article) -> dict[str, Any]:
    """An article with its text, where it came from, and the threads that link it."""
    return {
        **_article(a), "body": a.body, "body_html": a.body_html,
        "source_thread_id": a.source_thread_id, "source_post_id": a.source_post_id,
        "revision_count": a.revision_count,
        "linked_thread_ids": sorted(t.id for t in queries.linking_threads(a, limit=100)),
    }


# -- reading -------------------------------------------------------------------------

def _readable(slug: str) -> Article:
    """The article, or 404 when there is none or the caller may not see it (drafts)."""
    article = services.get_article(slug)
    require(auth.current_user(), "kb.read", article)
    return article


def _status(raw: str | None, user: User | None) -> ArticleStatus:
    """Published unless asked otherwise; only staff may list drafts and archived articles."""
    try:
        status = ArticleStatus(raw) if raw else ArticleStatus.PUBLISHED
    except ValueError:
        raise Invalid({"status": "Status is draft, published or archived."}) from None
    if status != ArticleStatus.PUBLISHED and not can(user, "kb.read", SimpleNamespace(status=status)):
        raise Forbidden(LOGIN if user is None else Decision(False, "Only staff see drafts and archived articles."))
    return status


@bp.get("/articles")
def list_articles():
    """Published articles (staff: any status), most recently changed first."""
    args = request.args
    status = _status(args.get("status"), auth.current_user())
    category = tag = None
    if slug := args.get("category"):
        category = thread_queries.get_category_by_slug(slug) if SLUG_RE.match(slug) else None
        if category is None:
            raise Invalid({"category": "No category has this slug; GET /api/v1/categories lists them."})
    if name := args.get("tag"):
        name = normalize_tag(name)
        if len(name) > current_app.config["MAX_TAG_CHARS"] or not TAG_RE.match(name):
            raise Invalid({"tag": "This is not a tag name."})
        tag = thread_queries.get_tag(name)
        if tag is None:
            return {"items": [], "next_cursor": None}
    cursor = args.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR:
        raise Invalid({"cursor": "This cursor is not one we handed out; start from the first page."})
    limit = query_int("limit", current_app.config["PAGE_SIZE"], low=1, high=100)
    page = services.list_articles(status=status, category=category, tag=tag, cursor=cursor, limit=limit)
    return {"items": [_article(a) for a in page.items], "next_cursor": page.next_cursor}


@bp.get("/articles/<slug>")
def get_article(slug: str):
    return _detail(_readable(slug))


# -- writing -------------------------------------------------------------------------

def _location(article: Article) -> dict[str, str]:
    return {"Location": url_for("kb_api.get_article", slug=article.slug, _external=True)}


@bp.post("/articles")
def create_article():
    """Write a draft (staff)."""
    user = auth.require_user()
    require(user, "kb.write")
    data = json_body(allowed=ARTICLE_FIELDS)
    article = services.create(
        by=user, title=data.get("title"), summary=data.get("summary"), body=data.get("body"),
        category_id=_category_id(data.get("category")), tags=data.get("tags"), slug=data.get("slug"),
        reason=data.get("reason", ""))
    return _detail(article), 201, _location(article)


@bp.patch("/articles/<slug>")
def edit_article(slug: str):
    """Change an article (staff). Leave a field out to keep it; ``status`` publishes or
    archives, after the other changes are saved."""
    user = auth.require_user()
    article = _readable(slug)
    require(user, "kb.write", article)
    data = json_body(allowed={*ARTICLE_FIELDS, "status"})
    change = None
    if "status" in data:
        try:
            status = ArticleStatus(data["status"]) if isinstance(data["status"], str) else None
        except ValueError:
            status = None
        if status is None or (status != article.status and status not in STATUS_CHANGES):
            raise Invalid({"status": "Set status to published or archived."})
        change = STATUS_CHANGES.get(status) if status != article.status else None
    if data.keys() - {"status", "reason"}:
        article = services.edit(
            article, by=user, title=data.get("title", article.title), summary=data.get("summary", article.summary),
            body=data.get("body", article.body),
            category_id=_category_id(data["category"]) if "category" in data else article.category_id,
            tags=data["tags"] if "tags" in data else [t.name for t in article.tags], slug=data.get("slug"),
            reason=data.get("reason", ""))
    if change is not None:
        article = change(article, by=user)
    return _detail(article)


@bp.post("/posts/<int:post_id>/promote")
def promote(post_id: int):
    """A draft from an answer (staff): 201 with the new draft, or 200 with the article
    the answer already became."""
    user = auth.require_user()
    post = _readable_post(post_id)
    before = services.source_article(post.id)
    article = services.promote(post, by=user)
    if before is not None:
        return _detail(article)
    return _detail(article), 201, _location(article)


@bp.post("/articles/<slug>/feedback")
def feedback(slug: str):
    """"Did this answer your question?" for the token's owner; answering again changes it."""
    user = auth.require_user()
    article = _readable(slug)
    data = json_body(allowed={"helpful", "comment"})
    row = services.feedback(article, voter=f"u:{user.id}", user=user, helpful=data.get("helpful"),
                            comment=data.get("comment", ""))
    return {"helpful": row.helpful, "comment": row.comment, "article": {
        "slug": article.slug, "helpful_count": article.helpful, "unhelpful_count": article.unhelpful}}


# -- the OpenAPI part --------------------------------------------------------------

SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
        "description": "The article's address under /kb/."}
POST_ID = {"name": "post_id", "in": "path", "required": True, "schema": ID}
STATUS = {"type": "string", "enum": [s.value for s in ArticleStatus]}
ARTICLE = {
    "slug": TEXT, "title": TEXT,
    "summary": {**TEXT, "description": "The answer in a sentence or two."},
    "status": STATUS, "category": _ref("CategoryRef"), "tags": TAGS, "author": _ref("User"),
    "credited_user": {"oneOf": [_ref("User"), {"type": "null"}],
                      "description": "Who wrote the community answer the article came from."},
    "helpful_count": {"type": "integer", "minimum": 0, "description": "Readers who said it answered their question."},
    "unhelpful_count": {"type": "integer", "minimum": 0, "description": "Readers who said it did not."},
    "views": {"type": "integer", "minimum": 0},
    "created_at": TIME, "updated_at": TIME,
    "published_at": {**NULLABLE_TIME, "description": "When it first went live; null for a draft never published."},
    "reviewed_at": {**NULLABLE_TIME, "description": "When staff last confirmed it (publishing counts)."},
    "url": {"type": "string", "format": "uri", "description": "The article's page in the browser."},
}
ARTICLE_DETAIL = {
    **ARTICLE,
    "body": {**TEXT, "description": "Markdown source."},
    "body_html": {**TEXT, "description": "Sanitised HTML."},
    "source_thread_id": {"type": ["integer", "null"], "description": "The thread of the answer it was promoted from."},
    "source_post_id": {"type": ["integer", "null"], "description": "The answer it was promoted from."},
    "revision_count": {"type": "integer", "minimum": 1},
    "linked_thread_ids": {"type": "array", "items": ID,
                          "description": "Visible threads whose posts link it (the 100 most recently active)."},
}
MARKDOWN = {**TEXT, "description": "Markdown."}
NEW_ARTICLE = {
    "title": TEXT, "summary": {**TEXT, "description": "The answer in a sentence or two (20 to 400 characters)."},
    "body": MARKDOWN, "category": CATEGORY_INPUT, "tags": {**TAGS, "maxItems": 5},
    "slug": {**TEXT, "description": "Lower-case letters, digits and hyphens; made from the title when left out."},
    "reason": {**TEXT, "description": "Why; shown in the revision history."},
}


def openapi_part() -> dict[str, Any]:
    token = [{"bearerAuth": []}]
    write = tuple(c for c in WRITE_ERRORS if c != 404)
    promote_op = _op("promoteAnswer", "Promote an answer to a knowledge-base draft (staff).", ok="201",
                     schema="ArticleDetail", errors=(403, 404, 409), security=token, params=(POST_ID,),
                     location=True, description=(
                         "The draft takes the question's title, the answer's first sentences as its summary, "
                         "the answer as its body, and credits the answerer. If the answer was promoted before, "
                         "answers 200 with that article instead."))
    promote_op["responses"]["200"] = {"description": "The answer was already promoted: its article.",
                                      "content": {"application/json": {"schema": _ref("ArticleDetail")}}}
    return {
        "paths": {
            "/articles": {
                "get": _op("listArticles", "Knowledge-base articles, most recently changed first.", ok="200",
                           schema="ArticleList", errors=(403, 422), params=(
                               _query("status", STATUS, "Staff only, for `draft` and `archived`; "
                                                        "everyone else sees published articles."),
                               _query("category", {"type": "string"}, "A category's slug (see /categories)."),
                               _query("tag", {"type": "string"}, "A tag name."),
                               _query("cursor", {"type": "string"}, "`next_cursor` from the previous page."),
                               _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                                "default": current_app.config["PAGE_SIZE"]}, "Articles per page."))),
                "post": _op("createArticle", "Write a draft article (staff).", ok="201", schema="ArticleDetail",
                            errors=write, security=token, body="NewArticle", location=True),
            },
            "/articles/{slug}": {
                "get": _op("getArticle", "An article with its text.", ok="200", schema="ArticleDetail",
                           errors=(404,), params=(SLUG,),
                           description="Drafts and archived articles are 404 to everyone but staff."),
                "patch": _op("editArticle", "Edit, publish or archive an article (staff).", ok="200",
                             schema="ArticleDetail", errors=WRITE_ERRORS, security=token, body="ArticleEdit",
                             params=(SLUG,), description=(
                                 "Each change of text is a revision. The answerer credited for a promoted "
                                 "article earns reputation when it is first published.")),
            },
            "/articles/{slug}/feedback": {"post": _op(
                "articleFeedback", "Say whether the article answered your question.", ok="200",
                schema="FeedbackResult", errors=WRITE_ERRORS, security=token, body="FeedbackRequest",
                params=(SLUG,), description="One answer per person and article; answering again changes it. "
                                            "Published articles only (403 otherwise).")},
            "/posts/{post_id}/promote": {"post": promote_op},
        },
        "schemas": {
            "Article": _obj(ARTICLE),
            "ArticleDetail": _obj(ARTICLE_DETAIL),
            "ArticleList": _obj({"items": {"type": "array", "items": _ref("Article")}, "next_cursor": {
                "type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."}}),
            "NewArticle": _obj(NEW_ARTICLE, optional=("tags", "slug", "reason")),
            "ArticleEdit": {**_obj({**NEW_ARTICLE, "status": {
                "type": "string", "enum": ["published", "archived"],
                "description": "Publish (again) or archive, after the other changes are saved."}},
                optional=(*NEW_ARTICLE, "status")), "description": "Leave a field out to keep it."},
            "FeedbackRequest": _obj({"helpful": {"type": "boolean"}, "comment": {
                **TEXT, "maxLength": 1000, "description": "Optional: what was missing or wrong."}},
                optional=("comment",)),
            "FeedbackResult": _obj({
                "helpful": {"type": "boolean", "description": "Your answer."}, "comment": TEXT,
                "article": _obj({"slug": TEXT, "helpful_count": {"type": "integer", "minimum": 0},
                                 "unhelpful_count": {"type": "integer", "minimum": 0}})}),
        },
    }


def init_app(app: Flask) -> None:
    register(app, bp, openapi_part)
