"""The worker: claiming, retries with backoff, parking failures, replay, takeover."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import jobs
from forum.db import utcnow, write_transaction
from forum.extensions import db
from forum.jobs import Job, JobStatus, enqueue, worker
from tests.conftest import PG_URL


def _enqueue(kind: str = "test.noop", n: int = 1, **payload) -> list[int]:
    with write_transaction():
        made = [enqueue(kind, dict(payload, i=i)) for i in range(n)]
        db.session.flush()
        ids = [job.id for job in made]
    return ids


def _job(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _make_due(job_id: int) -> None:
    with write_transaction():
        db.session.get(Job, job_id).run_at = utcnow() - timedelta(seconds=1)


def _boom(payload):
    raise RuntimeError(f"upstream said no to {payload['i']}")


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    for attempts, base in [(1, 10), (2, 20), (3, 40), (6, 320)]:
        for _ in range(20):
            wait = worker.backoff(attempts).total_seconds()
            assert base * 0.8 <= wait <= base * 1.2
    assert worker.backoff(50) <= worker.MAX_BACKOFF * 1.2


def test_a_failing_job_is_retried_later_keeping_its_error(ctx):
    jobs.handler(ctx, "test.flaky", _boom)
    (job_id,) = _enqueue("test.flaky")

    before = utcnow()
    assert worker.drain() == 1
    job = _job(job_id)
    assert job.status == JobStatus.PENDING
    assert job.attempts == 1
    assert "RuntimeError: upstream said no to 0" in job.last_error
    assert job.locked_until is None and job.finished_at is None
    assert before + timedelta(seconds=8) <= job.run_at <= utcnow() + timedelta(seconds=12)
    assert worker.drain() == 0, "not due again until the backoff has passed"

    _make_due(job_id)
    before = utcnow()
    assert worker.drain() == 1
    job = _job(job_id)
    assert job.attempts == 2 and job.status == JobStatus.PENDING
    assert before + timedelta(seconds=16) <= job.run_at <= utcnow() + timedelta(seconds=24)


def test_a_job_that_keeps_failing_is_parked_as_failed_and_can_be_replayed(make_app):
    app = make_app(JOB_MAX_ATTEMPTS=3)
    calls = []

    def handler(payload):
        calls.append(payload)
        if len(calls) <= 3:
            raise RuntimeError("still down")

    jobs.handler(app, "test.deliver", handler)
    with app.app_context():
        (job_id,) = _enqueue("test.deliver")
        for attempt in range(1, 4):
            assert worker.drain() == 1
            job = _job(job_id)
            assert job.attempts == attempt
            if attempt < 3:
                assert job.status == JobStatus.PENDING
                _make_due(job_id)
        assert job.status == JobStatus.FAILED
        assert job.finished_at is not None
        assert "still down" in job.last_error
        assert worker.drain() == 0, "a failed job is parked, not retried"

        replayed = worker.replay(job_id)
        assert replayed.status == JobStatus.PENDING and replayed.attempts == 0
        assert replayed.finished_at is None
        assert worker.drain() == 1
        job = _job(job_id)
        assert job.status == JobStatus.DONE and job.attempts == 1 and job.last_error is None
        assert len(calls) == 4


def test_replaying_an_unknown_job_returns_none(ctx):
    assert worker.replay(12345) is None


def test_a_job_without_a_handler_fails_with_a_clear_error(ctx):
    (job_id,) = _enqueue("test.nobody")
    assert worker.drain() == 1
    job = _job(job_id)
    assert job.status == JobStatus.PENDING
    assert "no handler registered for job kind 'test.nobody'" in job.last_error


def test_claim_locks_due_jobs_for_the_lock_period(ctx):
    ids = _enqueue(n=3)
    before = utcnow()
    claimed = worker.claim(limit=2, name="w1")
    assert claimed == ids[:2], "oldest first"
    for job_id in claimed:
        job = _job(job_id)
        assert job.status == JobStatus.RUNNING and job.locked_by == "w1" and job.attempts == 1
        assert job.locked_until >= before + timedelta(seconds=ctx.config["JOB_LOCK_SECONDS"])
    assert worker.claim(limit=5, name="w2") == ids[2:]
    assert worker.claim(limit=5, name="w3") == []


def test_a_job_whose_worker_died_is_taken_over_after_its_lock_expires(ctx):
    seen = []
    jobs.handler(ctx, "test.record", seen.append)
    (job_id,) = _enqueue("test.record")
    assert worker.claim(name="dead worker") == [job_id]
    # The worker dies here: the job stays RUNNING and locked.
    assert worker.claim(name="w2") == []
    assert worker.drain() == 0

    with write_transaction():
        db.session.get(Job, job_id).locked_until = utcnow() - timedelta(seconds=1)
    assert worker.claim(name="w2") == [job_id]
    job = _job(job_id)
    assert job.locked_by == "w2" and job.attempts == 2
    assert worker.run(job_id) is True
    assert seen == [{"i": 0}]
    assert _job(job_id).status == JobStatus.DONE


def test_run_ignores_a_job_that_is_not_claimed(ctx):
    seen = []
    jobs.handler(ctx, "test.record", seen.append)
    (job_id,) = _enqueue("test.record")
    assert worker.run(job_id) is False
    assert worker.run(999_999) is False
    assert seen == [] and _job(job_id).status == JobStatus.PENDING


def test_sequential_claims_never_return_the_same_job(ctx):
    ids = _enqueue(n=25)
    first = worker.claim(limit=10, name="a")
    second = worker.claim(limit=10, name="b")
    third = worker.claim(limit=10, name="c")
    assert not set(first) & set(second) and not set(second) & set(third)
    assert sorted(first + second + third) == ids


def test_concurrent_claims_are_disjoint_and_complete(app):
    """Two workers, each in its own thread with its own connection, claim from one
    table at the same time (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the immediate
    write transaction on SQLite): every job is claimed exactly once."""
    with app.app_context():
        ids = _enqueue(n=200)
    barrier = threading.Barrier(2)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                while batch := worker.claim(limit=7, name=name):
                    claimed[name].extend(batch)
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert not set(claimed["a"]) & set(claimed["b"])
    assert sorted(claimed["a"] + claimed["b"]) == ids
    with app.app_context():
        holders = dict(db.session.execute(sa.select(Job.id, Job.locked_by)).all())
    assert all(holders[i] == "a" for i in claimed["a"]) and all(holders[i] == "b" for i in claimed["b"])


@pytest.mark.postgres_only
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_claim_skips_rows_another_worker_holds_instead_of_waiting(app):
    with app.app_context():
        ids = _enqueue(n=4)
    got: list[int] = []

    def claim() -> None:
        with app.app_context():
            got.extend(worker.claim(limit=10, name="me"))

    with app.app_context(), db.engine.connect() as other:
        # Another worker is mid-claim: it holds the first two rows locked.
        other.execute(sa.select(Job.id).where(Job.id.in_(ids[:2])).with_for_update())
        t = threading.Thread(target=claim)
        t.start()
        t.join(timeout=10)
        blocked = t.is_alive()
        other.rollback()
    t.join(timeout=10)
    assert not blocked, "claim waited for the locked rows"
    assert got == ids[2:]
    with app.app_context():
        assert worker.claim(limit=10, name="me") == ids[:2]
