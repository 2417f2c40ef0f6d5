"""The jobs outbox: side effects as rows, committed with the use case that caused them.

A service calls :func:`enqueue` inside its transaction; the job becomes visible only
if that transaction commits. Workers (``flask --app wsgi worker``, or a thread of the
web process in the one-command default) claim due jobs, run the handler registered
for their kind, and retry failures with exponential backoff. A job that keeps failing
is parked as ``failed``, visible to admins at ``/admin/jobs`` and replayable.

Handlers are registered per app by the package that owns the side effect:
``jobs.handler(app, "webhook.deliver", fn)``; ``fn(payload)`` runs inside an app
context and may use the session; the worker commits after it returns. A kind whose
jobs are cheaper together (search indexing: one index commit for many changes)
registers ``jobs.batch_handler(app, kind, fn)`` instead: ``fn(payloads)`` gets every
claimed job of that kind at once, and they succeed or fail together. A handler that
talks to the network registers with ``transaction=False``: it runs outside any
transaction and opens its own short ones (a webhook delivery must not hold SQLite's
write lock for the 15 seconds a slow receiver may take). ``jobs.periodic(app, kind,
seconds)`` keeps one job of ``kind`` queued every ``seconds`` (the escalation sweep).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask

from .models import Job, JobStatus
from .queue import enqueue

Handler = Callable[[dict[str, Any]], None]
_KEY = "forum.jobs"

__all__ = ["Job", "JobStatus", "batch_handler", "enqueue", "handler", "handlers", "init_app", "periodic"]


def init_app(app: Flask) -> None:
    app.extensions.setdefault(_KEY, {})
    app.extensions.setdefault(_KEY + ".batch", set())
    app.extensions.setdefault(_KEY + ".plain", set())
    app.extensions.setdefault(_KEY + ".periodic", {})
    from . import cli, views  # noqa: F401  (package-internal modules)

    cli.init_app(app)
    views.init_app(app)
    if app.config["EMBEDDED_WORKER"]:
        from .worker import start_embedded

        start_embedded(app)


def handler(app: Flask, kind: str, fn: Handler, *, transaction: bool = True) -> None:
    """Run ``fn(payload)`` for jobs of ``kind``, inside a write transaction unless
    ``transaction`` is false."""
    app.extensions.setdefault(_KEY, {})[kind] = fn
    if not transaction:
        app.extensions.setdefault(_KEY + ".plain", set()).add(kind)


def periodic(app: Flask, kind: str, seconds: float) -> None:
    """Keep a job of ``kind`` queued every ``seconds`` while a worker runs."""
    app.extensions.setdefault(_KEY + ".periodic", {})[kind] = seconds


def batch_handler(app: Flask, kind: str, fn: Callable[[list[dict[str, Any]]], None]) -> None:
    """Run ``fn(payloads)`` once for all the claimed jobs of ``kind``."""
    app.extensions.setdefault(_KEY, {})[kind] = fn
    app.extensions.setdefault(_KEY + ".batch", set()).add(kind)


def handlers(app: Flask) -> dict[str, Handler]:
    return app.extensions[_KEY]


def batch_kinds(app: Flask) -> set[str]:
    return app.extensions[_KEY + ".batch"]


def plain_kinds(app: Flask) -> set[str]:
    return app.extensions.get(_KEY + ".plain", set())


def periodic_kinds(app: Flask) -> dict[str, float]:
    return app.extensions.get(_KEY + ".periodic", {})
