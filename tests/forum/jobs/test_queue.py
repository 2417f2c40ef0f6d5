"""The outbox: a job exists exactly when the transaction that enqueued it commits."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import jobs
from forum.db import utcnow, write_transaction
from forum.extensions import db
from forum.jobs import Job, JobStatus, enqueue, worker


def _jobs() -> list[Job]:
    return list(db.session.execute(sa.select(Job).order_by(Job.id)).scalars())


def test_a_job_enqueued_in_a_rolled_back_transaction_never_exists(ctx):
    with pytest.raises(RuntimeError):
        with write_transaction():
            enqueue("test.noop", {"n": 1})
            db.session.flush()  # written, but only inside the transaction
            raise RuntimeError("the use case failed")
    assert _jobs() == []
    assert worker.drain() == 0


def test_a_committed_job_runs_with_its_registered_handler(ctx):
    seen = []
    jobs.handler(ctx, "test.record", seen.append)
    with write_transaction():
        enqueue("test.record", {"thread_id": 7, "why": "created"})

    assert worker.drain() == 1
    assert seen == [{"thread_id": 7, "why": "created"}]
    (job,) = _jobs()
    assert job.status == JobStatus.DONE
    assert job.attempts == 1
    assert job.finished_at is not None and job.locked_until is None and job.last_error is None
    assert worker.drain() == 0, "a finished job never runs again"


def test_enqueue_takes_max_attempts_from_config(make_app):
    app = make_app(JOB_MAX_ATTEMPTS=4)
    with app.app_context():
        with write_transaction():
            enqueue("test.noop")
        assert _jobs()[0].max_attempts == 4
        assert _jobs()[0].payload == {}


def test_a_job_scheduled_for_later_waits_until_it_is_due(ctx):
    seen = []
    jobs.handler(ctx, "test.later", seen.append)
    with write_transaction():
        job = enqueue("test.later", {"x": 1}, run_at=utcnow() + timedelta(hours=1))
    assert worker.drain() == 0 and seen == []

    with write_transaction():
        db.session.get(Job, job.id).run_at = utcnow() - timedelta(seconds=1)
    assert worker.drain() == 1 and seen == [{"x": 1}]


def test_the_handler_writes_commit_with_the_job(ctx):
    def handler(payload):
        # A handler may write rows (here: another job); they commit when it succeeds.
        enqueue("test.followup", {"from": payload["n"]})

    jobs.handler(ctx, "test.chain", handler)
    jobs.handler(ctx, "test.followup", lambda payload: None)
    with write_transaction():
        enqueue("test.chain", {"n": 5})

    assert worker.drain() == 2
    assert [(j.kind, j.payload, j.status) for j in _jobs()] == [
        ("test.chain", {"n": 5}, JobStatus.DONE),
        ("test.followup", {"from": 5}, JobStatus.DONE),
    ]


def test_a_failing_handler_leaves_none_of_its_writes(ctx):
    def handler(payload):
        enqueue("test.followup")
        raise ValueError("half done")

    jobs.handler(ctx, "test.half", handler)
    with write_transaction():
        enqueue("test.half")

    assert worker.drain() == 1
    assert [j.kind for j in _jobs()] == ["test.half"]
