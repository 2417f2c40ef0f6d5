"""Moderation in the JSON API: flag a post, read and decide the review queue, read
the audit log.

The endpoints live under the forum's ``/api/v1`` with its token authentication and
problem documents (:mod:`forum.api`), on a blueprint of their own, because the forum
never imports this package. :func:`forum.api.openapi.extend` adds them to the
OpenAPI document, which a test compares with the URL map.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, request, url_for

from forum.accounts.services import get_user
from forum.api import MAX_ID, auth, plugin_blueprint, register, serializers
from forum.api.inputs import json_body, optional_text, query_int
from forum.api.openapi import ID, TEXT, TIME, NULLABLE_TIME, _obj, _op, _query, _ref
from forum.db import Conflict
from forum.errors import Invalid, NotFound, require
from forum.extensions import db
from forum.models import Post, Thread, User
from forum.permissions import can
from forum.web import problem

from . import queries, services
from .models import Flag

bp = plugin_blueprint("moderation_api", __name__)

API_ACTIONS = ("approve", "reject", "hide", "dismiss", "edit_approve", "suspend", "silence")
#: Actions on the item's thread rather than the item.
ITEM_THREAD_ACTIONS = ("lock", "close_duplicate")


def _decided(_exc: Conflict):
    return problem(409, "Conflict", "This item was already decided, or another moderator is deciding it. "
                                    "GET it again to see its status.")


bp.register_error_handler(Conflict, _decided)


def _flag(flag: Flag) -> dict[str, Any]:
    return {"id": flag.id, "post_id": flag.post_id, "reason": queries.value(flag.reason), "note": flag.note,
            "duplicate_of": flag.duplicate_of_id, "status": queries.value(flag.status),
            "created_at": serializers.timestamp(flag.created_at)}


def _item(entry: queries.Entry) -> dict[str, Any]:
    item = entry.item
    return {
        "id": item.id, "kind": queries.value(item.kind), "status": queries.value(item.status),
        "score": item.score, "reason": item.reason,
        "target_type": item.target_type, "target_id": item.target_id,
        "thread_id": entry.post.thread_id if entry.post else None,
        "author": serializers.user(entry.author) if entry.author else None,
        "flags": [{**_flag(f), "flagger": serializers.user(entry.flaggers[f.user_id])
                   if f.user_id in entry.flaggers else None} for f in entry.flags],
        "claimed_by": serializers.user(entry.claimed_by) if entry.claimed_by else None,
        "handled_by": serializers.user(entry.handled_by) if entry.handled_by else None,
        "created_at": serializers.timestamp(item.created_at),
        "handled_at": serializers.timestamp(item.handled_at) if item.handled_at else None,
    }


@bp.post("/posts/<int:post_id>/flags")
def create_flag(post_id: int):
    """Flag a post for the moderators."""
    user = auth.require_user()
    post = db.session.get(Post, post_id) if 0 < post_id <= MAX_ID else None
    if post is None or not (can(user, "thread.read", post.thread) and can(user, "post.read", post)):
        raise NotFound("No post has this id.")
    data = json_body(allowed=("reason", "note", "duplicate_of"))
    errors: dict[str, str] = {}
    reason = optional_text(data, "reason", errors) or ""
    note = optional_text(data, "note", errors) or ""
    duplicate_of = None
    if "duplicate_of" in data:
        raw = data["duplicate_of"]
        duplicate_of = queries.thread_by_reference(str(raw)) if isinstance(raw, (int, str)) \
            and not isinstance(raw, bool) else None
        if duplicate_of is None:
            errors["duplicate_of"] = "Give the id of an existing thread."
    if errors:
        raise Invalid(errors)
    require(user, "post.flag", post)
    flag = services.flag_post(post, by=user, reason=reason, note=note, duplicate_of=duplicate_of)
    return _flag(flag), 201, {"Location": url_for("api.get_post", post_id=post.id)}


@bp.get("/review-queue")
def list_queue():
    """Review items, best-scored first, filtered like the queue page."""
    user = auth.require_user()
    require(user, "review.access")
    filters = queries.parse_queue_filters(request.args)
    limit = query_int("limit", queries.QUEUE_PAGE, low=1, high=100)
    page = queries.queue(**filters, per_page=limit)
    return {"items": [_item(e) for e in page.items], "total": page.total, "page": page.page,
            "has_next": page.has_next}


@bp.post("/review-queue/<int:item_id>/actions")
def act(item_id: int):
    """Decide a review item (approve, reject, hide, dismiss, edit_approve, suspend,
    silence), or lock or close its thread."""
    user = auth.require_user()
    require(user, "review.access")
    item = queries.get_item(item_id)
    if item is None:
        raise NotFound("No review item has this id.")
    data = json_body(allowed=("action", "reason", "duration", "body", "duplicate_of"))
    errors: dict[str, str] = {}
    name = optional_text(data, "action", errors) or ""
    reason = optional_text(data, "reason", errors) or ""
    duration = optional_text(data, "duration", errors)
    body = optional_text(data, "body", errors)
    if name not in API_ACTIONS + ITEM_THREAD_ACTIONS and "action" not in errors:
        errors["action"] = f"Use one of: {', '.join(API_ACTIONS + ITEM_THREAD_ACTIONS)}."
    original = _duplicate_of(data, errors, required=name == "close_duplicate")
    if errors:
        raise Invalid(errors)
    require(user, "moderation.act", item)
    if name in ITEM_THREAD_ACTIONS:
        # The item's thread changes; the item stays pending for its own decision.
        post = queries.entries([item])[0].post
        if post is None:
            raise Invalid({"action": "This item is not a post; there is no thread to change."})
        if name == "lock":
            services.lock_thread(post.thread, by=user, reason=reason.strip())
        else:
            services.close_as_duplicate(post.thread, duplicate_of=original, by=user, reason=reason.strip())
        return _item(queries.entries([item])[0])
    kw: dict[str, Any] = {}
    if name in ("suspend", "silence"):
        kw["duration"] = duration or "24h"
    if name == "edit_approve":
        kw["body"] = body or ""
    services.perform(item, name, by=user, reason=reason.strip(), **kw)
    db.session.refresh(item)
    return _item(queries.entries([item])[0])


THREAD_ACTIONS = ("lock", "unlock", "close_duplicate", "reopen")
SANCTION_ACTIONS = ("suspend", "silence", "unsuspend", "unsilence")


@bp.post("/threads/<int:thread_id>/moderation")
def moderate_thread(thread_id: int):
    """Lock, unlock, close as a duplicate, or reopen a thread; answers the thread."""
    user = auth.require_user()
    thread = db.session.get(Thread, thread_id) if 0 < thread_id <= MAX_ID else None
    if thread is None or not can(user, "thread.read", thread):
        raise NotFound("No thread has this id.")
    data = json_body(allowed=("action", "reason", "duplicate_of"))
    errors: dict[str, str] = {}
    name = optional_text(data, "action", errors) or ""
    reason = optional_text(data, "reason", errors) or ""
    if name not in THREAD_ACTIONS and "action" not in errors:
        errors["action"] = f"Use one of: {', '.join(THREAD_ACTIONS)}."
    original = _duplicate_of(data, errors, required=name == "close_duplicate")
    if errors:
        raise Invalid(errors)
    if name == "close_duplicate":
        services.close_as_duplicate(thread, duplicate_of=original, by=user, reason=reason)
    else:
        {"lock": services.lock_thread, "unlock": services.unlock_thread,
         "reopen": services.reopen_thread}[name](thread, by=user, reason=reason)
    db.session.refresh(thread)
    return serializers.thread(thread)


def _duplicate_of(data: dict[str, Any], errors: dict[str, str], *, required: bool) -> Thread | None:
    raw = data.get("duplicate_of")
    if raw is None:
        if required:
            errors["duplicate_of"] = "Give the id of the thread this one duplicates."
        return None
    found = queries.thread_by_reference(str(raw)) if isinstance(raw, (int, str)) and not isinstance(raw, bool) \
        else None
    if found is None:
        errors["duplicate_of"] = "Give the id of an existing thread."
    return found


@bp.post("/users/<username>/sanctions")
def sanction_user(username: str):
    """Suspend, silence, or lift either; answers the user's standing."""
    user = auth.require_user()
    target = get_user(username)
    if target is None:
        raise NotFound("No user has this name.")
    data = json_body(allowed=("action", "duration", "reason"))
    errors: dict[str, str] = {}
    name = optional_text(data, "action", errors) or ""
    duration = optional_text(data, "duration", errors) or ""
    reason = optional_text(data, "reason", errors) or ""
    if name not in SANCTION_ACTIONS and "action" not in errors:
        errors["action"] = f"Use one of: {', '.join(SANCTION_ACTIONS)}."
    if errors:
        raise Invalid(errors)
    require(user, "user.suspend", target)
    if name in ("suspend", "silence"):
        fn = services.suspend_user if name == "suspend" else services.silence_user
        target = fn(target, by=user, duration=duration, reason=reason)
    else:
        fn = services.unsuspend_user if name == "unsuspend" else services.unsilence_user
        target = fn(target, by=user, reason=reason)
    return _standing(target)


