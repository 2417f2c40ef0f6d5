"""Delivering webhook messages: one attempt per job, the retry schedule, dead letters,
redelivery and replay.

The handler runs outside any transaction while it waits for the network: it reads the
message, sends, then records the attempt and what follows (the next try, success, or
a dead letter) in one short transaction under a lock on the message. A worker killed
mid-send leaves the job locked; when the lease runs out another worker sends again
under the same ``webhook-id`` (at least once, at most once more).
"""
from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import events, jobs
from ..db import MAX_ID, Conflict, utcnow, write_transaction
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..models import User
from . import payload, webhooks
from .models import Attempt, Delivery, Endpoint, Escalation, Format, Message, MessageStatus, TicketStatus

log = logging.getLogger(__name__)
DELIVER = "webhook.deliver"


def _request_headers(endpoint: Endpoint, message: Message, now: datetime) -> dict[str, str]:
    out = webhooks.headers(endpoint.secrets(now), message.id, now, message.body)
    if endpoint.format == Format.ZENDESK:
        out["idempotency-key"] = message.escalation.idempotency_key if message.escalation else message.id
        if endpoint.credentials:
            out["authorization"] = "Basic " + base64.b64encode(endpoint.credentials.encode()).decode()
    return out


def enqueue(message: Message, *, run_at: datetime | None = None) -> None:
    """Queue the job for ``message``'s next attempt. The job names the attempt it is
    for, so a stray duplicate job for an attempt already made does nothing."""
    jobs.enqueue(DELIVER, {"message_id": message.id, "attempt": message.attempts or 0}, run_at=run_at)


def deliver(payload_: dict[str, Any]) -> None:
    """Job handler (outside a transaction): one attempt at one message.

    Network trouble never raises (it is an attempt that failed, retried on the
    schedule); anything else is a bug, and the job system retries the job."""
    message_id = str(payload_.get("message_id", ""))
    message = db.session.get(Message, message_id)
    expected = payload_.get("attempt")
    if message is None or message.status != MessageStatus.PENDING or (
            isinstance(expected, int) and expected != message.attempts):
        db.session.commit()
        return
    endpoint = message.endpoint
    if not endpoint.active:
        with write_transaction():
            message = _locked_message(message_id)
            if message is not None and message.status == MessageStatus.PENDING:
                _dead(message, f"endpoint disabled: {endpoint.disabled_reason or 'by an admin'}")
        return
    now = utcnow()
    request_headers = _request_headers(endpoint, message, now)
    url, body, allow_private, seen = endpoint.url, message.body, endpoint.allow_private, message.attempts
    db.session.commit()  # nothing is held while we wait for the receiver
    config = current_app.config
    outcome = webhooks.post(url, body, request_headers, allow_private=allow_private,
                            connect_timeout=float(config["WEBHOOK_CONNECT_TIMEOUT"]),
                            total_timeout=float(config["WEBHOOK_TIMEOUT"]))
    with write_transaction():
        message = _locked_message(message_id)
        if message is None:
            return
        if message.status != MessageStatus.PENDING or message.attempts != seen:
            # Another worker recorded this attempt meanwhile (a lease that ran out):
            # the request went out, so it is logged, but the message is not touched.
            _log(message, outcome, started=now, url=url, number=seen + 1,
                 note="another worker had already recorded this attempt")
            return
        _record(message, outcome, now, url=url)


