"""The help desk's status callbacks: verified with an endpoint's secret (Standard
Webhooks signature, five-minute tolerance), deduplicated by ``webhook-id``, applied in
order of the help desk's ``updated_at`` so a late callback never moves a ticket back.
A solved ticket's public reply joins the thread as a staff answer the asker can accept.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import events
from ..db import MAX_ID, lock, utcnow, write_transaction
from ..errors import Invalid, NotFound
from ..extensions import db
from ..markup import render
from ..models import PostState, Role, Thread, User
from ..threads import services as threads
from ..threads.validation import clean_body
from . import webhooks
from .models import Delivery, Endpoint, Escalation, Receipt, TicketStatus


class BadSignature(Exception):
    """The callback is not signed by any endpoint's secret (or is too old or too new)."""


def _verify(body: bytes, headers: dict[str, str], endpoint_id: int | None) -> Endpoint:
    now = utcnow()
    q = sa.select(Endpoint).order_by(Endpoint.id)
    if endpoint_id is not None:
        q = q.where(Endpoint.id == endpoint_id)
    for endpoint in db.session.execute(q).scalars():
        if any(webhooks.verify(s, body, headers) for s in endpoint.secrets(now)):
            return endpoint
    raise BadSignature()


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed


def _encodable(text: str) -> bool:
    """JSON's ``\ud800`` decodes to a lone surrogate no database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _callback_fields(data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    if not isinstance(data, dict):
        return {}, {"body": "Send a JSON object."}
    out: dict[str, Any] = {}
    escalation_id, ticket_id = data.get("escalation_id"), data.get("ticket_id")
    if escalation_id is None and ticket_id is None:
        errors["escalation_id"] = "Name the escalation_id or the ticket_id."
    if escalation_id is not None and (not isinstance(escalation_id, int) or isinstance(escalation_id, bool)
                                      or not 0 < escalation_id < 2**63):
        errors["escalation_id"] = "escalation_id is a positive integer."
    if ticket_id is not None and (not isinstance(ticket_id, (str, int)) or isinstance(ticket_id, bool)
                                  or not str(ticket_id).strip() or len(str(ticket_id)) > 100):
        errors["ticket_id"] = "ticket_id is a string or number of up to 100 characters."
    try:
        out["status"] = TicketStatus(data.get("status"))
    except ValueError:
        errors["status"] = "status is open, pending, solved or closed."
    out["updated_at"] = _parse_time(data.get("updated_at"))
    if out["updated_at"] is None:
        errors["updated_at"] = "updated_at is an ISO 8601 time with a zone, like 2026-11-23T10:00:00Z."
    reply = data.get("public_reply")
    if reply is not None and not isinstance(reply, str):
        errors["public_reply"] = "public_reply is text (Markdown)."
    agent = data.get("agent")
    if agent is not None and (not isinstance(agent, str) or len(agent) > 100):
        errors["agent"] = "agent is a name of up to 100 characters."
    for name in ("ticket_id", "agent", "ticket_url"):
        if isinstance(data.get(name), str) and not _encodable(data[name]):
            errors[name] = f"{name} is not valid text (a lone surrogate escape)."
    ticket_url = data.get("ticket_url")
    if ticket_url is not None and (not isinstance(ticket_url, str) or len(ticket_url) > 500
                                   or not ticket_url.startswith(("https://", "http://"))):
        errors["ticket_url"] = "ticket_url is an http(s) address of up to 500 characters."
    out.update(escalation_id=escalation_id, ticket_id=None if ticket_id is None else str(ticket_id).strip(),
               public_reply=reply.strip() if isinstance(reply, str) and reply.strip() else None,
               agent=agent.strip() if isinstance(agent, str) else "", ticket_url=ticket_url)
    if out["public_reply"]:
        body_errors: dict[str, str] = {}
        out["public_reply"] = clean_body(out["public_reply"], body_errors)
        # A short reply ("Fixed, thanks!") is fine: the support team's signature follows it.
        short = 0 < len(out["public_reply"].strip()) < current_app.config["MIN_POST_CHARS"]
        if body_errors and not short:
            errors["public_reply"] = next(iter(body_errors.values()))
    return out, errors


def support_user() -> User:
    """The account that posts the help desk's public replies (created on first use)."""
    name = current_app.config["SUPPORT_USERNAME"]
    user = db.session.execute(sa.select(User).where(User.username_key == name.lower())).scalar_one_or_none()
    if user is None:
        user = User(username=name, username_key=name.lower(), email=f"{name.lower()}@support.invalid",
                    password_hash="!", display_name="Support team", role=Role.STAFF,
                    about="Replies from the support team's help desk.")
        db.session.add(user)
        db.session.flush()
    return user


