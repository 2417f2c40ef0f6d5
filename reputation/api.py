"""Reputation in the JSON API: a member's figures, their ledger, the leaderboard.

The endpoints live under the forum's ``/api/v1`` with its token authentication and
problem documents (:mod:`forum.api`), on a blueprint of their own, because the forum
never imports this package. :func:`forum.api.openapi.extend` adds them to the
OpenAPI document, which a test compares with the URL map.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request

from forum.api import MAX_ID, auth, plugin_blueprint, register, serializers
from forum.api.inputs import query_int
from forum.api.openapi import ID, TEXT, TIME, _obj, _op, _query, _ref
from forum.errors import Invalid, NotFound
from forum.extensions import db
from forum.models import User
from forum.threads import queries as forum_queries

from . import badges, queries
from .models import ReputationEvent

bp = plugin_blueprint("reputation_api", __name__)

MAX_CURSOR = 200


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None:
        raise NotFound("No member has this id.")
    return user


def _entry(event: ReputationEvent) -> dict[str, Any]:
    # Ids of posts the caller may not see are withheld, as the pages withhold links.
    post = queries.readable_post(event, auth.current_user())
    return {
        "id": event.id, "delta": event.delta, "reason": event.reason,
        "label": queries.reason_label(event.reason),
        "post_id": post.id if post else None, "thread_id": post.thread_id if post else None,
        "created_at": serializers.timestamp(event.created_at),
    }


@bp.get("/users/<int:user_id>")
def get_user(user_id: int):
    """A member's public figures: reputation, badges, what they posted."""
    user = _user(user_id)
    stats = forum_queries.profile_stats(user)
    definitions = badges.BADGES
    return {
        **serializers.user(user),
        "created_at": serializers.timestamp(user.created_at),
        "badges": [{"key": b.badge, "name": definitions[b.badge].name, "count": b.count,
                    "first_awarded_at": serializers.timestamp(b.first_awarded_at)}
                   for b in queries.badges_of(user) if b.badge in definitions],
        "counts": {"questions": stats.questions, "answers": stats.answers, "accepted_answers": stats.accepted},
    }


@bp.get("/users/<int:user_id>/reputation")
def get_ledger(user_id: int):
    """A member's ledger, newest first, ``limit`` rows a page, continued by ``cursor``."""
    user = _user(user_id)
    cursor = request.args.get("cursor") or None
    if cursor is not None and len(cursor) > MAX_CURSOR:
        raise Invalid({"cursor": "This cursor is not one we handed out; start from the first page."})
    limit = query_int("limit", current_app.config["PAGE_SIZE"], low=1, high=100)
    page = queries.ledger_page(user, cursor=cursor, limit=limit)
    return {"items": [_entry(e) for e in page.items], "next_cursor": page.next_cursor}


@bp.get("/leaderboard")
def get_leaderboard():
    """The top contributors of a period, optionally in one category."""
    period = request.args.get("period") or "week"
    errors = {}
    if period not in queries.PERIODS:
        errors["period"] = "Use week, month or all."
    category = None
    if slug := request.args.get("category"):
        category = forum_queries.get_category_by_slug(slug) if len(slug) <= 60 else None
        if category is None:
            errors["category"] = "No category has this slug; GET /api/v1/categories lists them."
    if errors:
        raise Invalid(errors)
    since = queries.period_start(period)
    return {
        "period": period,
        "since": serializers.timestamp(since),
        "category": serializers.category_ref(category) if category else None,
        "items": [{"rank": row.rank, "user": serializers.user(row.user), "reputation_gained": row.gained,
                   "accepted_answers": row.accepted}
                  for row in queries.leaderboard(period, category=category)],
    }


# -- The OpenAPI part --------------------------------------------------------------

USER_ID = {"name": "user_id", "in": "path", "required": True, "schema": ID}
COUNT = {"type": "integer", "minimum": 0}
SCHEMAS = {
    "UserProfile": _obj({
        "id": ID, "username": TEXT, "display_name": TEXT,
        "role": {"type": "string", "enum": ["member", "moderator", "staff", "admin"]},
        "reputation": {"type": "integer", "minimum": 1}, "created_at": TIME,
        "badges": {"type": "array", "items": _ref("EarnedBadge"), "description": "First earned first."},
        "counts": _obj({"questions": COUNT, "answers": COUNT,
                        "accepted_answers": {**COUNT, "description": "Their answers accepted by askers."}}),
    }),
    "EarnedBadge": _obj({"key": TEXT, "name": TEXT,
                         "count": {"type": "integer", "minimum": 1,
                                   "description": "Times earned (per-post badges can repeat)."},
                         "first_awarded_at": TIME}),
    "LedgerEntry": _obj({
        "id": ID,
        "delta": {"type": "integer", "description": "The change applied, after the daily cap and the floor."},
        "reason": {"type": "string", "description": "A dotted key such as `answer.accepted`; "
                                                    "`.undone` ends the keys of reversals."},
        "label": {"type": "string", "description": "The reason in words, as the ledger page shows it."},
        "post_id": {"type": ["integer", "null"], "description": "Null when the post is gone or hidden from you."},
        "thread_id": {"type": ["integer", "null"]},
        "created_at": TIME,
    }),
    "Ledger": _obj({"items": {"type": "array", "items": _ref("LedgerEntry")},
                    "next_cursor": {"type": ["string", "null"],
                                    "description": "Pass as `cursor` for the next page; null on the last."}}),
    "LeaderboardEntry": _obj({"rank": ID, "user": _ref("User"),
                              "reputation_gained": {"type": "integer", "minimum": 1},
                              "accepted_answers": {**COUNT, "description":
                                                   "Answers accepted in the period that still are."}}),
    "Leaderboard": _obj({
        "period": {"type": "string", "enum": list(queries.PERIODS)},
        "since": {"type": ["string", "null"], "format": "date-time",
                  "description": "Start of the period (Monday or the 1st, 00:00 UTC); null for all time."},
        "category": {"oneOf": [_ref("CategoryRef"), {"type": "null"}]},
        "items": {"type": "array", "items": _ref("LeaderboardEntry"), "maxItems": 20},
    }),
}


def openapi_part() -> dict[str, Any]:
    return {
        "paths": {
            "/users/{user_id}": {"get": _op(
                "getUser", "A member's reputation, badges and post counts.", ok="200", schema="UserProfile",
                errors=(404,), params=(USER_ID,))},
            "/users/{user_id}/reputation": {"get": _op(
                "listReputation", "A member's reputation ledger, newest first.", ok="200", schema="Ledger",
                errors=(404, 422), params=(
                    USER_ID,
                    _query("cursor", {"type": "string"}, "`next_cursor` from the previous page."),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                     "default": current_app.config["PAGE_SIZE"]}, "Rows per page.")),
                description="Every change is a row; reversals are rows too, so the rows add up "
                            "to the reputation minus the 1 everyone starts with.")},
            "/leaderboard": {"get": _op(
                "getLeaderboard", "Top contributors by reputation gained.", ok="200", schema="Leaderboard",
                errors=(422,), params=(
                    _query("period", {"type": "string", "enum": list(queries.PERIODS), "default": "week"},
                           "This week (from Monday), this month (from the 1st) or all time, in UTC."),
                    _query("category", {"type": "string"},
                           "A category's slug: count only what happened in its threads.")))},
        },
        "schemas": SCHEMAS,
    }


def init_app(app: Flask) -> None:
    register(app, bp, openapi_part)
