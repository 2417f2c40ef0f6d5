"""Escalation in the JSON API: escalate a thread, read the queue of escalations with
their deliveries, and the help desk's signed status callback.

Escalating and reading use the API's bearer tokens and ask the same policy as the
pages (``escalation.request``, ``escalation.create``, ``escalation.view``,
``escalation.status``). The callback is different: the help desk has no token, so it
lives on a blueprint of its own that never reads ``Authorization`` and is verified
by the endpoint's Standard Webhooks signature over the raw body instead
(:func:`.callbacks.callback`). It is exempt from the posting limits (the help desk
posts replies for many customers) but has a per-address limit of its own.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, request, url_for

from ..api import auth, plugin_blueprint, problems, register, serializers
from ..api.inputs import json_body, optional_text, query_int
from ..api.openapi import ID, NULLABLE_TIME, TEXT, TIME, WRITE_ERRORS, _obj, _op, _query, _ref
from ..api.views import MAX_CURSOR
from ..db import MAX_ID, Conflict, get_by_id
from ..errors import Invalid, NotFound, require
from ..extensions import limiter, remote_address
from ..models import Thread, User
from ..permissions import can
from ..threads.queries import decode_cursor
from ..threads.validation import slugify
from ..web import problem
from . import callbacks, queries, services
from .models import Attempt, Delivery, Escalation, Message, MessageStatus, TicketStatus, Trigger

bp = plugin_blueprint("escalation_api", __name__)

#: The help desk's door: no bearer token, problem documents like the rest of the API.
callback_bp = Blueprint("escalation_callback", __name__, url_prefix="/api/v1")
problems.register(callback_bp)

#: Callbacks per client address; a help desk sends one per ticket change.
DEFAULT_CALLBACK_RATE = "300 per minute"


def _already(exc: Conflict):
    return problem(409, "Conflict", str(exc) or "Someone else changed this at the same moment. Try again.")


bp.register_error_handler(Conflict, _already)


# -- serialising ---------------------------------------------------------------------

def _status(e: Escalation) -> dict[str, Any]:
    """What the asker may know: where the handoff stands and the ticket's status."""
    return {
        "id": e.id, "thread_id": e.thread_id, "trigger": e.trigger.value, "delivery": e.delivery.value,
        "ticket_id": e.ticket_id, "ticket_status": e.ticket_status.value if e.ticket_status else None,
        "badge": e.badge, "created_at": serializers.timestamp(e.created_at),
        "solved_at": serializers.timestamp(e.solved_at), "reply_post_id": e.reply_post_id,
    }


def _escalation(e: Escalation) -> dict[str, Any]:
    """What staff see in the queue: the status, the thread, who escalated it and why."""
    t = e.thread
    return {
        **_status(e),
        "thread": {"id": t.id, "title": t.title, "status": t.status.value,
                   "category": serializers.category_ref(t.category),
                   "url": url_for("threads.show", thread_id=t.id, slug=slugify(t.title), _external=True)},
        "requester": serializers.user(t.author),
        "requested_by": serializers.user(e.requested_by) if e.requested_by else None,
        "note": e.note, "idempotency_key": e.idempotency_key,
        "delivered_at": serializers.timestamp(e.delivered_at), "ticket_url": e.ticket_url,
        "ticket_updated_at": serializers.timestamp(e.ticket_updated_at), "agent": e.agent,
    }


def _attempt(a: Attempt) -> dict[str, Any]:
    return {"number": a.number, "started_at": serializers.timestamp(a.started_at), "duration_ms": a.duration_ms,
            "url": a.url, "status_code": a.status_code, "error": a.error, "response_excerpt": a.response_excerpt,
            "request_headers": dict(a.request_headers or {}), "worker": a.worker}


def _message(m: Message, tries: list[Attempt]) -> dict[str, Any]:
    return {
        "id": m.id, "event_type": m.event_type, "status": m.status.value,
        "endpoint": {"id": m.endpoint.id, "url": m.endpoint.url, "format": m.endpoint.format.value,
                     "active": m.endpoint.active},
        "attempt_count": m.attempts, "last_status": m.last_status, "last_error": m.last_error,
        "next_attempt_at": serializers.timestamp(m.next_attempt_at),
        "created_at": serializers.timestamp(m.created_at), "finished_at": serializers.timestamp(m.finished_at),
        "attempts": [_attempt(a) for a in tries],
    }


def _detail(e: Escalation, user: User | None) -> dict[str, Any]:
    """Staff get the escalation with every message and attempt; the asker (and, when
    ticket statuses are public, anyone who can read the thread) gets the status."""
    if not can(user, "escalation.view"):
        return _status(e)
    page = queries.messages(escalation_id=e.id, limit=100)
    tries = queries.attempts([m.id for m in page.items])
    return {**_escalation(e), "messages": [_message(m, tries[m.id]) for m in page.items]}


