"""Running the worker: ``flask worker --drain`` and the embedded background thread."""
from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from forum import jobs
from forum.db import write_transaction
from forum.extensions import db
from forum.jobs import Job, JobStatus, enqueue


def test_worker_drain_runs_due_jobs_and_prints_the_count(app, runner):
    seen = []
    jobs.handler(app, "test.record", seen.append)
    with app.app_context():
        with write_transaction():
            enqueue("test.record", {"n": 1})
            enqueue("test.record", {"n": 2})

    result = runner.invoke(args=["worker", "--drain"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ran 2 jobs"
    assert sorted(p["n"] for p in seen) == [1, 2]
    with app.app_context():
        statuses = db.session.execute(sa.select(Job.status)).scalars().all()
    assert statuses == [JobStatus.DONE, JobStatus.DONE]

    result = runner.invoke(args=["worker", "--drain"])
    assert result.exit_code == 0 and result.output.strip() == "ran 0 jobs"


def test_worker_drain_says_job_for_one(app, runner):
    jobs.handler(app, "test.noop", lambda payload: None)
    with app.app_context():
        with write_transaction():
            enqueue("test.noop")
    assert runner.invoke(args=["worker", "--drain"]).output.strip() == "ran 1 job"


def test_the_embedded_worker_runs_a_committed_job_soon(make_app):
    app = make_app(EMBEDDED_WORKER=True, WORKER_IDLE_SECONDS=0.05)
    done = threading.Event()
    seen = []

    def handler(payload):
        seen.append((payload, threading.current_thread().name))
        done.set()

    jobs.handler(app, "test.background", handler)
    try:
        with app.app_context():
            with write_transaction():
                job = enqueue("test.background", {"thread_id": 3})
                db.session.flush()
                job_id = job.id
            assert done.wait(timeout=5), "the embedded worker did not pick the job up"
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                # End the read transaction, or SQLite keeps showing its old snapshot.
                db.session.rollback()
                if db.session.get(Job, job_id).status == JobStatus.DONE:
                    break
                time.sleep(0.05)
            db.session.rollback()
            assert db.session.get(Job, job_id).status == JobStatus.DONE
        assert seen == [({"thread_id": 3}, "forum-worker")]
    finally:
        app.extensions["forum.worker_stop"].set()
    thread = app.extensions["forum.worker_thread"]
    thread.join(timeout=5)
    assert not thread.is_alive(), "setting the stop event ends the worker"


def test_no_worker_thread_unless_configured(app):
    assert "forum.worker_stop" not in app.extensions
    assert not any(t.name == "forum-worker" and t.is_alive() and
                   getattr(t, "_args", (None,))[0] is app for t in threading.enumerate())
