"""Escalations, webhook endpoints, the messages sent to them and every attempt.

One escalation per thread (unique). A message is one event for one endpoint: its id
is the ``webhook-id`` every retry repeats, its body is stored exactly as first signed
so a retry sends the same bytes. Each HTTP try is an attempt row, for the delivery log.
Incoming callbacks leave a receipt keyed by their ``webhook-id``, so a replay changes
nothing.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import utcnow
from ..extensions import db
from ..models import Post, Thread, Timestamp, User, string_enum


class Trigger(str, enum.Enum):
    ASKER = "asker"
    STAFF = "staff"
    AUTO = "auto"

    @property
    def label(self) -> str:
        return {"asker": "Asker asked for help", "staff": "Escalated by staff",
                "auto": "No solution in time"}[self.value]


class Delivery(str, enum.Enum):
    """Where the escalation's handoff stands, whatever the ticket says."""
    QUEUED = "queued"          # waiting for the worker
    DELIVERED = "delivered"    # at least one endpoint took it (2xx)
    FAILED = "failed"          # every message to it is dead
    NO_ENDPOINT = "no_endpoint"  # nothing was configured to receive it


class TicketStatus(str, enum.Enum):
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"

    @property
    def rank(self) -> int:
        return list(TicketStatus).index(self)


class Format(str, enum.Enum):
    STANDARD = "standard"
    ZENDESK = "zendesk"


class MessageStatus(str, enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class Escalation(db.Model):
    __tablename__ = "escalations"
    __table_args__ = (
        sa.Index("ix_escalations_created", "created_at"),
        sa.Index("ix_escalations_delivery_created", "delivery", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"), unique=True)
    trigger: Mapped[Trigger] = mapped_column(string_enum(Trigger, "escalation_trigger"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Sent as the ``Idempotency-Key`` and in the payload: the help desk's dedupe key.
    idempotency_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    delivery: Mapped[Delivery] = mapped_column(string_enum(Delivery, "escalation_delivery"), default=Delivery.QUEUED)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(Timestamp)
    ticket_id: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    ticket_url: Mapped[str | None] = mapped_column(sa.String(500))
    ticket_status: Mapped[TicketStatus | None] = mapped_column(string_enum(TicketStatus, "ticket_status"))
    #: The help desk's time of the status we hold: older callbacks are ignored.
    ticket_updated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    agent: Mapped[str] = mapped_column(sa.String(100), default="")
    solved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    reply_post_id: Mapped[int | None] = mapped_column(sa.ForeignKey("posts.id", ondelete="SET NULL"))

    thread: Mapped[Thread] = relationship()
    requested_by: Mapped[User | None] = relationship()
    reply_post: Mapped[Post | None] = relationship()

    @property
    def badge(self) -> str:
        """"ticket #123, pending" or where the handoff stands."""
        if self.ticket_status is not None or self.ticket_id:
            ticket = f"ticket #{self.ticket_id}" if self.ticket_id else "ticket"
            return f"{ticket}, {(self.ticket_status or TicketStatus.OPEN).value}"
        return {Delivery.QUEUED: "waiting for the help desk", Delivery.DELIVERED: "received by the help desk",
                Delivery.FAILED: "delivery failed, staff are on it",
                Delivery.NO_ENDPOINT: "waiting for staff"}[self.delivery]


class LastCall(db.Model):
    """The notice that a thread will be escalated soon, sent once per thread."""

    __tablename__ = "escalation_last_calls"

    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(Timestamp)


class Endpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    secret: Mapped[str] = mapped_column(sa.String(100))
    #: The secret before the last rotation, still signed with until ``previous_until``.
    previous_secret: Mapped[str | None] = mapped_column(sa.String(100))
    previous_until: Mapped[datetime | None] = mapped_column(Timestamp)
    format: Mapped[Format] = mapped_column(string_enum(Format, "webhook_format"), default=Format.STANDARD)
    event_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    #: Whether the requester's e-mail address may be sent.
    personal_data: Mapped[bool] = mapped_column(default=False)
    #: Whether the URL may resolve to a private, loopback or link-local address.
    allow_private: Mapped[bool] = mapped_column(default=False)
    #: Zendesk: ``agent@example.com/token:API_TOKEN``, sent as HTTP Basic auth.
    credentials: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(Timestamp)
    disabled_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    def secrets(self, now: datetime) -> list[str]:
        """The secrets to sign with now: the current one, and the previous one during
        the overlap after a rotation."""
        out = [self.secret]
        if self.previous_secret and self.previous_until and self.previous_until > now:
            out.append(self.previous_secret)
        return out

    def wants(self, event_type: str) -> bool:
        return self.active and (not self.event_types or event_type in self.event_types)


class Message(db.Model):
    __tablename__ = "webhook_messages"
    __table_args__ = (
        sa.Index("ix_webhook_messages_endpoint_created", "endpoint_id", "created_at"),
        sa.Index("ix_webhook_messages_status_created", "status", "created_at"),
    )

    #: ``msg_...``: the ``webhook-id`` header, the same on every retry.
    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    escalation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("escalations.id", ondelete="SET NULL"),
                                                      index=True)
    event_type: Mapped[str] = mapped_column(sa.String(60))
    #: The request body, exactly as signed.
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[MessageStatus] = mapped_column(string_enum(MessageStatus, "webhook_message_status"),
                                                  default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_status: Mapped[int | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)

    endpoint: Mapped[Endpoint] = relationship()
    escalation: Mapped[Escalation | None] = relationship()


class Attempt(db.Model):
    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_message", "message_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.ForeignKey("webhook_messages.id", ondelete="CASCADE"))
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    duration_ms: Mapped[int] = mapped_column(default=0)
    url: Mapped[str] = mapped_column(sa.String(500))
    request_headers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status_code: Mapped[int | None] = mapped_column()
    response_excerpt: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    worker: Mapped[str] = mapped_column(sa.String(120), default="")

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Receipt(db.Model):
    """One row per accepted incoming callback: its ``webhook-id`` is never applied twice."""

    __tablename__ = "escalation_callback_receipts"

    webhook_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    endpoint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="SET NULL"))
    escalation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("escalations.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    applied: Mapped[bool] = mapped_column(default=False)
