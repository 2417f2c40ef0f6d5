"""Moderation: flags, the one review queue, moderator actions, the audit log, suspensions.

Owns its models, services, blueprint and CLI. Listens to the forum's events
(``forum.events``) and acts on content only through forum services. Depends on
``forum``; ``forum`` never imports this package.
"""
from __future__ import annotations

from flask import Flask

from . import alerts, listeners, models, spam, web  # noqa: F401  (models registers the tables)


def init_app(app: Flask) -> None:
    """Attach moderation's listeners, jobs and pages to ``app``."""
    app.extensions["moderation"] = {"listeners": []}
    listeners.register(app)
    web.init_app(app)
    spam.init_app(app)
    alerts.init_app(app)