def _standing(u: User) -> dict[str, Any]:
    return {"user": serializers.user(u),
            "suspended_until": serializers.timestamp(u.suspended_until) if u.is_suspended else None,
            "silenced_until": serializers.timestamp(u.silenced_until) if u.is_silenced else None,
            "reason": u.suspension_reason or "" if (u.is_suspended or u.is_silenced) else ""}


@bp.get("/moderation/audit-log")
def audit_log():
    """Moderation actions, newest first."""
    user = auth.require_user()
    require(user, "moderation.audit")
    filters = queries.parse_audit_filters(request.args)
    limit = query_int("limit", queries.AUDIT_PAGE, low=1, high=100)
    page = queries.audit_log(**filters, per_page=limit)
    return {"items": [{
        "id": row.action.id, "action": queries.value(row.action.action),
        "actor": serializers.user(row.actor) if row.actor else None,
        "target_type": row.action.target_type, "target_id": row.action.target_id,
        "target_user": serializers.user(row.target_user) if row.target_user else None,
        "review_item_id": row.action.review_item_id, "reason": row.action.reason,
        "before": row.action.before, "after": row.action.after,
        "created_at": serializers.timestamp(row.action.created_at),
    } for row in page.items], "page": page.page, "has_next": page.has_next}


# -- The OpenAPI part --------------------------------------------------------------

