"""The jobs outbox: side effects as rows, committed with the use case that caused them.

A service calls :func:`enqueue` inside its transaction; the job becomes visible only
if that transaction commits. Workers (``flask --app wsgi worker``, or a thread of the
web process in the one-command default) claim due jobs, run the handler registered
for their kind, and retry failures with exponential backoff. A job that keeps failing
is parked as ``failed``, visible to admins at ``/admin/jobs`` and replayable.

Handlers are registered per app by the package that owns the side effect:
``jobs.handler(app, "search.index_thread", fn)``; ``fn(payload)`` runs inside an
app context and may use the session; the worker commits after it returns.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask

from .models import Job, JobStatus
from .queue import enqueue

Handler = Callable[[dict[str, Any]], None]
_KEY = "forum.jobs"

__all__ = ["Job", "JobStatus", "enqueue", "handler", "handlers", "init_app"]


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = {}
    from . import cli, views  # noqa: F401  (package-internal modules)

    cli.init_app(app)
    views.init_app(app)
    if app.config["EMBEDDED_WORKER"]:
        from .worker import start_embedded

        start_embedded(app)


def handler(app: Flask, kind: str, fn: Handler) -> None:
    """Run ``fn(payload)`` for jobs of ``kind``."""
    app.extensions[_KEY][kind] = fn


def handlers(app: Flask) -> dict[str, Handler]:
    return app.extensions[_KEY]
