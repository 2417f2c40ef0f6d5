"""Notifications: people hear about answers, accepts, mentions, moderation, badges and
support tickets, in the app (a bell, a page) and by e-mail (at once, coalesced, or in
a daily or weekly digest), and choose how per kind.

Forum events become notifications inside their own transaction (``listeners``);
plugins call :func:`notify` for their own facts. Everything that leaves the database
(every e-mail) is a job for the worker. Account mail (confirm an address, reset a
password) goes the same way.
"""
from __future__ import annotations

from flask import Flask

from .. import jobs
from .services import EMAIL_JOB, notify, notify_many

__all__ = ["notify", "notify_many", "init_app"]

DIGEST_JOB = "notify.digest"
ACCOUNT_JOB = "mail.account"


def init_app(app: Flask) -> None:
    from . import api, listeners, mail, text, views

    mail.configure(app)
    listeners.init_app(app)
    views.init_app(app)
    api.init_app(app)
    app.jinja_env.filters["notification_text"] = text.describe
    app.jinja_env.filters["notification_link"] = text.link
    jobs.handler(app, EMAIL_JOB, mail.send_instant, transaction=False)
    jobs.handler(app, DIGEST_JOB, mail.send_digests, transaction=False)
    jobs.handler(app, ACCOUNT_JOB, mail.send_account_mail, transaction=False)
    jobs.periodic(app, DIGEST_JOB, 3600)