NULL_ID = {"type": ["integer", "null"], "minimum": 1}
NULL_USER = {"oneOf": [_ref("User"), {"type": "null"}]}
STATUS = {"type": "string", "enum": list(queries.STATUSES)}
FLAG = {
    "id": ID, "post_id": ID, "reason": {"type": "string", "enum": list(queries.REASONS)}, "note": TEXT,
    "duplicate_of": {**NULL_ID, "description": "The earlier thread, for duplicate flags."},
    "status": {"type": "string", "enum": ["pending", "agreed", "disagreed", "ignored"],
               "description": "agreed: a moderator acted on it; disagreed: they found no problem."},
    "created_at": TIME,
}
SCHEMAS = {
    "Flag": _obj(FLAG),
    "NewFlag": _obj({"reason": {"type": "string", "enum": list(queries.REASONS)},
                     "note": {**TEXT, "description": "Required for needs_moderator."},
                     "duplicate_of": {**ID, "description": "A thread id; required for duplicate."}},
                    optional=("note", "duplicate_of")),
    "ReviewItem": _obj({
        "id": ID, "kind": {"type": "string", "enum": list(queries.KINDS)}, "status": STATUS,
        "score": {"type": "integer", "description": "The sum of the pending flags' weights."},
        "reason": TEXT, "target_type": {"type": "string", "enum": ["post", "user"]}, "target_id": ID,
        "thread_id": NULL_ID, "author": NULL_USER,
        "flags": {"type": "array", "items": _obj({**FLAG, "flagger": NULL_USER})},
        "claimed_by": NULL_USER, "handled_by": NULL_USER, "created_at": TIME, "handled_at": NULLABLE_TIME,
    }),
    "ReviewQueue": _obj({"items": {"type": "array", "items": _ref("ReviewItem")},
                         "total": {"type": "integer", "minimum": 0}, "page": ID, "has_next": {"type": "boolean"}}),
    "ReviewAction": _obj({
        "action": {"type": "string", "enum": list(API_ACTIONS + ITEM_THREAD_ACTIONS)},
        "reason": {**TEXT, "description": "Recorded in the audit log; shown to suspended users."},
        "duration": {"type": "string", "enum": list(queries.DURATIONS), "description": "suspend and silence."},
        "body": {**TEXT, "description": "The new text, for edit_approve."},
        "duplicate_of": {**ID, "description": "The earlier thread's id, for close_duplicate."},
    }, optional=("reason", "duration", "body", "duplicate_of")),
    "ThreadModeration": _obj({
        "action": {"type": "string", "enum": list(THREAD_ACTIONS)},
        "reason": {**TEXT, "description": "Recorded in the audit log."},
        "duplicate_of": {**ID, "description": "The earlier thread's id; required for close_duplicate."},
    }, optional=("reason", "duplicate_of")),
    "Sanction": _obj({
        "action": {"type": "string", "enum": list(SANCTION_ACTIONS)},
        "duration": {"type": "string", "enum": list(queries.DURATIONS), "description": "suspend and silence."},
        "reason": {**TEXT, "description": "Shown to the user; required to suspend or silence."},
    }, optional=("duration", "reason")),
    "Standing": _obj({
        "user": _ref("User"), "suspended_until": NULLABLE_TIME, "silenced_until": NULLABLE_TIME,
        "reason": {**TEXT, "description": "Why, as the user sees it; empty in good standing."},
    }),
    "AuditEntry": _obj({
        "id": ID, "action": TEXT, "actor": {**NULL_USER, "description": "Null for automatic actions."},
        "target_type": {"type": "string", "enum": ["post", "user", "thread"]}, "target_id": ID,
        "target_user": NULL_USER, "review_item_id": NULL_ID, "reason": TEXT,
        "before": {"type": ["object", "null"]}, "after": {"type": ["object", "null"]}, "created_at": TIME,
    }),
    "AuditLog": _obj({"items": {"type": "array", "items": _ref("AuditEntry")}, "page": ID,
                      "has_next": {"type": "boolean"}}),
}
TOKEN = [{"bearerAuth": []}]
PAGE = _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number.")