def _locked_message(message_id: str) -> Message | None:
    return db.session.execute(sa.select(Message).where(Message.id == message_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _log(message: Message, outcome: webhooks.Outcome, *, started: datetime, url: str, number: int,
         note: str = "") -> None:
    from ..jobs.worker import worker_name

    error = "; ".join(e for e in (outcome.error, note) if e)
    db.session.add(Attempt(message_id=message.id, number=number, started_at=started,
                           duration_ms=outcome.duration_ms, url=url[:500],
                           request_headers=outcome.request_headers, status_code=outcome.status_code,
                           response_excerpt=outcome.excerpt, error=error[:500], worker=worker_name()[:120]))


def _record(message: Message, outcome: webhooks.Outcome, started: datetime, *, url: str | None = None) -> None:
    message.attempts += 1
    _log(message, outcome, started=started, url=url or message.endpoint.url, number=message.attempts)
    message.last_status = outcome.status_code
    message.last_error = (outcome.error or ("" if outcome.ok else f"HTTP {outcome.status_code}"))[:500]
    now = utcnow()
    if outcome.ok:
        message.status = MessageStatus.DELIVERED
        message.finished_at = now
        message.next_attempt_at = None
        if message.escalation is not None and message.event_type == "thread.escalated":
            _delivered(message.escalation, message.endpoint, outcome, now)
        return
    if outcome.status_code == 410:
        disable(message.endpoint, "the receiver answered 410 Gone")
        _dead(message, "the receiver answered 410 Gone; the endpoint is disabled")
        return
    retry_after = outcome.retry_after if outcome.status_code in (429, 503) else None
    wait = webhooks.next_delay(message.attempts, list(current_app.config["WEBHOOK_RETRY_SCHEDULE"]), retry_after)
    if wait is None:
        _dead(message, f"no success after {message.attempts} attempts: {message.last_error}")
        return
    message.next_attempt_at = now + wait
    enqueue(message, run_at=message.next_attempt_at)


def _delivered(escalation: Escalation, endpoint: Endpoint, outcome: webhooks.Outcome, now: datetime) -> None:
    escalation.delivery = Delivery.DELIVERED
    escalation.delivered_at = escalation.delivered_at or now
    ticket_id, ticket_url = payload.ticket_from_response(endpoint, outcome.response_json)
    if ticket_id and not escalation.ticket_id:
        escalation.ticket_id = ticket_id
        escalation.ticket_url = ticket_url
        if escalation.ticket_status is None:
            escalation.ticket_status = TicketStatus.OPEN


def _dead(message: Message, reason: str) -> None:
    message.status = MessageStatus.DEAD
    message.finished_at = utcnow()
    message.next_attempt_at = None
    message.last_error = reason[:500]
    escalation = message.escalation
    if escalation is not None and escalation.delivery == Delivery.QUEUED:
        alive = db.session.execute(sa.select(sa.func.count()).select_from(Message).where(
            Message.escalation_id == escalation.id, Message.id != message.id,
            Message.status != MessageStatus.DEAD)).scalar_one()
        if not alive:
            escalation.delivery = Delivery.FAILED
    events.emit(events.WebhookDead(message_id=message.id, endpoint_id=message.endpoint_id,
                                   escalation_id=message.escalation_id))
    log.warning("webhook message %s to endpoint %s is dead: %s", message.id, message.endpoint_id, reason)


def disable(endpoint: Endpoint, reason: str) -> None:
    endpoint.active = False
    endpoint.disabled_at = utcnow()
    endpoint.disabled_reason = reason[:300]


def redeliver(message_id: str, *, by: User) -> Message:
    """Send a delivered or dead message again, under the same ``webhook-id``."""
    require(by, "webhooks.manage")
    with write_transaction():
        message = _locked_message(message_id)
        if message is None:
            raise NotFound()
        if message.status == MessageStatus.PENDING:
            raise Conflict("This message is still being delivered.")
        if not message.endpoint.active:
            raise Invalid({"endpoint": "Enable the endpoint before redelivering to it."})
        _requeue(message)
    return message


def _requeue(message: Message) -> None:
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.finished_at = None
    message.next_attempt_at = utcnow()
    if message.escalation is not None and message.escalation.delivery == Delivery.FAILED:
        message.escalation.delivery = Delivery.QUEUED
    enqueue(message)


def replay_failed(*, by: User, since: datetime, endpoint_id: int | None = None) -> int:
    """Queue every dead message created since ``since`` again; return how many."""
    require(by, "webhooks.manage")
    if endpoint_id is not None and not 0 < endpoint_id <= MAX_ID:  # no such endpoint
        return 0
    with write_transaction():
        q = (sa.select(Message).join(Endpoint, Endpoint.id == Message.endpoint_id)
             .where(Message.status == MessageStatus.DEAD, Message.created_at >= since, Endpoint.active.is_(True)))
        if endpoint_id is not None:
            q = q.where(Message.endpoint_id == endpoint_id)
        messages = db.session.execute(q.with_for_update(of=Message)).scalars().all()
        for message in messages:
            _requeue(message)
    return len(messages)
