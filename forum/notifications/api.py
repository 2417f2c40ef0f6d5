"""Notifications and watches in the JSON API.

``GET /api/v1/notifications?unread=true&cursor=`` lists the caller's notifications,
newest first; ``POST /api/v1/notifications/read`` with ``{"ids": [...]}`` or
``{"all": true}`` marks them read; ``PUT /api/v1/watches/{kind}/{id}`` with
``{"level": "watching" | "normal" | "muted"}`` sets a watch on a thread, category or tag.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, request

from ..api import MAX_ID, auth, plugin_blueprint, register, serializers
from ..api.inputs import json_body, query_int
from ..api.openapi import ID, NULLABLE_TIME, TIME, WRITE_ERRORS, _obj, _op, _query
from ..api.views import MAX_CURSOR
from ..errors import Invalid
from . import queries, services, text
from .models import Notification

bp = plugin_blueprint("notifications_api", __name__)


def _notification(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id, "kind": n.kind, "text": text.describe(n),
        "url": request.host_url.rstrip("/") + text.link(n),
        "thread_id": n.thread_id, "post_id": n.post_id,
        "actor": serializers.user(n.actor) if n.actor is not None else None,
        "created_at": serializers.timestamp(n.created_at), "read_at": serializers.timestamp(n.read_at),
    }


@bp.get("/notifications")
def list_notifications():
    user = auth.require_user()
    raw = request.args.get("unread", "")
    if raw not in ("", "true", "false", "1", "0"):
        raise Invalid({"unread": "unread is true or false."})
    cursor = request.args.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR:
        raise Invalid({"cursor": "This cursor is not one we handed out; start from the first page."})
    limit = query_int("limit", 30, low=1, high=100)
    page = queries.page(user, unread=raw in ("true", "1"), cursor=cursor, limit=limit)
    items = [n for g in page.groups for n in g.items]
    items.sort(key=lambda n: (n.created_at, n.id), reverse=True)
    return {"items": [_notification(n) for n in items], "next_cursor": page.next_cursor,
            "unread_count": services.unread_count(user)}


@bp.post("/notifications/read")
def mark_read():
    user = auth.require_user()
    data = json_body(allowed={"ids", "all"})
    if ("ids" in data) == ("all" in data):
        raise Invalid({"ids": "Send either ids (a list of notification ids) or all: true."})
    if "all" in data:
        if data["all"] is not True:
            raise Invalid({"all": "all is true."})
        n = services.mark_read(user)
    else:
        ids = data["ids"]
        if not isinstance(ids, list) or len(ids) > 500 or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 < i <= MAX_ID for i in ids):
            raise Invalid({"ids": "ids is a list of up to 500 notification ids."})
        n = services.mark_read(user, ids)
    return {"marked": n, "unread_count": services.unread_count(user)}


@bp.put("/watches/<kind>/<int:target_id>")
def put_watch(kind: str, target_id: int):
    user = auth.require_user()
    data = json_body(allowed={"level"})
    if not isinstance(data.get("level"), str):
        raise Invalid({"level": "The level is watching, normal or muted."})
    kind_, ident, level = services.parse_watch(kind, target_id, data["level"])
    services.set_watch(user, kind_, ident, level)
    return {"kind": kind_.value, "id": ident, "level": level.value}


def _openapi() -> dict[str, Any]:
    notification = _obj({
        "id": ID, "kind": {"type": "string"}, "text": {"type": "string"}, "url": {"type": "string", "format": "uri"},
        "thread_id": {"type": ["integer", "null"]}, "post_id": {"type": ["integer", "null"]},
        "actor": {"oneOf": [{"$ref": "#/components/schemas/User"}, {"type": "null"}]},
        "created_at": TIME, "read_at": NULLABLE_TIME,
    })
    token = [{"bearerAuth": []}]
    kind_param = {"name": "kind", "in": "path", "required": True,
                  "schema": {"type": "string", "enum": ["thread", "category", "tag"]}}
    id_param = {"name": "target_id", "in": "path", "required": True, "schema": ID}
    return {
        "paths": {
            "/notifications": {"get": _op(
                "listNotifications", "The caller's notifications, newest first.", ok="200",
                schema="NotificationPage", errors=(400, 401, 422), security=token,
                params=(_query("unread", {"type": "string", "enum": ["true", "false"]}, "Only unread ones."),
                        _query("cursor", {"type": "string"}, "`next_cursor` of the previous page."),
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "Page size.")))},
            "/notifications/read": {"post": _op(
                "markNotificationsRead", "Mark notifications read: some by id, or all.", ok="200",
                schema="MarkedRead", errors=WRITE_ERRORS, security=token, body="MarkRead")},
            "/watches/{kind}/{target_id}": {"put": _op(
                "setWatch", "Watch, mute or reset a thread, category or tag.", ok="200", schema="Watch",
                errors=WRITE_ERRORS, security=token, body="WatchLevel", params=(kind_param, id_param))},
        },
        "schemas": {
            "Notification": notification,
            "NotificationPage": _obj({"items": {"type": "array", "items": {"$ref": "#/components/schemas/Notification"}},
                                      "next_cursor": {"type": ["string", "null"]},
                                      "unread_count": {"type": "integer", "minimum": 0}}),
            "MarkRead": {"type": "object", "additionalProperties": False, "properties": {
                "ids": {"type": "array", "maxItems": 500, "items": ID}, "all": {"type": "boolean", "enum": [True]}}},
            "MarkedRead": _obj({"marked": {"type": "integer", "minimum": 0},
                                "unread_count": {"type": "integer", "minimum": 0}}),
            "WatchLevel": _obj({"level": {"type": "string", "enum": ["watching", "normal", "muted"]}}),
            "Watch": _obj({"kind": {"type": "string", "enum": ["thread", "category", "tag"]}, "id": ID,
                           "level": {"type": "string", "enum": ["watching", "normal", "muted"]}}),
        },
    }


def init_app(app: Flask) -> None:
    register(app, bp, _openapi)
