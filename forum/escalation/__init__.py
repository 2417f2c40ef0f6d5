"""Escalation: threads the community can't solve become help-desk tickets through
signed webhooks, and the ticket's status comes back to the thread.

Three triggers (the asker's "I still need help", staff's "Escalate to support", and a
periodic sweep after ``ESCALATE_AFTER_HOURS``) open one escalation per thread. Its
``thread.escalated`` message to each endpoint (Standard Webhooks, or a Zendesk ticket)
is written in the same transaction and delivered by the job worker with retries for
three days; the help desk answers through a signed callback. Other packages add to
the payload with :func:`payload.context_provider` and hear about it through
``forum.events`` (``ThreadEscalated``, ``EscalationLastCall``, ``TicketStatusChanged``,
``WebhookDead``).
"""
from __future__ import annotations

from flask import Flask

from .. import events, jobs


def _sweep(_payload: dict) -> None:
    from .services import sweep

    sweep()


def init_app(app: Flask) -> None:
    from . import api, cli, delivery, services, views

    jobs.handler(app, delivery.DELIVER, delivery.deliver, transaction=False)
    jobs.handler(app, services.SWEEP, _sweep, transaction=False)
    if float(app.config["ESCALATE_AFTER_HOURS"] or 0) > 0:
        jobs.periodic(app, services.SWEEP, float(app.config["ESCALATE_SWEEP_SECONDS"]))
    events.listen(app, events.AnswerUnaccepted, services.on_unaccepted)
    views.init_app(app)
    api.init_app(app)
    cli.init_app(app)
