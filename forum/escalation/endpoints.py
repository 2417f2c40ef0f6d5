"""Managing webhook endpoints: add, change, enable or disable, rotate the secret, send
a test event. Admins only (``webhooks.manage``); ``by=None`` is the command line.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import current_app

from ..db import get_by_id, lock, utcnow, write_transaction
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..models import User
from . import delivery, payload, webhooks
from .delivery import disable
from .models import Endpoint, Format, Message

EVENT_TYPES = ("thread.escalated", "webhook.test")


def _endpoint_fields(url: object, fmt: object, event_types: object, description: object, credentials: object,
                     errors: dict[str, str], *, allow_private: bool = True) -> tuple[str, Format, list[str], str, str]:
    url = str(url or "").strip()
    if problem := webhooks.check_url(url, allow_private=allow_private):
        errors["url"] = problem
    try:
        fmt = Format(str(fmt or "standard"))
    except ValueError:
        errors["format"] = "The format is standard or zendesk."
        fmt = Format.STANDARD
    if event_types is None or event_types == "":
        types = ["thread.escalated"]
    else:
        types = [event_types] if isinstance(event_types, str) else list(event_types) \
            if isinstance(event_types, (list, tuple)) else []
        if not types or any(t not in EVENT_TYPES for t in types):
            errors["event_types"] = f"Choose among {', '.join(EVENT_TYPES)}."
    description = str(description or "").strip()
    if len(description) > 200:
        errors["description"] = "Keep the description under 200 characters."
    credentials = str(credentials or "").strip()
    if len(credentials) > 300:
        errors["credentials"] = "Keep the credentials under 300 characters."
    return url, fmt, types, description, credentials


def add_endpoint(*, by: User | None, url: object, secret: object = None, fmt: object = "standard",
                 event_types: object = None, personal_data: bool = False, allow_private: bool = False,
                 description: object = "", credentials: object = "") -> tuple[Endpoint, str]:
    """Add an endpoint; returns it and its secret (shown once). ``by`` None is the CLI."""
    if by is not None:
        require(by, "webhooks.manage")
    errors: dict[str, str] = {}
    url, fmt, types, description, credentials = _endpoint_fields(url, fmt, event_types, description,
                                                                 credentials, errors, allow_private=bool(allow_private))
    secret = str(secret or "").strip() or webhooks.new_secret()
    if not webhooks.valid_secret(secret):
        errors["secret"] = "A secret is whsec_ followed by base64, at least 24 bytes; leave it empty for a new one."
    if errors:
        raise Invalid(errors)
    with write_transaction():
        endpoint = Endpoint(url=url, secret=secret, format=fmt, event_types=types, personal_data=bool(personal_data),
                            allow_private=bool(allow_private), description=description, credentials=credentials)
        db.session.add(endpoint)
    return endpoint, secret


def update_endpoint(endpoint: Endpoint, *, by: User | None, **changes: Any) -> Endpoint:
    if by is not None:
        require(by, "webhooks.manage")
    errors: dict[str, str] = {}
    url, fmt, types, description, credentials = _endpoint_fields(
        changes.get("url", endpoint.url), changes.get("fmt", endpoint.format.value),
        changes.get("event_types", endpoint.event_types), changes.get("description", endpoint.description),
        changes.get("credentials", endpoint.credentials), errors,
        allow_private=bool(changes.get("allow_private", endpoint.allow_private)))
    if errors:
        raise Invalid(errors)
    with write_transaction():
        endpoint = lock(Endpoint, endpoint.id)
        endpoint.url, endpoint.format, endpoint.event_types = url, fmt, types
        endpoint.description, endpoint.credentials = description, credentials
        for flag in ("personal_data", "allow_private"):
            if flag in changes:
                setattr(endpoint, flag, bool(changes[flag]))
        if "active" in changes:
            set_active(endpoint, bool(changes["active"]))
    return endpoint


def set_active(endpoint: Endpoint, active: bool) -> None:
    if active:
        endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = True, None, ""
    elif endpoint.active:
        disable(endpoint, "disabled by an admin")


def enable(endpoint: Endpoint, *, by: User | None, active: bool = True) -> Endpoint:
    if by is not None:
        require(by, "webhooks.manage")
    with write_transaction():
        endpoint = lock(Endpoint, endpoint.id)
        set_active(endpoint, active)
    return endpoint


def rotate_secret(endpoint: Endpoint, *, by: User | None, secret: object = None) -> tuple[Endpoint, str]:
    """A new secret; the old one keeps signing (and verifying callbacks) for
    ``WEBHOOK_ROTATION_HOURS`` so the receiver can switch without losing a message."""
    if by is not None:
        require(by, "webhooks.manage")
    secret = str(secret or "").strip() or webhooks.new_secret()
    if not webhooks.valid_secret(secret):
        raise Invalid({"secret": "A secret is whsec_ followed by base64, at least 24 bytes."})
    with write_transaction():
        endpoint = lock(Endpoint, endpoint.id)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_until = utcnow() + timedelta(hours=float(current_app.config["WEBHOOK_ROTATION_HOURS"]))
        endpoint.secret = secret
    return endpoint, secret


def send_test(endpoint: Endpoint, *, by: User) -> Message:
    """Queue a ``webhook.test`` event to ``endpoint`` (whatever its event types)."""
    require(by, "webhooks.manage")
    with write_transaction():
        endpoint = lock(Endpoint, endpoint.id)
        data = {"message": "A test event from the support forum.", "endpoint_id": endpoint.id,
                "sent_by": by.username}
        message = Message(id=webhooks.new_message_id(), endpoint_id=endpoint.id, event_type="webhook.test",
                          attempts=0,
                          body=json.dumps(payload.envelope("webhook.test", data), separators=(",", ":")),
                          next_attempt_at=utcnow())
        db.session.add(message)
        delivery.enqueue(message)
    return message


def get_endpoint(endpoint_id: object) -> Endpoint:
    endpoint = get_by_id(Endpoint, endpoint_id)
    if endpoint is None:
        raise NotFound()
    return endpoint