def openapi_part() -> dict[str, Any]:
    item_id = {"name": "item_id", "in": "path", "required": True, "schema": ID}
    post_id = {"name": "post_id", "in": "path", "required": True, "schema": ID}
    thread_id = {"name": "thread_id", "in": "path", "required": True, "schema": ID}
    username = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
    limit = _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Rows per page.")
    return {
        "paths": {
            "/posts/{post_id}/flags": {"post": _op(
                "flagPost", "Flag a post for the moderators.", ok="201", schema="Flag",
                errors=(400, 403, 404, 409, 413, 415, 422), security=TOKEN, body="NewFlag", params=(post_id,),
                location=True, description="Needs the flag privilege; one flag per person and post.")},
            "/review-queue": {"get": _op(
                "listReviewQueue", "The review queue.", ok="200", schema="ReviewQueue", errors=(403, 422),
                security=TOKEN, params=(
                    _query("kind", {"type": "string", "enum": list(queries.KINDS)}, "Only this kind."),
                    _query("status", {**STATUS, "default": "pending"}, "Only items with this status."),
                    _query("reason", {"type": "string", "enum": list(queries.REASONS)}, "Flagged for this."),
                    _query("flagger", {"type": "string"}, "Flagged by this username."),
                    _query("sort", {"type": "string", "enum": list(queries.SORTS), "default": "score"},
                           "Highest score or oldest first."),
                    PAGE, limit))},
            "/review-queue/{item_id}/actions": {"post": _op(
                "actOnReviewItem", "Decide a review item; answers the item.", ok="200", schema="ReviewItem",
                errors=(400, 403, 404, 409, 413, 415, 422), security=TOKEN, body="ReviewAction",
                params=(item_id,), description="409 when the item was already decided.")},
            "/threads/{thread_id}/moderation": {"post": _op(
                "moderateThread", "Lock, unlock, close as a duplicate, or reopen a thread.", ok="200",
                schema="Thread", errors=(400, 403, 404, 409, 413, 415, 422), security=TOKEN, body="ThreadModeration",
                params=(thread_id,), description="Locking needs a moderator; closing and reopening need the "
                "close privilege. 409 when the thread is already in that state.")},
            "/users/{username}/sanctions": {"post": _op(
                "sanctionUser", "Suspend or silence a user, or lift either.", ok="200", schema="Standing",
                errors=(400, 403, 404, 409, 413, 415, 422), security=TOKEN, body="Sanction", params=(username,),
                description="Moderators sanction members; only admins sanction moderators, staff and admins. "
                "409 when lifting what is not in force.")},
            "/moderation/audit-log": {"get": _op(
                "listAuditLog", "Moderation actions, newest first.", ok="200", schema="AuditLog",
                errors=(403, 422), security=TOKEN, params=(
                    _query("moderator", {"type": "string"}, "Actions by this username."),
                    _query("action", {"type": "string"}, "Only this action."),
                    _query("user", {"type": "string"}, "Actions on this username or their posts."),
                    _query("since", {"type": "string", "format": "date"}, "From this day (UTC)."),
                    _query("until", {"type": "string", "format": "date"}, "Up to this day (UTC), included."),
                    PAGE, limit))},
        },
        "schemas": SCHEMAS,
    }


def init_app(app: Flask) -> None:
    register(app, bp, openapi_part)
