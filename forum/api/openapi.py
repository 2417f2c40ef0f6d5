"""The OpenAPI 3.1 document served at ``/api/v1/openapi.json``.

Written by hand as data, next to the code it describes; a test walks the URL map
and this document both ways, and checks real responses against these schemas, so a
route or field added on one side and not the other fails the suite.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": [k for k in properties if k not in optional]}


ID = {"type": "integer", "minimum": 1}
TEXT = {"type": "string"}
TIME = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC (`2024-05-01T09:30:00Z`)."}
NULLABLE_TIME = {**TIME, "type": ["string", "null"]}
TAGS = {"type": "array", "items": TEXT, "description": "Normalised tag names."}
CATEGORY_INPUT = {"type": ["integer", "string"],
                  "description": "The category's id (an integer) or its slug (a string)."}

USER = _obj({
    "id": ID, "username": TEXT, "display_name": TEXT,
    "role": {"type": "string", "enum": ["member", "moderator", "staff", "admin"]},
    "reputation": {"type": "integer"},
})
ME = _obj({**USER["properties"], "email": {"type": "string", "format": "email"}, "about": TEXT,
           "created_at": TIME})
CATEGORY_REF = _obj({"id": ID, "slug": TEXT, "name": TEXT})
CATEGORY = _obj({**CATEGORY_REF["properties"], "description": TEXT, "thread_count": {"type": "integer"}})
THREAD = _obj({
    "id": ID, "title": TEXT,
    "status": {"type": "string", "enum": ["open", "solved", "escalated", "closed"]},
    "score": {"type": "integer"}, "answer_count": {"type": "integer", "minimum": 0},
    "accepted_answer_id": {"type": ["integer", "null"]},
    "category": _ref("CategoryRef"), "tags": TAGS, "author": _ref("User"), "locked": {"type": "boolean"},
    "duplicate_of_id": {"type": ["integer", "null"], "description": "Set when closed as a duplicate of that thread."},
    "created_at": TIME, "last_activity_at": TIME,
    "url": {"type": "string", "format": "uri", "description": "The thread's page in the browser."},
})
POST = _obj({
    "id": ID, "thread_id": ID, "is_question": {"type": "boolean"},
    "state": {"type": "string", "enum": ["visible", "queued", "hidden", "deleted"],
              "description": "Others see visible posts only; authors also see their own queued or hidden ones."},
    "author": _ref("User"),
    "body": {"type": "string", "description": "Markdown source."},
    "body_html": {"type": "string", "description": "Sanitised HTML, rendered when the post was written."},
    "score": {"type": "integer"}, "is_accepted": {"type": "boolean"},
    "vote": {"type": "integer", "enum": [-1, 0, 1], "description": "The caller's own vote; 0 when none."},
    "revision_count": {"type": "integer", "minimum": 1},
    "created_at": TIME, "edited_at": NULLABLE_TIME,
})
THREAD_DETAIL = _obj({**THREAD["properties"], "question": _ref("Post"),
                      "answers": {"type": "array", "items": _ref("Post"),
                                  "description": "Accepted answer first, then by score, then oldest first."}})
REVISION = _obj({
    "number": {"type": "integer", "minimum": 1}, "author": _ref("User"), "body": TEXT,
    "title": {"type": ["string", "null"], "description": "The question's title then; null for answers."},
    "tags": {"type": ["array", "null"], "items": TEXT, "description": "The question's tags then; null for answers."},
    "reason": TEXT, "created_at": TIME,
})
PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details, served as application/problem+json.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "Always `about:blank`: the status tells the kind."},
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong and what to do about it."},
        "errors": {"type": "array", "description": "422 only: every field at fault.",
                   "items": _obj({"field": TEXT, "message": TEXT})},
    },
}


def _items(schema: Schema, **extra: Schema) -> Schema:
    return _obj({"items": {"type": "array", "items": schema}, **extra})


SCHEMAS: dict[str, Schema] = {
    "User": USER, "Me": ME, "Category": CATEGORY, "CategoryRef": CATEGORY_REF, "Thread": THREAD,
    "ThreadDetail": THREAD_DETAIL, "Post": POST, "Revision": REVISION, "Problem": PROBLEM,
    "ThreadList": _items(_ref("Thread"), next_cursor={
        "type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."}),
    "CategoryList": _items(_ref("Category")),
    "RevisionList": _items(_ref("Revision")),
    "VoteResult": _obj({"score": {"type": "integer"}, "vote": {"type": "integer", "enum": [-1, 0, 1]}}),
    "NewThread": _obj({"title": TEXT, "body": {**TEXT, "description": "Markdown."}, "category": CATEGORY_INPUT,
                       "tags": {**TAGS, "maxItems": 5}}, optional=("tags",)),
    "NewAnswer": _obj({"body": {**TEXT, "description": "Markdown."}}),
    "PostEdit": {**_obj({"body": TEXT, "reason": {**TEXT, "description": "Why; shown in the history."},
                         "title": TEXT, "tags": TAGS, "category": CATEGORY_INPUT},
                        optional=("body", "reason", "title", "tags", "category")),
                 "description": "Leave a field out to keep it. Title, tags and category are for questions only."},
    "VoteRequest": _obj({"value": {"type": "integer", "enum": [1, -1, 0],
                                   "description": "1 up, -1 down, 0 retract."}}),
    "AcceptRequest": _obj({"post_id": {**ID, "description": "An answer in this thread."}}),
}

_PROBLEM = {"application/problem+json": {"schema": _ref("Problem")}}
RESPONSES: dict[str, Schema] = {
    "BadRequest": {"description": "The body is not a JSON object: empty, malformed, not UTF-8, or an array.",
                   "content": _PROBLEM},
    "Unauthorized": {"description": "A token is needed, or the one sent is unknown or revoked.",
                     "headers": {"WWW-Authenticate": {"schema": {"type": "string"},
                                                      "description": "`Bearer`"}},
                     "content": _PROBLEM},
    "Forbidden": {"description": "The token's owner may not do this; `detail` says why.", "content": _PROBLEM},
    "NotFound": {"description": "No such thing, or one the caller may not see.", "content": _PROBLEM},
    "Conflict": {"description": "A concurrent request won a race; retrying is safe.", "content": _PROBLEM},
    "TooLarge": {"description": "The body is larger than the server accepts.", "content": _PROBLEM},
    "UnsupportedMediaType": {"description": "The body is not application/json.", "content": _PROBLEM},
    "Unprocessable": {"description": "Fields break a rule (unknown, null, wrong type, too long, ...); "
                                     "`errors` lists them all.", "content": _PROBLEM},
    "TooManyRequests": {"description": "Too many requests; `Retry-After` says how many seconds to wait.",
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": _PROBLEM},
    "Unavailable": {"description": "Temporarily unavailable (the search index is being rebuilt); retry soon.",
                    "content": _PROBLEM},
}
_BY_STATUS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
              413: "TooLarge", 415: "UnsupportedMediaType", 422: "Unprocessable", 429: "TooManyRequests",
              503: "Unavailable"}
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422)

PUBLIC = [{}, {"bearerAuth": []}]
TOKEN = [{"bearerAuth": []}]


def _op(op_id: str, summary: str, *, ok: str, schema: str | None, errors: tuple[int, ...], security=PUBLIC,
        body: str | None = None, params: tuple[Schema, ...] = (), description: str = "",
        location: bool = False) -> Schema:
    success: Schema = {"description": summary}
    if schema:
        success["content"] = {"application/json": {"schema": _ref(schema)}}
    if location:
        success["headers"] = {"Location": {"schema": {"type": "string", "format": "uri"},
                                           "description": "Where the new resource can be read."}}
    op: Schema = {"operationId": op_id, "summary": summary, "security": security,
                  "responses": {ok: success, **{str(c): {"$ref": f"#/components/responses/{_BY_STATUS[c]}"}
                                                for c in sorted({401, *errors})}}}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = list(params)
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
    return op


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


THREAD_ID = {"name": "thread_id", "in": "path", "required": True, "schema": ID}
POST_ID = {"name": "post_id", "in": "path", "required": True, "schema": ID}


#: ``app.extensions`` key of the callables that add a plugin's part of the document.
EXTENSIONS_KEY = "forum.openapi"


def extend(app: Flask, part: Callable[[], Schema]) -> None:
    """Document a plugin's endpoints: ``part()`` returns ``{"paths": ..., "schemas": ...}``.

    Plugins serve routes under ``/api/v1`` that the forum cannot import, so they
    describe them here. ``part`` is called per request, inside the app context, so it
    can read the config like :func:`document` does.
    """
    app.extensions.setdefault(EXTENSIONS_KEY, []).append(part)


def document() -> Schema:
    """Return the OpenAPI document; limits come from the running app's config."""
    doc = _core_document()
    for part in current_app.extensions.get(EXTENSIONS_KEY, ()):
        extra = part()
        doc["paths"].update(extra.get("paths", {}))
        doc["components"]["schemas"] = {**doc["components"]["schemas"], **extra.get("schemas", {})}
    return doc