def callback(body: bytes, headers: dict[str, str], *, endpoint_id: int | None = None) -> tuple[Escalation, bool]:
    """Apply a signed status callback. Returns the escalation and whether anything
    changed: a replayed ``webhook-id``, or an update older than what we hold, changes
    nothing. Raises :class:`BadSignature`, :class:`Invalid` or :class:`NotFound`."""
    endpoint = _verify(body, headers, endpoint_id)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        raise Invalid({"body": "The body is not JSON."}) from None
    fields, errors = _callback_fields(data)
    if errors:
        raise Invalid(errors)
    webhook_id = {k.lower(): v for k, v in headers.items()}["webhook-id"][:100]
    with write_transaction():
        escalation = lock(Escalation, _find(fields).id)
        # Looked up under the escalation's lock: a replay racing the original waits
        # for it, then sees its receipt (and is a no-op, not a conflict).
        seen = db.session.execute(sa.select(Receipt.webhook_id).where(Receipt.webhook_id == webhook_id)).first()
        if seen is not None:
            return escalation, False
        db.session.add(Receipt(webhook_id=webhook_id, endpoint_id=endpoint.id, escalation_id=escalation.id))
        changed = _apply(escalation, fields)
        db.session.flush()
        db.session.execute(sa.update(Receipt).where(Receipt.webhook_id == webhook_id).values(applied=changed))
    return escalation, changed


def _find(fields: dict[str, Any]) -> Escalation:
    q = sa.select(Escalation)
    if fields["escalation_id"] is not None:
        if fields["escalation_id"] > MAX_ID:  # past the column's range: PostgreSQL would refuse the query
            raise NotFound()
        q = q.where(Escalation.id == fields["escalation_id"])
    else:
        q = q.where(Escalation.ticket_id == fields["ticket_id"])
    escalation = db.session.execute(q.limit(1)).scalar_one_or_none()
    if escalation is None:
        raise NotFound()
    return escalation


def _apply(escalation: Escalation, fields: dict[str, Any]) -> bool:
    """Move the ticket forward; never back. A callback counts as newer when its
    ``updated_at`` is later, or equal with a later status; a closed ticket stays closed."""
    status: TicketStatus = fields["status"]
    updated: datetime = fields["updated_at"]
    held = escalation.ticket_status
    if held == TicketStatus.CLOSED:
        return False
    if escalation.ticket_updated_at is not None and held is not None:
        if (updated, status.rank) <= (escalation.ticket_updated_at, held.rank):
            return False
    old = held.value if held else None
    escalation.ticket_status = status
    escalation.ticket_updated_at = updated
    if fields["ticket_id"] and not escalation.ticket_id:
        escalation.ticket_id = fields["ticket_id"]
    if fields["ticket_url"] and not escalation.ticket_url:
        escalation.ticket_url = fields["ticket_url"]
    if fields["agent"]:
        escalation.agent = fields["agent"][:100]
    if escalation.delivery != Delivery.DELIVERED:
        escalation.delivery = Delivery.DELIVERED
        escalation.delivered_at = escalation.delivered_at or utcnow()
    if status in (TicketStatus.SOLVED, TicketStatus.CLOSED) and escalation.solved_at is None:
        escalation.solved_at = updated
    reply_id = None
    if fields["public_reply"] and status in (TicketStatus.SOLVED, TicketStatus.CLOSED) \
            and escalation.reply_post_id is None:
        reply_id = _post_reply(escalation, fields["public_reply"], fields["agent"])
    events.emit(events.TicketStatusChanged(escalation_id=escalation.id, thread_id=escalation.thread_id,
                                           asker_id=escalation.thread.author_id, old=old, new=status.value,
                                           reply_post_id=reply_id))
    return True


def _post_reply(escalation: Escalation, text: str, agent: str) -> int | None:
    """The help desk's public reply, as a staff answer the asker can accept."""
    thread = lock(Thread, escalation.thread_id)
    if thread is None or thread.state == PostState.DELETED:
        return None
    author = support_user()
    signature = f"\n\n*{agent} for the support team*" if agent else "\n\n*The support team*"
    body = text + signature
    post = threads.add_answer(thread, author=author, body=body, html=render(body), state=PostState.VISIBLE)
    escalation.reply_post_id = post.id
    return post.id
