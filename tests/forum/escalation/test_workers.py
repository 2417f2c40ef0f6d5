"""Several workers delivering at once, duplicate jobs, a bug in the handler, and the
handler holding no transaction while it waits for the receiver."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from forum.db import utcnow, write_transaction
from forum.escalation import delivery, services, webhooks
from forum.escalation.models import Message, MessageStatus
from forum.extensions import db
from forum.jobs import Job, JobStatus, enqueue, worker
from tests import factories as f

from tests.forum.escalation.conftest import attempts, delivery_jobs, drain, is_postgres, messages


def _in_threads(app, n, fn):
    errors = []
    barrier = threading.Barrier(n)

    def run(i):
        with app.app_context():
            try:
                barrier.wait()
                fn(i)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    runners = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for r in runners:
        r.start()
    for r in runners:
        r.join(60)
    assert errors == []


def test_two_workers_deliver_every_message_once(esc_app, ectx, people, endpoint, receiver):
    receiver.respond = lambda req: (500, None, {}) if Counter(
        r.webhook_id for r in receiver.received)[req.webhook_id] == 1 and hash(req.webhook_id) % 3 == 0 \
        else (200, None, {})
    made = [people.thread] + [f.thread(people.alice, category_obj=people.billing) for _ in range(29)]
    for thread in made:
        services.escalate(thread, by=people.maya)
    _in_threads(esc_app, 2, lambda i: worker.drain())
    db.session.commit()
    assert {m.status for m in messages()} == {MessageStatus.DELIVERED}
    for message in messages():
        log = attempts(message.id)
        assert [a.number for a in log] == list(range(1, message.attempts + 1))
        assert sum(r.webhook_id == message.id for r in receiver.received) == message.attempts
        assert not any("another worker" in a.error for a in log)
    assert delivery_jobs(JobStatus.PENDING, JobStatus.RUNNING) == []


@pytest.mark.parametrize("answer", [200, 500])
def test_a_duplicate_job_running_at_the_same_time_is_not_recorded_twice(esc_app, ectx, people, endpoint, receiver,
                                                                         answer):
    ectx.config["WEBHOOK_RETRY_SCHEDULE"] = [600] * 9
    receiver.respond = lambda req: (answer, None, {})
    services.escalate(people.thread, by=people.maya)
    (message,) = messages()
    enqueue(delivery.DELIVER, {"message_id": message.id, "attempt": 0})  # the same attempt, twice
    db.session.execute(sa.delete(Job).where(Job.kind != delivery.DELIVER))  # only these two to claim
    db.session.commit()
    claims = []

    def both(i):
        # Each worker claims one of the two jobs before either sends.
        (job_id,) = worker.claim(1, name=f"w{i}")
        claims.append(job_id)
        barrier.wait()
        worker.run(job_id)

    barrier = threading.Barrier(2)
    _in_threads(esc_app, 2, both)
    assert len(set(claims)) == 2
    db.session.commit()
    (message,) = messages()
    assert len(receiver.received) == 2 and {r.webhook_id for r in receiver.received} == {message.id}
    assert message.attempts == 1
    assert message.status == (MessageStatus.DELIVERED if answer == 200 else MessageStatus.PENDING)
    log = attempts(message.id)
    assert len(log) == 2 and sum("another worker had already recorded" in a.error for a in log) == 1
    # A failure schedules one retry, not one per worker.
    assert len(delivery_jobs(JobStatus.PENDING)) == (0 if answer == 200 else 1)


def test_a_stray_job_for_an_attempt_already_made_sends_nothing(ectx, people, endpoint, receiver):
    services.escalate(people.thread, by=people.maya)
    (message,) = messages()
    enqueue(delivery.DELIVER, {"message_id": message.id, "attempt": 0})
    db.session.commit()
    drain()
    assert len(receiver.received) == 1 and messages()[0].attempts == 1


def test_a_bug_in_the_handler_leaves_the_job_to_the_job_system(ectx, people, endpoint, receiver, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not the network")

    monkeypatch.setattr(webhooks, "post", broken)
    services.escalate(people.thread, by=people.maya)
    drain()
    (job,) = delivery_jobs()
    assert job.status == JobStatus.PENDING and job.attempts == 1 and job.run_at > utcnow()
    assert "a bug, not the network" in job.last_error
    (message,) = messages()
    assert message.status == MessageStatus.PENDING and message.attempts == 0 and attempts(message.id) == []

    monkeypatch.undo()
    with write_transaction():
        db.session.get(type(job), job.id).run_at = utcnow()
    drain()
    assert messages()[0].status == MessageStatus.DELIVERED and len(receiver.received) == 1
    assert delivery_jobs()[0].status == JobStatus.DONE


def test_a_plain_handler_that_fails_mid_transaction_leaves_the_worker_usable(esc_app, ectx, people, endpoint,
                                                                             receiver):
    from forum import jobs

    def half_done(payload):
        db.session.execute(sa.select(Message.id)).all()  # a read transaction left open
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    jobs.handler(esc_app, "test.half_done", half_done, transaction=False)
    enqueue("test.half_done", {})
    db.session.commit()
    services.escalate(people.thread, by=people.maya)
    drain()
    assert len(receiver.received) == 1 and messages()[0].status == MessageStatus.DELIVERED


def test_nothing_is_held_while_the_handler_waits_for_the_receiver(esc_app, ectx, people, endpoint, receiver):
    services.escalate(people.thread, by=people.maya)
    message_id = messages()[0].id  # a plain string: the ORM object belongs to this thread
    wrote = []

    def respond(req):
        # Another process's write while the worker waits: it must not block.
        with esc_app.app_context():
            with write_transaction():
                if is_postgres():
                    db.session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                else:
                    db.session.connection().exec_driver_sql("PRAGMA busy_timeout = 2000")
                db.session.execute(sa.update(Message).where(Message.id == message_id)
                                   .values(last_error="touched while in flight"))
            wrote.append(True)
            db.session.remove()
        return 200, None, {}

    receiver.respond = respond
    drain()
    assert wrote == [True]
    (message,) = messages()
    assert message.status == MessageStatus.DELIVERED and len(receiver.received) == 1


def test_two_people_escalating_one_thread_at_once_make_one_escalation(esc_app, ectx, people, endpoint, receiver):
    from forum.db import Conflict
    from forum.escalation.models import Escalation
    from forum.models import Thread, User

    thread_id, ids = people.thread.id, (people.maya.id, people.ada.id)
    outcomes = []

    def escalate(i):
        by, thread = db.session.get(User, ids[i]), db.session.get(Thread, thread_id)
        try:
            outcomes.append(services.escalate(thread, by=by, note=f"from {i}").id)
        except Conflict:
            outcomes.append("conflict")

    _in_threads(esc_app, 2, escalate)
    assert sorted(outcomes, key=str)[1] == "conflict" and isinstance(sorted(outcomes, key=str)[0], int)
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Escalation)).scalar_one() == 1
    assert len(messages()) == 1