def _core_document() -> Schema:
    cfg = current_app.config
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{cfg['SITE_NAME']} API",
            "version": "1.0.0",
            "description": (
                "Questions, answers, votes and accepted answers, through the same rules as the pages.\n\n"
                "Authenticate with a personal API token (from your settings page, or "
                "`flask --app wsgi users token USERNAME`): `Authorization: Bearer fpat_...`. "
                "Reading is open to everyone; writing and `/me` need a token. "
                "A token that is sent but unknown or revoked answers 401 everywhere.\n\n"
                "Send bodies as `application/json` objects. Every error is `application/problem+json` "
                "(RFC 9457): 400 for a body that is not a JSON object, 415 for another media type, "
                f"413 past {cfg['MAX_CONTENT_LENGTH']:,} bytes, and 422 with an `errors` list of "
                "`{field, message}` for values that break a rule (posts are at most "
                f"{cfg['MAX_POST_CHARS']:,} characters). Unknown fields and nulls are refused (422).\n\n"
                "Timestamps are ISO 8601 in UTC."),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/openapi.json": {"get": _op("getOpenApi", "This document.", ok="200", schema=None, errors=())},
            "/me": {"get": _op("getMe", "The token's owner.", ok="200", schema="Me", errors=(), security=TOKEN)},
            "/categories": {"get": _op("listCategories", "Every category, in display order.", ok="200",
                                       schema="CategoryList", errors=())},
            "/threads": {
                "get": _op("listThreads", "Visible threads, latest activity first.", ok="200",
                           schema="ThreadList", errors=(422,), params=(
                               _query("status", {"type": "string",
                                                 "enum": ["open", "solved", "escalated", "closed"]},
                                      "Only threads with this status."),
                               _query("category", {"type": "string"}, "A category's slug (see /categories)."),
                               _query("tag", {"type": "string"}, "A tag name."),
                               _query("cursor", {"type": "string"}, "`next_cursor` from the previous page."),
                               _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                                "default": cfg["PAGE_SIZE"]}, "Threads per page."))),
                "post": _op("createThread", "Ask a question.", ok="201", schema="ThreadDetail",
                            errors=WRITE_ERRORS, security=TOKEN, body="NewThread", location=True),
            },
            "/threads/{thread_id}": {"get": _op(
                "getThread", "A thread with its question and answers.", ok="200", schema="ThreadDetail",
                errors=(404,), params=(THREAD_ID,),
                description="Hidden and deleted posts are left out, as on the page.")},
            "/threads/{thread_id}/answers": {"post": _op(
                "createAnswer", "Answer a thread.", ok="201", schema="Post", errors=WRITE_ERRORS,
                security=TOKEN, body="NewAnswer", params=(THREAD_ID,), location=True)},
            "/threads/{thread_id}/accept": {
                "post": _op("acceptAnswer", "Accept an answer (the asker, moderators and staff).", ok="200",
                            schema="Thread", errors=WRITE_ERRORS, security=TOKEN, body="AcceptRequest",
                            params=(THREAD_ID,), description="Replaces any answer accepted before."),
                "delete": _op("unacceptAnswer", "Withdraw the accepted answer; the thread is open again.",
                              ok="200", schema="Thread", errors=(403, 404, 409), security=TOKEN,
                              params=(THREAD_ID,)),
            },
            "/posts/{post_id}": {
                "get": _op("getPost", "A question or an answer.", ok="200", schema="Post", errors=(404,),
                           params=(POST_ID,)),
                "patch": _op("editPost", "Edit a post; the previous version stays in its history.", ok="200",
                             schema="Post", errors=WRITE_ERRORS, security=TOKEN, body="PostEdit",
                             params=(POST_ID,)),
            },
            "/posts/{post_id}/revisions": {"get": _op(
                "listRevisions", "Every version of a post, newest first.", ok="200", schema="RevisionList",
                errors=(404,), params=(POST_ID,))},
            "/posts/{post_id}/vote": {"post": _op(
                "vote", "Vote up, down, or retract.", ok="200", schema="VoteResult", errors=WRITE_ERRORS,
                security=TOKEN, body="VoteRequest", params=(POST_ID,),
                description="Not on your own posts (403).")},
        },
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A personal API token, `fpat_...`."}},
        },
    }