def _location(e: Escalation) -> dict[str, str]:
    return {"Location": url_for("escalation_api.get_escalation", escalation_id=e.id, _external=True)}


# -- escalating and reading -----------------------------------------------------------

def _readable_thread(thread_id: int, user: User | None) -> Thread:
    thread = get_by_id(Thread, thread_id)
    if thread is None or not can(user, "thread.read", thread):
        raise NotFound("No thread has this id.")
    return thread


@bp.post("/threads/<int:thread_id>/escalate")
def escalate(thread_id: int):
    """"I still need help" (the asker) or "Escalate to support" (moderators and above)."""
    user = auth.require_user()
    thread = _readable_thread(thread_id, user)
    data = json_body(allowed={"note"})
    errors: dict[str, str] = {}
    note = optional_text(data, "note", errors) or ""
    if errors:
        raise Invalid(errors)
    existing = services.for_thread(thread.id)
    if existing is not None and can(user, "escalation.status", thread):
        return problem(409, "Conflict", f"This thread was already escalated ({existing.badge}).",
                       escalation_id=existing.id)
    asker = thread.author_id == user.id and not user.is_moderator
    trigger = Trigger.ASKER if asker else Trigger.STAFF
    # Members pressing it on someone else's thread hear the asker's rule, not the staff one.
    require(user, "escalation.request" if asker or not user.is_moderator else "escalation.create", thread)
    escalation = services.escalate(thread, by=user, note=note, trigger=trigger)
    return _detail(queries.escalation(escalation.id), user), 201, _location(escalation)


@bp.get("/escalations")
def list_escalations():
    """Escalations, newest first (moderators and above)."""
    user = auth.require_user()
    require(user, "escalation.view")
    cursor = request.args.get("cursor") or None
    if cursor is not None and (len(cursor) > MAX_CURSOR or decode_cursor(cursor)[1] > MAX_ID):
        raise Invalid({"cursor": "This page link is broken; start again from the first page."})
    limit = query_int("limit", current_app.config["PAGE_SIZE"], low=1, high=100)
    page = queries.escalations(status=request.args.get("status") or None,
                               delivery=request.args.get("delivery") or None, cursor=cursor, limit=limit)
    return {"items": [_escalation(e) for e in page.items], "next_cursor": page.next_cursor}


@bp.get("/escalations/<int:escalation_id>")
def get_escalation(escalation_id: int):
    """One escalation: staff see its deliveries, the asker its status."""
    user = auth.current_user()
    escalation = queries.escalation(escalation_id) if escalation_id <= MAX_ID else None
    if escalation is None or not can(user, "thread.read", escalation.thread):
        raise NotFound("No escalation has this id.")
    if not (can(user, "escalation.view") or can(user, "escalation.status", escalation.thread)):
        # Whether a thread went to support is not for everyone to learn, nor how many did.
        raise NotFound("No escalation has this id.")
    return _detail(escalation, user)


# -- the help desk's callback ----------------------------------------------------------

def _callback_rate() -> str:
    return current_app.config.get("ESCALATION_CALLBACK_RATE") or DEFAULT_CALLBACK_RATE


def _bad_signature(detail: str):
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Standard-Webhooks realm="escalation-callbacks"'
    return response


def _endpoint_param() -> int | None:
    raw = request.args.get("endpoint")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 19 or not 0 < int(raw) <= MAX_ID:
        raise Invalid({"endpoint": "endpoint is the id of a webhook endpoint."})
    return int(raw)


@callback_bp.post("/escalations/callback")
@limiter.limit(_callback_rate, key_func=remote_address)
def callback():
    """A ticket's status from the help desk, signed with an endpoint's secret."""
    try:
        endpoint_id = _endpoint_param()
    except Invalid as exc:
        return _invalid(exc.errors)
    body = request.get_data()  # the exact bytes that were signed; 413 past MAX_CONTENT_LENGTH
    headers = {k.lower(): v for k, v in request.headers.items()}
    for attempt in range(2):
        try:
            escalation, changed = callbacks.callback(body, headers, endpoint_id=endpoint_id)
            break
        except callbacks.BadSignature:
            return _bad_signature("The webhook-signature does not match any endpoint's secret, a webhook header "
                                  "is missing, or webhook-timestamp is more than five minutes from now.")
        except Invalid as exc:
            return _invalid(exc.errors)
        except RecursionError:
            return _invalid({"body": "The body is not JSON."})
        except NotFound:
            return problem(404, "Not Found", "No escalation has this escalation_id or ticket_id.")
        except Conflict:
            # The same callback applied concurrently: the second look finds its receipt.
            if attempt:
                raise
    return {"applied": changed, "escalation_id": escalation.id,
            "ticket_status": escalation.ticket_status.value if escalation.ticket_status else None}


