"""Delivery against a real receiver: all or nothing when escalating, outages, every
kind of bad answer, and the delivery log."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from email.utils import format_datetime

import pytest

from forum import events
from forum.db import Conflict, clock_at, utcnow
from forum.escalation import endpoints, services, webhooks
from forum.escalation.models import Delivery, Endpoint, Escalation, Message, MessageStatus
from forum.extensions import db
from forum.jobs import Job, JobStatus
from forum.models import ThreadStatus
from tests import factories as f

from tests.forum.escalation.conftest import attempts, count, delivery_jobs, drain, messages
from tests.forum.escalation.receiver import Receiver


def _nothing_left(thread) -> None:
    db.session.expire_all()
    assert count(Escalation) == 0 and count(Message) == 0 and count(Job) == 0
    assert thread.status == ThreadStatus.OPEN


# -- all or nothing -----------------------------------------------------------------------

def test_an_escalation_whose_listener_fails_leaves_no_escalation_message_or_job(ectx, people, endpoint, receiver):
    db.session.query(Job).delete()
    db.session.commit()

    def boom(event):
        raise RuntimeError("the listener broke")

    listeners = ectx.extensions["forum.events"][events.ThreadEscalated]
    listeners.append(boom)
    with pytest.raises(RuntimeError, match="listener broke"):
        services.escalate(people.thread, by=people.maya, note="Blocked")
    _nothing_left(people.thread)
    assert drain() == 0 and receiver.received == []

    listeners.remove(boom)
    esc = services.escalate(people.thread, by=people.maya, note="Blocked")
    drain()
    (req,) = receiver.received
    assert req.verified and req.json["data"]["escalation_id"] == esc.id


def test_an_integrity_error_in_the_transaction_leaves_nothing(ectx, people, endpoint, receiver, monkeypatch):
    endpoints.add_endpoint(by=people.ada, url=receiver.url + "/2", secret=receiver.secret, allow_private=True)
    db.session.query(Job).delete()
    db.session.commit()
    # Both endpoints' messages get one id: the second insert breaks the primary key.
    monkeypatch.setattr(webhooks, "new_message_id", lambda: "msg_same")
    with pytest.raises(Conflict):
        services.escalate(people.thread, by=people.maya)
    _nothing_left(people.thread)


def test_a_hundred_escalations_give_a_hundred_messages_each_delivered_once(ectx, people, endpoint, receiver):
    askers = [f.user(f"asker{n}") for n in range(5)]
    threads = [f.thread(askers[n % 5], title=f"Export number {n} fails with a timeout", category_obj=people.billing)
               for n in range(100)]
    for thread in threads:
        services.escalate(thread, by=people.maya)
    assert count(Escalation) == 100 and count(Message) == 100
    assert len(delivery_jobs(JobStatus.PENDING)) == 100

    drain()
    ids = Counter(r.webhook_id for r in receiver.received)
    assert len(ids) == 100 and set(ids.values()) == {1}
    assert all(r.verified for r in receiver.received)
    assert ids.keys() == {m.id for m in messages()}
    assert {m.status for m in messages()} == {MessageStatus.DELIVERED}
    assert {r.json["data"]["thread"]["id"] for r in receiver.received} == {t.id for t in threads}
    assert count(Escalation, Escalation.delivery == Delivery.DELIVERED) == 100
    assert drain() == 0 and len(receiver.received) == 100


# -- outages and bad answers -----------------------------------------------------------------

def test_a_receiver_that_refuses_connections_gets_everything_after_it_recovers(ectx, people, endpoint, receiver):
    ectx.config["WEBHOOK_RETRY_SCHEDULE"] = [5.0] * 9
    receiver.stop()
    threads = [people.thread] + [f.thread(people.alice, category_obj=people.billing) for _ in range(4)]
    for thread in threads:
        services.escalate(thread, by=people.maya)
    before = {m.id for m in messages()}
    drain()
    assert receiver.received == []
    for message in messages():
        (first,) = attempts(message.id)
        assert first.status_code is None and "ConnectError" in first.error
        assert message.status == MessageStatus.PENDING and message.next_attempt_at > utcnow()

    receiver.start()  # the same port
    with clock_at(utcnow() + timedelta(seconds=6)):
        drain()
    assert {r.webhook_id for r in receiver.received} == before and len(receiver.received) == 5
    assert all(r.verified for r in receiver.received)
    assert {(m.status, m.attempts) for m in messages()} == {(MessageStatus.DELIVERED, 2)}


def test_errors_for_a_share_of_requests_are_retried_under_the_same_id(ectx, people, endpoint, receiver):
    seen: Counter[str] = Counter()

    def flaky(req):
        seen[req.webhook_id] += 1
        # Every message fails its first try; every other one its second as well.
        fail_twice = int(req.json["data"]["thread"]["id"]) % 2 == 0
        failing = seen[req.webhook_id] == 1 or (fail_twice and seen[req.webhook_id] == 2)
        return (500, {"error": "try later"}, {}) if failing else (200, {"ok": True}, {})

    receiver.respond = flaky
    threads = [people.thread] + [f.thread(people.alice, category_obj=people.billing) for _ in range(9)]
    for thread in threads:
        services.escalate(thread, by=people.maya)
    drain()
    assert all(r.verified for r in receiver.received)
    for message in messages():
        tries = [r for r in receiver.received if r.webhook_id == message.id]
        expected = 3 if message.escalation.thread_id % 2 == 0 else 2
        assert len(tries) == expected and message.attempts == expected
        assert {r.body for r in tries} == {message.body.encode()}  # byte for byte
        assert len({r.headers["webhook-timestamp"] for r in tries}) >= 1
        log = attempts(message.id)
        assert [a.status_code for a in log] == [500] * (expected - 1) + [200]
        assert log[0].response_excerpt == '{"error": "try later"}' and log[-1].response_excerpt == '{"ok": true}'
        assert all(a.request_headers["webhook-id"] == message.id for a in log)
        assert message.status == MessageStatus.DELIVERED and message.last_status == 200


def test_an_answer_later_than_the_timeout_is_logged_as_a_timeout_and_retried(ectx, people, endpoint, receiver):
    ectx.config["WEBHOOK_TIMEOUT"] = 0.5
    receiver.script(1.5)  # sleeps past the timeout, then would answer 200
    services.escalate(people.thread, by=people.maya)
    drain()
    (message,) = messages()
    first, second = attempts(message.id)
    assert first.status_code is None and first.error.startswith("timeout")
    assert first.duration_ms >= 450
    assert second.status_code == 200 and message.status == MessageStatus.DELIVERED
    assert [r.webhook_id for r in receiver.received] == [message.id] * 2


def test_410_disables_the_endpoint_and_kills_its_messages(ectx, people, endpoint, receiver):
    dead = []
    ectx.extensions["forum.events"][events.WebhookDead].append(dead.append)
    receiver.respond = lambda req: (410, {"error": "gone"}, {})
    other = f.thread(people.alice, category_obj=people.billing)
    first = services.escalate(people.thread, by=people.maya)
    second = services.escalate(other, by=people.maya)
    drain()
    assert len(receiver.received) == 1  # the second message is not sent to a gone endpoint
    db.session.expire_all()
    ep = db.session.get(Endpoint, endpoint.id)
    assert not ep.active and ep.disabled_at is not None and "410" in ep.disabled_reason
    one, two = messages()
    assert one.status == two.status == MessageStatus.DEAD
    assert one.last_error == "the receiver answered 410 Gone; the endpoint is disabled"
    assert two.last_error == "endpoint disabled: the receiver answered 410 Gone" and two.attempts == 0
    assert {e.message_id for e in dead} == {one.id, two.id}
    for esc in (first, second):
        assert db.session.get(Escalation, esc.id).delivery == Delivery.FAILED
    third = services.escalate(f.thread(people.alice, category_obj=people.billing), by=people.maya)
    assert third.delivery == Delivery.NO_ENDPOINT and count(Message) == 2


def test_a_redirect_is_not_followed(ectx, people, endpoint, receiver):
    with Receiver(receiver.secret) as target:
        receiver.respond = lambda req: (301, None, {"Location": target.url})
        services.escalate(people.thread, by=people.maya)
        drain()
        assert target.received == []
    (message,) = messages()
    log = attempts(message.id)
    assert len(log) == 10 and {a.status_code for a in log} == {301}
    assert f"redirect to {target.url} not followed" in log[0].error
    assert message.status == MessageStatus.DEAD and "no success after 10 attempts" in message.last_error
    assert {r.webhook_id for r in receiver.received} == {message.id}


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_is_honoured(ectx, people, endpoint, receiver, status, form):
    not_before = utcnow().replace(microsecond=0) + timedelta(seconds=120)
    value = "120" if form == "seconds" else format_datetime(not_before, usegmt=True)
    receiver.script((status, {"error": "slow down"}, {"Retry-After": value}))
    services.escalate(people.thread, by=people.maya)
    drain()
    (message,) = messages()
    (first,) = attempts(message.id)
    assert first.status_code == status and len(receiver.received) == 1
    if form == "seconds":  # counted from the answer, which came after the attempt started
        not_before = first.started_at + timedelta(seconds=120)
    assert not_before <= message.next_attempt_at <= not_before + timedelta(seconds=10)
    (retry,) = delivery_jobs(JobStatus.PENDING)
    assert retry.run_at == message.next_attempt_at

    with clock_at(message.next_attempt_at - timedelta(seconds=5)):
        drain()
    assert len(receiver.received) == 1
    with clock_at(message.next_attempt_at + timedelta(seconds=1)):
        drain()
    assert [r.webhook_id for r in receiver.received] == [message.id] * 2
    assert receiver.received[1].verified and messages()[0].status == MessageStatus.DELIVERED


def test_retry_after_shorter_than_the_schedule_does_not_shorten_it(ectx, people, endpoint, receiver):
    ectx.config["WEBHOOK_RETRY_SCHEDULE"] = [600] * 9
    receiver.script((429, None, {"Retry-After": "5"}))
    services.escalate(people.thread, by=people.maya)
    drain()
    (message,) = messages()
    wait = (message.next_attempt_at - attempts(message.id)[0].started_at).total_seconds()
    assert 600 <= wait <= 661


def test_every_attempt_is_logged_with_its_request_headers(ectx, people, endpoint, receiver):
    receiver.script(500)
    services.escalate(people.thread, by=people.maya)
    drain()
    (message,) = messages()
    failed, ok = attempts(message.id)
    for n, attempt in enumerate((failed, ok), 1):
        assert attempt.number == n and attempt.url == receiver.url and attempt.duration_ms >= 0
        h = attempt.request_headers
        assert h["webhook-id"] == message.id and h["webhook-signature"].startswith("v1,")
        assert h["content-type"] == "application/json" and h["user-agent"] == webhooks.USER_AGENT
        assert attempt.worker
    assert failed.status_code == 500 and message.last_status == 200 and message.last_error == ""


def test_a_receiver_that_is_not_listening_is_a_logged_failure_not_an_exception(ectx, people, endpoint, receiver):
    from forum.escalation import delivery

    receiver.stop()
    services.escalate(people.thread, by=people.maya)
    (message,) = messages()
    delivery.deliver({"message_id": message.id, "attempt": 0})  # never raises for the network
    (attempt,) = attempts(message.id)
    assert attempt.status_code is None and attempt.error
    assert messages()[0].attempts == 1
