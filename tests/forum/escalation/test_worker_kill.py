"""A worker process killed (SIGKILL) while its request is in flight: after a
restart the message is delivered, received at most twice, under one webhook-id."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from forum import ROOT
from forum.escalation import endpoints, services
from forum.escalation.delivery import DELIVER
from forum.escalation.models import Attempt, MessageStatus
from forum.extensions import db
from forum.jobs import Job, JobStatus

from tests.forum.escalation.conftest import community, messages

LEASE = 2


def _worker(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot each time
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_a_worker_killed_mid_delivery_is_taken_over_after_its_lease(make_app, database_url, tmp_path, receiver):
    app = make_app(JOB_LOCK_SECONDS=LEASE, WEBHOOK_TIMEOUT=15.0, ESCALATE_AFTER_HOURS=0)
    # The first request is answered only after a long pause: the kill lands while the
    # worker waits for it. Later requests are answered at once.
    receiver.script(8.0)
    with app.app_context():
        people = community()
        endpoints.add_endpoint(by=people.ada, url=receiver.url, secret=receiver.secret, allow_private=True)
        services.escalate(people.thread, by=people.maya, note="Killed mid-send")
        (message,) = messages()
        message_id = message.id
        db.session.commit()

    env = {**os.environ, "FORUM_DATABASE_URL": database_url, "FORUM_SECRET_KEY": "test-secret",
           "FORUM_DATA_DIR": str(tmp_path / "data"), "FORUM_INSTANCE_PATH": str(tmp_path / "instance"),
           "FORUM_JOB_LOCK_SECONDS": str(LEASE), "FORUM_WORKER_IDLE_SECONDS": "0.1",
           "FORUM_ESCALATE_AFTER_HOURS": "0", "FORUM_WEBHOOK_TIMEOUT": "15"}
    first = _worker(env)
    try:
        receiver.wait_for(1, timeout=60)  # in flight: the receiver is holding it
    finally:
        _stop(first)
    assert first.returncode == -signal.SIGKILL

    with app.app_context():
        db.session.rollback()
        (message,) = messages()
        assert message.status == MessageStatus.PENDING and message.attempts == 0
        (job,) = db.session.execute(sa.select(Job).where(Job.kind == DELIVER)).scalars()
        assert job.status == JobStatus.RUNNING  # claimed by the dead worker, lease running out

        second = _worker(env)
        try:
            # Delivered, and the worker's own bookkeeping (the job marked done) written too,
            # before this worker is stopped.
            _until(lambda: messages()[0].status == MessageStatus.DELIVERED and db.session.execute(
                sa.select(Job.status).where(Job.kind == DELIVER)).scalars().all() == [JobStatus.DONE],
                60, "the delivery after restart")
        finally:
            _stop(second)

        db.session.rollback()
        (message,) = messages()
        assert message.attempts == 1
        (attempt,) = db.session.execute(sa.select(Attempt).where(Attempt.message_id == message_id)).scalars()
        assert attempt.status_code == 200
        assert db.session.execute(sa.select(Job.status).where(Job.kind == DELIVER)).scalars().all() == [
            JobStatus.DONE]

    assert len(receiver.received) == 2  # at most once more than the one in flight
    assert {r.webhook_id for r in receiver.received} == {message_id}
    assert all(r.verified for r in receiver.received)
    assert receiver.received[0].body == receiver.received[1].body