def _invalid(errors: dict[str, str]):
    """400 naming the fields at fault: the help desk must fix the request, not retry it."""
    items = [{"field": k, "message": v} for k, v in errors.items()]
    return problem(400, "Bad Request", f"The callback is not valid: {', '.join(errors)}.", errors=items)


# -- the OpenAPI part --------------------------------------------------------------

ESCALATION_ID = {"name": "escalation_id", "in": "path", "required": True, "schema": ID}
THREAD_ID = {"name": "thread_id", "in": "path", "required": True, "schema": ID}
TICKET_STATUS = {"type": "string", "enum": [s.value for s in TicketStatus]}
NULLABLE_TEXT = {"type": ["string", "null"]}
STATUS = {
    "id": ID, "thread_id": ID,
    "trigger": {"type": "string", "enum": [t.value for t in Trigger],
                "description": "`asker` (I still need help), `staff` (Escalate to support) or `auto` (the sweep)."},
    "delivery": {"type": "string", "enum": [d.value for d in Delivery],
                 "description": "Where the handoff stands: `queued`, `delivered` (a help desk took it), `failed` "
                                "(every delivery is dead) or `no_endpoint`."},
    "ticket_id": {**NULLABLE_TEXT, "description": "The help desk's ticket, once it told us."},
    "ticket_status": {"type": ["string", "null"], "enum": [*TICKET_STATUS["enum"], None]},
    "badge": {**TEXT, "description": "What the thread shows: `ticket #123, pending`."},
    "created_at": TIME, "solved_at": NULLABLE_TIME,
    "reply_post_id": {"type": ["integer", "null"],
                      "description": "The help desk's public reply, posted in the thread as an answer."},
}
STAFF = {
    "thread": _obj({"id": ID, "title": TEXT, "status": {"type": "string",
                                                       "enum": ["open", "solved", "escalated", "closed"]},
                    "category": _ref("CategoryRef"), "url": {"type": "string", "format": "uri"}}),
    "requester": _ref("User"),
    "requested_by": {"oneOf": [_ref("User"), {"type": "null"}], "description": "Null for the sweep."},
    "note": TEXT, "idempotency_key": {**TEXT, "description": "The help desk's key against duplicate tickets."},
    "delivered_at": NULLABLE_TIME, "ticket_url": {"type": ["string", "null"], "format": "uri"},
    "ticket_updated_at": {**NULLABLE_TIME, "description": "The help desk's time of the status held."},
    "agent": TEXT,
}
ATTEMPT = _obj({
    "number": {"type": "integer", "minimum": 1}, "started_at": TIME, "duration_ms": {"type": "integer"},
    "url": TEXT, "status_code": {"type": ["integer", "null"]}, "error": TEXT, "response_excerpt": TEXT,
    "request_headers": {"type": "object", "description": "As sent; credentials redacted."}, "worker": TEXT,
})
MESSAGE = _obj({
    "id": {**TEXT, "description": "The `webhook-id`, the same on every attempt."}, "event_type": TEXT,
    "status": {"type": "string", "enum": [s.value for s in MessageStatus]},
    "endpoint": _obj({"id": ID, "url": TEXT, "format": {"type": "string", "enum": ["standard", "zendesk"]},
                      "active": {"type": "boolean"}}),
    "attempt_count": {"type": "integer", "minimum": 0}, "last_status": {"type": ["integer", "null"]},
    "last_error": TEXT, "next_attempt_at": NULLABLE_TIME, "created_at": TIME, "finished_at": NULLABLE_TIME,
    "attempts": {"type": "array", "items": ATTEMPT, "description": "Oldest first."},
})
CALLBACK = _obj({
    "escalation_id": {**ID, "description": "The `escalation_id` of the `thread.escalated` event."},
    "ticket_id": {"type": ["string", "integer"], "description": "Or the ticket's id, once the forum knows it."},
    "status": TICKET_STATUS,
    "updated_at": {**TIME, "description": "The help desk's time of this status, with a zone. A callback older "
                                          "than the status held changes nothing."},
    "public_reply": {**TEXT, "description": "Markdown; posted in the thread as an answer when the ticket is "
                                            "solved or closed."},
    "agent": {**TEXT, "maxLength": 100}, "ticket_url": {"type": "string", "format": "uri"},
}, optional=("escalation_id", "ticket_id", "public_reply", "agent", "ticket_url"))
SIGNATURE_HEADERS = tuple({"name": name, "in": "header", "required": True, "schema": {"type": "string"},
                           "description": text} for name, text in (
    ("webhook-id", "A unique id per callback; a repeated id is a replay and changes nothing."),
    ("webhook-timestamp", "Unix seconds; refused more than five minutes from now."),
    ("webhook-signature", "`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the endpoint's secret.")))


