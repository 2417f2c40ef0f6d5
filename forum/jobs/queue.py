"""Putting jobs in the outbox."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from ..extensions import db
from .models import Job


def enqueue(kind: str, payload: dict[str, Any] | None = None, *, run_at: datetime | None = None) -> Job:
    """Add a job to the current transaction; it exists only if the transaction commits."""
    job = Job(kind=kind, payload=payload or {}, max_attempts=current_app.config["JOB_MAX_ATTEMPTS"])
    if run_at is not None:
        job.run_at = run_at
    db.session.add(job)
    return job
