"""The periodic sweep: a last call before the deadline, the escalation only after
the last call's due time, never for threads that are not the community's to solve,
once however often or concurrently it runs."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from forum import events
from forum.db import clock_at, write_transaction
from forum.escalation import services
from forum.escalation.models import Escalation, LastCall, Message, Trigger
from forum.extensions import db
from forum.jobs import Job, JobStatus, worker
from forum.models import Category, PostState, Thread, ThreadStatus
from forum.threads import moderation
from forum.threads import services as threads
from tests import factories as f

from tests.forum.escalation.conftest import count, drain

H = timedelta(hours=1)


def sweep_at(moment):
    with clock_at(moment):
        return services.sweep()


def test_last_call_first_then_the_escalation_after_its_due_time(ectx, people, endpoint, receiver):
    heard = []
    ectx.extensions["forum.events"][events.EscalationLastCall].append(heard.append)
    t0 = people.thread.created_at
    assert sweep_at(t0 + 35 * H) == {"last_calls": 0, "escalated": 0}
    assert sweep_at(t0 + 36 * H + timedelta(minutes=1)) == {"last_calls": 1, "escalated": 0}
    call = services.last_call(people.thread.id)
    # The full twelve hours' notice, so a minute past the 48 hours.
    assert call.due_at == t0 + 48 * H + timedelta(minutes=1)
    assert [(e.thread_id, e.asker_id, e.due_at) for e in heard] == [(people.thread.id, people.alice.id, call.due_at)]
    assert sweep_at(t0 + 48 * H) == {"last_calls": 0, "escalated": 0}
    assert services.for_thread(people.thread.id) is None
    assert sweep_at(call.due_at) == {"last_calls": 0, "escalated": 1}
    esc = services.for_thread(people.thread.id)
    assert esc.trigger == Trigger.AUTO and esc.requested_by_id is None and esc.note == ""
    db.session.refresh(people.thread)
    assert people.thread.status == ThreadStatus.ESCALATED
    assert sweep_at(t0 + 60 * H) == {"last_calls": 0, "escalated": 0} and len(heard) == 1
    with clock_at(call.due_at):
        drain()
    (req,) = receiver.received
    assert req.json["data"]["trigger"] == "auto" and req.json["data"]["escalation_id"] == esc.id


def test_a_late_last_call_still_gives_the_full_notice(ectx, people, endpoint):
    t0 = people.thread.created_at
    assert sweep_at(t0 + 47 * H) == {"last_calls": 1, "escalated": 0}
    assert services.last_call(people.thread.id).due_at == t0 + 59 * H
    assert sweep_at(t0 + 50 * H)["escalated"] == 0
    assert sweep_at(t0 + 59 * H)["escalated"] == 1


def test_threads_that_are_not_the_communitys_to_solve_are_left_alone(ectx, people, endpoint):
    t0 = people.thread.created_at
    with clock_at(t0):
        solved, closed, locked, hidden, deleted, opted_out = (
            f.thread(people.alice, category_obj=people.billing) for _ in range(6))
        quiet = f.category("Announcements")
        outside = f.thread(people.alice, category_obj=quiet)
    answer = f.answer(solved, people.bob)
    threads.accept_answer(answer, by=people.alice)
    with write_transaction():
        db.session.get(Thread, closed.id).status = ThreadStatus.CLOSED
        moderation.set_locked(locked, True)
        db.session.get(Thread, hidden.id).state = PostState.HIDDEN
        db.session.get(Category, quiet.id).auto_escalate = False
    threads.delete_post(db.session.execute(sa.select(threads.Post).where(
        threads.Post.thread_id == deleted.id, threads.Post.is_question.is_(True))).scalar_one(), by=people.maya)
    del opted_out  # in Billing: escalated like people.thread
    sweep_at(t0 + 37 * H)
    assert sweep_at(t0 + 49 * H)["escalated"] == 2
    escalated = set(db.session.execute(sa.select(Escalation.thread_id)).scalars())
    assert solved.id not in escalated and closed.id not in escalated and locked.id not in escalated
    assert hidden.id not in escalated and deleted.id not in escalated and outside.id not in escalated
    assert people.thread.id in escalated
    assert count(LastCall) == 2


def test_a_thread_answered_after_the_last_call_is_not_escalated(ectx, people, endpoint):
    t0 = people.thread.created_at
    sweep_at(t0 + 40 * H)
    threads.accept_answer(people.answer, by=people.alice)
    assert sweep_at(t0 + 49 * H)["escalated"] == 0 and count(Escalation) == 0


def test_threads_older_than_the_lookback_are_left_alone(ectx, people, endpoint):
    t0 = people.thread.created_at
    with clock_at(t0 - timedelta(days=10)):
        old = f.thread(people.alice, category_obj=people.billing)
    sweep_at(t0 + 37 * H)
    assert sweep_at(t0 + 49 * H)["escalated"] == 1
    assert services.for_thread(old.id) is None and services.last_call(old.id) is None


def test_the_sweep_is_idempotent_run_twice_or_at_once(esc_app, ectx, people, endpoint):
    t0 = people.thread.created_at
    with clock_at(t0):
        for _ in range(7):
            f.thread(people.alice, category_obj=people.billing)
    assert sweep_at(t0 + 37 * H)["last_calls"] == 8
    assert sweep_at(t0 + 37 * H)["last_calls"] == 0

    results, errors = [], []
    barrier = threading.Barrier(3)

    def run():
        with esc_app.app_context():
            barrier.wait()
            try:
                results.append(sweep_at(t0 + 49 * H))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    runners = [threading.Thread(target=run) for _ in range(3)]
    for r in runners:
        r.start()
    for r in runners:
        r.join(60)
    assert errors == []
    assert sum(r["escalated"] for r in results) == 8
    db.session.commit()
    assert count(Escalation) == 8 and count(Message) == 8 and count(LastCall) == 8


def test_concurrent_last_calls_are_sent_once(esc_app, ectx, people, endpoint):
    heard = []
    ectx.extensions["forum.events"][events.EscalationLastCall].append(heard.append)
    t0 = people.thread.created_at
    with clock_at(t0):
        for _ in range(5):
            f.thread(people.alice, category_obj=people.billing)
    errors = []
    barrier = threading.Barrier(3)

    def run():
        with esc_app.app_context():
            barrier.wait()
            try:
                sweep_at(t0 + 37 * H)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    runners = [threading.Thread(target=run) for _ in range(3)]
    for r in runners:
        r.start()
    for r in runners:
        r.join(60)
    assert errors == [] and len(heard) == 6
    db.session.commit()
    assert count(LastCall) == 6


def test_the_worker_loop_queues_and_runs_the_sweep(esc_app, ectx, people, endpoint, receiver):
    t0 = people.thread.created_at
    with clock_at(t0 - 49 * H):
        stale = f.thread(people.alice, category_obj=people.billing)
    sweep_at(t0 - 13 * H)  # its last call fell due an hour ago
    assert services.last_call(stale.id) is not None
    db.session.commit()

    stop = threading.Event()
    loop = threading.Thread(target=worker.loop, args=(esc_app,), kwargs={"stop": stop, "idle": 0.05})
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not receiver.received:
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(20)
    db.session.commit()
    sweeps = db.session.execute(sa.select(Job).where(Job.kind == services.SWEEP)).scalars().all()
    assert sweeps and {j.status for j in sweeps} == {JobStatus.DONE}
    esc = services.for_thread(stale.id)
    assert esc is not None and esc.trigger == Trigger.AUTO
    assert [r.json["data"]["thread"]["id"] for r in receiver.received] == [stale.id]


def test_no_sweep_when_automatic_escalation_is_off(make_app):
    from forum.jobs import periodic_kinds

    app = make_app(ESCALATE_AFTER_HOURS=0)
    assert services.SWEEP not in periodic_kinds(app)
    with app.app_context():
        assert services.sweep() == {"last_calls": 0, "escalated": 0}


def test_unaccepting_an_answer_on_an_escalated_thread_returns_it_to_escalated(ectx, people, endpoint):
    services.escalate(people.thread, by=people.alice)
    thread = threads.accept_answer(people.answer, by=people.alice)
    assert thread.status == ThreadStatus.SOLVED
    thread = threads.unaccept_answer(thread, by=people.alice)
    assert thread.status == ThreadStatus.ESCALATED
    db.session.expire_all()
    assert db.session.get(Thread, people.thread.id).status == ThreadStatus.ESCALATED
    # A thread never escalated goes back to open, as before.
    other = f.thread(people.alice, category_obj=people.billing)
    answer = f.answer(other, people.bob)
    threads.accept_answer(answer, by=people.alice)
    assert threads.unaccept_answer(other, by=people.alice).status == ThreadStatus.OPEN