def openapi_part() -> dict[str, Any]:
    token = [{"bearerAuth": []}]
    problem_json = {"application/problem+json": {"schema": _ref("Problem")}}
    escalate_op = _op(
        "escalateThread", "Send a thread to the help desk.", ok="201", schema="Escalation",
        errors=WRITE_ERRORS, security=token, body="EscalateRequest", params=(THREAD_ID,), location=True,
        description="The asker's \"I still need help\" (their own open thread, once it has an answer or has "
                    f"waited {current_app.config['ESCALATE_ASKER_WAIT_HOURS']:g} hours), or a moderator's "
                    "\"Escalate to support\" (any thread). One escalation per thread: 409 when it already went, "
                    "with its `escalation_id`. Staff get the deliveries; the asker gets the status.")
    callback_op = _op("escalationCallback", "A ticket's status from the help desk.", ok="200",
                      schema="CallbackResult", errors=(), security=[{}], body="Callback",
                      params=(*SIGNATURE_HEADERS, _query("endpoint", ID, "The endpoint whose secret signed it "
                                                                         "(otherwise every endpoint is tried).")),
                      description="No bearer token: signed like the forum's own webhooks (Standard Webhooks) "
                                  "with the endpoint's secret, or its previous one during a rotation. Replays "
                                  "(the same webhook-id) and callbacks older than the status held answer 200 "
                                  "with `applied: false`. Not subject to the posting limits; limited per "
                                  "address.")
    callback_op["responses"] = {
        "200": callback_op["responses"]["200"],
        "400": {"description": "The body is not a valid callback; `errors` names the fields.",
                "content": problem_json},
        "401": {"description": "The signature is missing or wrong, or the timestamp is stale.",
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}, "content": problem_json},
        "404": {"description": "No escalation has this escalation_id or ticket_id.", "content": problem_json},
        "409": {"$ref": "#/components/responses/Conflict"},
        "413": {"$ref": "#/components/responses/TooLarge"},
        "429": {"$ref": "#/components/responses/TooManyRequests"},
    }
    return {
        "paths": {
            "/threads/{thread_id}/escalate": {"post": escalate_op},
            "/escalations": {"get": _op(
                "listEscalations", "Escalated threads, newest first (moderators and above).", ok="200",
                schema="EscalationList", errors=(403, 422), security=token, params=(
                    _query("status", {"type": "string", "enum": [*TICKET_STATUS["enum"], "none"]},
                           "The ticket's status; `none` for escalations without a ticket yet."),
                    _query("delivery", {"type": "string", "enum": [*(d.value for d in Delivery), "attention"]},
                           "Where the handoff stands; `attention` is `failed` or `no_endpoint`."),
                    _query("cursor", {"type": "string"}, "`next_cursor` from the previous page."),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                     "default": current_app.config["PAGE_SIZE"]}, "Escalations per page.")))},
            "/escalations/{escalation_id}": {"get": _op(
                "getEscalation", "One escalation.", ok="200", schema="Escalation", errors=(404,),
                params=(ESCALATION_ID,),
                description="Moderators and above get the thread, the note and every webhook message with its "
                            "attempts. The asker gets the status only; anyone else a 404, unless ticket "
                            "statuses are public.")},
            "/escalations/callback": {"post": callback_op},
        },
        "schemas": {
            "Escalation": {**_obj({**STATUS, **STAFF, "messages": {
                "type": "array", "items": MESSAGE, "description": "Every webhook message, newest first."}},
                optional=(*STAFF, "messages")),
                "description": "Moderators and above see every field; the asker sees the status fields."},
            "EscalationList": _obj({"items": {"type": "array", "items": _ref("Escalation")}, "next_cursor": {
                "type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."}}),
            "EscalateRequest": _obj({"note": {**TEXT, "maxLength": services.MAX_NOTE,
                                              "description": "What the help desk should know."}},
                                    optional=("note",)),
            "Callback": CALLBACK,
            "CallbackResult": _obj({
                "applied": {"type": "boolean", "description": "False for a replay or an out-of-date status."},
                "escalation_id": ID, "ticket_status": {"type": ["string", "null"],
                                                       "enum": [*TICKET_STATUS["enum"], None]}}),
        },
    }


def init_app(app: Flask) -> None:
    from ..extensions import csrf

    register(app, bp, openapi_part)
    csrf.exempt(callback_bp)
    app.register_blueprint(callback_bp)
