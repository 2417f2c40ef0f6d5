"""Escalation use cases: escalate a thread (the asker, staff, or the sweep), and the
sweep that sends the last call and escalates threads nobody solved.

An escalation, its ``thread.escalated`` messages (one per endpoint) and the jobs that
deliver them commit together or not at all (delivery lives in ``delivery``).
"""
from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import events
from ..db import Conflict, get_by_id, lock, utcnow, write_transaction
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..models import Category, PostState, Thread, ThreadStatus, User
from . import delivery, payload, webhooks
from .models import Delivery, Endpoint, Escalation, LastCall, Message, Trigger

MAX_NOTE = 2000
SWEEP = "escalation.sweep"


# -- escalating ---------------------------------------------------------------------------

def _clean_note(note: object) -> str:
    text = str(note or "").strip()
    if len(text) > MAX_NOTE:
        raise Invalid({"note": f"Keep the note under {MAX_NOTE:,} characters."})
    return text


def _enqueue(endpoint: Endpoint, event_type: str, data: dict[str, Any], escalation: Escalation | None) -> Message:
    message = Message(id=webhooks.new_message_id(), endpoint_id=endpoint.id, event_type=event_type,
                      escalation_id=escalation.id if escalation else None, attempts=0,
                      body=json.dumps(payload.body(endpoint, event_type, data), separators=(",", ":")),
                      next_attempt_at=utcnow())
    db.session.add(message)
    delivery.enqueue(message)
    return message


def _open(thread: Thread, *, trigger: Trigger, note: str, by: User | None) -> Escalation:
    """Inside a write transaction with the thread locked: create the escalation and its messages."""
    if db.session.execute(sa.select(Escalation.id).where(Escalation.thread_id == thread.id)).first():
        raise Conflict("This thread has already been escalated.")
    now = utcnow()
    escalation = Escalation(thread_id=thread.id, trigger=trigger, note=note, requested_by_id=by.id if by else None,
                            idempotency_key=f"esc_{secrets.token_hex(16)}", created_at=now)
    db.session.add(escalation)
    db.session.flush()
    if thread.status == ThreadStatus.OPEN:
        thread.status = ThreadStatus.ESCALATED
    endpoints = [e for e in _endpoints() if e.wants("thread.escalated")]
    # The context (transcript, articles, searches) is read once per kind of payload, not per endpoint.
    data: dict[bool, dict] = {}
    for endpoint in endpoints:
        personal = endpoint.personal_data
        if personal not in data:
            data[personal] = payload.escalated(escalation, personal=personal)
        _enqueue(endpoint, "thread.escalated", data[personal], escalation)
    escalation.delivery = Delivery.QUEUED if endpoints else Delivery.NO_ENDPOINT
    events.emit(events.ThreadEscalated(thread_id=thread.id, escalation_id=escalation.id, asker_id=thread.author_id,
                                       trigger=trigger.value, by_id=by.id if by else None))
    return escalation


def escalate(thread: Thread, *, by: User, note: object = "", trigger: Trigger | None = None) -> Escalation:
    """The asker's "I still need help", or staff's "Escalate to support"."""
    if trigger is None:
        trigger = Trigger.ASKER if thread.author_id == by.id and not by.is_moderator else Trigger.STAFF
    action = "escalation.request" if trigger == Trigger.ASKER else "escalation.create"
    require(by, action, thread)
    note = _clean_note(note)
    with write_transaction():
        thread = lock(Thread, thread.id)
        require(by, action, thread)
        return _open(thread, trigger=trigger, note=note, by=by)


def for_thread(thread_id: int) -> Escalation | None:
    return db.session.execute(sa.select(Escalation).where(Escalation.thread_id == thread_id)).scalar_one_or_none()


def last_call(thread_id: int) -> LastCall | None:
    return db.session.get(LastCall, thread_id)


def get(escalation_id: object) -> Escalation:
    escalation = get_by_id(Escalation, escalation_id)
    if escalation is None:
        raise NotFound()
    return escalation


def _unsolved(now: datetime, older_than: datetime, newer_than: datetime):
    """Open, visible threads in categories that escalate, created in the window, with
    no escalation yet."""
    return (sa.select(Thread).join(Category, Category.id == Thread.category_id)
            .where(Thread.status == ThreadStatus.OPEN, Thread.state == PostState.VISIBLE,
                   Thread.accepted_post_id.is_(None), Thread.locked.is_(False), Category.auto_escalate.is_(True),
                   Thread.created_at <= older_than, Thread.created_at > newer_than,
                   ~sa.exists().where(Escalation.thread_id == Thread.id))
            .order_by(Thread.created_at, Thread.id))


def _still_unsolved(thread: Thread | None) -> bool:
    return (thread is not None and thread.status == ThreadStatus.OPEN and thread.state == PostState.VISIBLE
            and thread.accepted_post_id is None and not thread.locked)


def sweep(limit: int = 200) -> dict[str, int]:
    """Send the last call for threads that will be escalated soon, and escalate the
    threads whose time is up and whose last call went out long enough ago."""
    config = current_app.config
    hours = float(config["ESCALATE_AFTER_HOURS"] or 0)
    if hours <= 0:
        return {"last_calls": 0, "escalated": 0}
    now = utcnow()
    after = timedelta(hours=hours)
    notice = timedelta(hours=min(float(config["ESCALATE_LAST_CALL_HOURS"]), hours))
    oldest = now - after - timedelta(days=float(config["ESCALATE_LOOKBACK_DAYS"]))
    counts = {"last_calls": 0, "escalated": 0}
    with write_transaction():
        due_soon = db.session.execute(
            _unsolved(now, now - after + notice, oldest)
            .where(~sa.exists().where(LastCall.thread_id == Thread.id)).limit(limit)).scalars().all()
        for thread in due_soon:
            # Under the thread's lock, look again: a concurrent sweep may have sent it.
            thread = lock(Thread, thread.id)
            if not _still_unsolved(thread) or db.session.execute(
                    sa.select(LastCall.thread_id).where(LastCall.thread_id == thread.id)).first():
                continue
            due = max(thread.created_at + after, now + notice)
            db.session.add(LastCall(thread_id=thread.id, sent_at=now, due_at=due))
            events.emit(events.EscalationLastCall(thread_id=thread.id, asker_id=thread.author_id, due_at=due))
            counts["last_calls"] += 1
    with write_transaction():
        ready = db.session.execute(
            _unsolved(now, now - after, oldest).join(LastCall, LastCall.thread_id == Thread.id)
            .where(LastCall.due_at <= now).limit(limit)).scalars().all()
        for thread in ready:
            locked = lock(Thread, thread.id)
            if not _still_unsolved(locked) or for_thread(locked.id) is not None:
                continue
            _open(locked, trigger=Trigger.AUTO, note="", by=None)
            counts["escalated"] += 1
    return counts


def on_unaccepted(event: events.AnswerUnaccepted) -> None:
    """An escalated thread whose accepted answer is withdrawn is escalated again, not open."""
    thread = db.session.get(Thread, event.thread_id)
    if thread is not None and thread.status == ThreadStatus.OPEN and for_thread(thread.id) is not None:
        thread.status = ThreadStatus.ESCALATED


def _endpoints() -> list[Endpoint]:
    return list(db.session.execute(sa.select(Endpoint).where(Endpoint.active.is_(True)).order_by(Endpoint.id))
                .scalars())
