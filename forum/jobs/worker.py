"""Claiming and running jobs.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers share
the table without taking the same job twice; on SQLite the immediate write
transaction serialises claims (SQLite is for one host and one worker). A claimed job
is locked for ``JOB_LOCK_SECONDS``: if its worker dies, another takes it over then.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import traceback
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from ..db import utcnow, write_transaction
from ..extensions import db
from .models import Job, JobStatus

log = logging.getLogger(__name__)

#: Longest wait between two attempts of one job.
MAX_BACKOFF = timedelta(hours=6)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def backoff(attempts: int) -> timedelta:
    """Exponential wait after the ``attempts``-th failure: 10 s, 20 s, 40 s... with
    +/-20 % jitter so a failing burst does not retry in lockstep."""
    base = min(10 * 2 ** max(attempts - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def claim(limit: int = 20, *, name: str | None = None) -> list[int]:
    """Lock up to ``limit`` due jobs for this worker and return their ids."""
    now = utcnow()
    due = sa.or_(
        sa.and_(Job.status == JobStatus.PENDING, Job.run_at <= now),
        sa.and_(Job.status == JobStatus.RUNNING, Job.locked_until < now),
    )
    with write_transaction():
        ids = list(db.session.execute(
            sa.select(Job.id).where(due).order_by(Job.run_at, Job.id).limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars())
        if ids:
            db.session.execute(
                sa.update(Job).where(Job.id.in_(ids)).values(
                    status=JobStatus.RUNNING,
                    locked_until=now + timedelta(seconds=current_app.config["JOB_LOCK_SECONDS"]),
                    locked_by=name or worker_name(),
                    attempts=Job.attempts + 1,
                )
            )
    return ids


def run(job_id: int) -> bool:
    """Run one claimed job; return whether it succeeded."""
    return run_batch([job_id])


def run_batch(job_ids: list[int]) -> bool:
    """Run claimed jobs of one kind together: one handler call for a batch kind, the
    plain handler for a single job. They succeed (and are marked done) or fail together."""
    from . import batch_kinds, handlers, plain_kinds

    jobs = [j for j in (db.session.get(Job, i) for i in job_ids) if j is not None and j.status == JobStatus.RUNNING]
    if not jobs:
        return False
    kind = jobs[0].kind
    ids = [j.id for j in jobs]
    payloads = [dict(j.payload or {}) for j in jobs]
    fn = handlers(current_app).get(kind)
    try:
        if fn is None:
            raise LookupError(f"no handler registered for job kind {kind!r}")
        if kind in plain_kinds(current_app):
            # The handler opens its own transactions; only the bookkeeping is ours.
            session = db.session()
            if session.in_transaction():
                session.commit()
            (payload,) = payloads
            fn(payload)
            with write_transaction():
                db.session.execute(sa.update(Job).where(Job.id.in_(ids)).values(
                    status=JobStatus.DONE, finished_at=utcnow(), locked_until=None, last_error=None))
            return True
        with write_transaction():
            if kind in batch_kinds(current_app):
                fn(payloads)
            else:
                (payload,) = payloads
                fn(payload)
            db.session.execute(sa.update(Job).where(Job.id.in_(ids)).values(
                status=JobStatus.DONE, finished_at=utcnow(), locked_until=None, last_error=None))
        return True
    except Exception:
        error = traceback.format_exc(limit=8)
        # A plain handler may leave a transaction open, or failed, behind it.
        db.session.rollback()
        log.warning("job %s (%s) failed: %s", ids[0] if len(ids) == 1 else f"batch of {len(ids)}", kind,
                    error.strip().splitlines()[-1])
        with write_transaction():
            for job_id in ids:
                failed = db.session.get(Job, job_id)
                failed.last_error = error[-4000:]
                failed.locked_until = None
                if failed.attempts >= failed.max_attempts:
                    failed.status = JobStatus.FAILED
                    failed.finished_at = utcnow()
                else:
                    failed.status = JobStatus.PENDING
                    failed.run_at = utcnow() + backoff(failed.attempts)
        return False


def work_once(limit: int = 100) -> int:
    """Claim and run one batch; return how many jobs were run. Jobs of a batch kind
    run together, the others one by one, in the order they were claimed."""
    from . import batch_kinds

    ids = claim(limit)
    if not ids:
        return 0
    kinds = dict(db.session.execute(sa.select(Job.id, Job.kind).where(Job.id.in_(ids))).all())
    batched = batch_kinds(current_app)
    groups: dict[str, list[int]] = {}
    for job_id in ids:
        if kinds.get(job_id) in batched:
            groups.setdefault(kinds[job_id], []).append(job_id)
        else:
            run_batch([job_id])
    for group in groups.values():
        run_batch(group)
    return len(ids)


def drain(max_jobs: int = 100_000) -> int:
    """Run every job that is due now (including retries that fall due meanwhile not)."""
    total = 0
    while total < max_jobs:
        n = work_once()
        if not n:
            break
        total += n
    return total


def replay(job_id: int) -> Job | None:
    """Put a failed job back in the queue with fresh attempts."""
    with write_transaction():
        job = db.session.get(Job, job_id)
        if job is None:
            return None
        job.status = JobStatus.PENDING
        job.attempts = 0
        job.run_at = utcnow()
        job.finished_at = None
    return job


def schedule_periodic(app: Flask, last: dict[str, float]) -> None:
    """Queue the next job of each periodic kind whose interval has passed, unless one
    is already waiting or running (several workers may both queue one; the handlers
    are idempotent)."""
    from . import periodic_kinds

    now = time.monotonic()
    for kind, seconds in periodic_kinds(app).items():
        if now - last.get(kind, float("-inf")) < seconds:
            continue
        last[kind] = now
        waiting = db.session.execute(sa.select(Job.id).where(
            Job.kind == kind, Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING))).limit(1)).first()
        if waiting is None:
            with write_transaction():
                db.session.add(Job(kind=kind, payload={}, max_attempts=1))
        else:
            db.session.commit()


def purge_done(older_than: timedelta = timedelta(days=7)) -> int:
    with write_transaction():
        result = db.session.execute(
            sa.delete(Job).where(Job.status == JobStatus.DONE, Job.finished_at < utcnow() - older_than)
        )
    return result.rowcount or 0


def loop(app: Flask, *, stop: threading.Event, idle: float) -> None:
    """Work until ``stop`` is set, sleeping ``idle`` seconds when nothing is due."""
    last_purge = 0.0
    last_periodic: dict[str, float] = {}
    while not stop.is_set():
        try:
            with app.app_context():
                schedule_periodic(app, last_periodic)
                n = work_once()
                if time.monotonic() - last_purge > 3600:
                    purge_done()
                    last_purge = time.monotonic()
                db.session.remove()
        except Exception:  # keep the worker alive through a database hiccup
            log.exception("worker loop error")
            n = 0
        if not n:
            stop.wait(idle)


def start_embedded(app: Flask) -> threading.Thread:
    """Run a worker in a daemon thread of this process (the one-command default)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=loop, args=(app,), kwargs={"stop": stop, "idle": app.config["WORKER_IDLE_SECONDS"]},
        name="forum-worker", daemon=True,
    )
    app.extensions["forum.worker_stop"] = stop
    # Kept so whoever stops the worker can wait for it before closing the engine.
    app.extensions["forum.worker_thread"] = thread
    thread.start()
    return thread
