"""The retry schedule and dead letters, stepped through with a controlled clock;
redelivery and replay bring a dead message back under its own id."""
from __future__ import annotations

from datetime import timedelta

import pytest

from forum import events
from forum.config import Defaults
from forum.db import Conflict, clock_at, utcnow
from forum.errors import Forbidden, Invalid
from forum.escalation import delivery, endpoints, services, webhooks
from forum.escalation.models import Delivery, Escalation, MessageStatus
from forum.extensions import db
from forum.jobs import JobStatus
from tests import factories as f

from tests.forum.escalation.conftest import attempts, delivery_jobs, drain, messages
from tests.forum.escalation.receiver import Receiver

SCHEDULE = list(Defaults.WEBHOOK_RETRY_SCHEDULE)


def test_the_default_schedule_retries_for_three_days_then_the_message_is_dead(ectx, people, endpoint, receiver):
    ectx.config["WEBHOOK_RETRY_SCHEDULE"] = SCHEDULE
    assert len(SCHEDULE) == 9  # ten attempts in all
    dead = []
    ectx.extensions["forum.events"][events.WebhookDead].append(dead.append)
    receiver.respond = lambda req: (500, None, {})
    start = utcnow()
    with clock_at(start):
        esc = services.escalate(people.thread, by=people.maya)
        drain()
    at = start
    for n in range(1, 11):
        (message,) = messages()
        assert message.attempts == n and len(receiver.received) == n
        assert attempts(message.id)[-1].started_at == at
        if n == 10:
            break
        assert message.status == MessageStatus.PENDING
        wait = (message.next_attempt_at - at).total_seconds()
        assert SCHEDULE[n - 1] * 0.9 <= wait <= SCHEDULE[n - 1] * 1.1, (n, wait)
        (job,) = delivery_jobs(JobStatus.PENDING)
        assert job.run_at == message.next_attempt_at
        with clock_at(message.next_attempt_at - timedelta(seconds=1)):
            drain()  # not due yet
        assert len(receiver.received) == n
        at = message.next_attempt_at
        with clock_at(at):
            drain()
    assert message.status == MessageStatus.DEAD and message.next_attempt_at is None
    assert message.last_error == "no success after 10 attempts: HTTP 500"
    assert (at - start) >= timedelta(days=3)
    assert delivery_jobs(JobStatus.PENDING) == []
    assert [e.message_id for e in dead] == [message.id] and dead[0].escalation_id == esc.id
    assert db.session.get(Escalation, esc.id).delivery == Delivery.FAILED
    assert {r.webhook_id for r in receiver.received} == {message.id}
    assert {r.body for r in receiver.received} == {message.body.encode()}


def test_the_schedule_never_ends_before_three_days_whatever_the_jitter():
    for _ in range(200):
        total = sum(webhooks.next_delay(n, SCHEDULE).total_seconds() for n in range(1, 10))
        assert total >= 3 * 86400
        assert webhooks.next_delay(10, SCHEDULE) is None


def test_the_escalation_fails_only_when_all_its_messages_are_dead(ectx, people, endpoint, receiver):
    ectx.config["WEBHOOK_RETRY_SCHEDULE"] = [60.0] * 9
    receiver.respond = lambda req: (410, None, {})
    with Receiver(receiver.secret) as other:
        other.respond = lambda req: (500, None, {})
        endpoints.add_endpoint(by=people.ada, url=other.url, secret=other.secret, allow_private=True)
        esc = services.escalate(people.thread, by=people.maya)
        drain()
        gone, failing = sorted(messages(), key=lambda m: m.endpoint_id)
        assert gone.status == MessageStatus.DEAD and failing.status == MessageStatus.PENDING
        assert db.session.get(Escalation, esc.id).delivery == Delivery.QUEUED
        now = utcnow()
        for minute in range(1, 12):
            with clock_at(now + timedelta(minutes=2 * minute)):
                drain()
        assert len(other.received) == 10
    db.session.expire_all()
    assert messages()[1].status == MessageStatus.DEAD
    assert db.session.get(Escalation, esc.id).delivery == Delivery.FAILED


def test_a_dead_message_is_redelivered_under_the_same_id(ectx, people, endpoint, receiver):
    receiver.respond = lambda req: (500, None, {})
    esc = services.escalate(people.thread, by=people.maya)
    drain()
    (message,) = messages()
    assert message.status == MessageStatus.DEAD and len(receiver.received) == 10

    with pytest.raises(Forbidden):
        delivery.redeliver(message.id, by=people.maya)
    receiver.respond = lambda req: (200, {"ticket_id": 77}, {})
    again = delivery.redeliver(message.id, by=people.ada)
    assert again.status == MessageStatus.PENDING
    assert db.session.get(Escalation, esc.id).delivery == Delivery.QUEUED
    with pytest.raises(Conflict):
        delivery.redeliver(message.id, by=people.ada)
    drain()
    (message,) = messages()
    assert message.status == MessageStatus.DELIVERED and len(receiver.received) == 11
    assert receiver.received[-1].webhook_id == message.id and receiver.received[-1].verified
    assert receiver.received[-1].body == receiver.received[0].body
    esc = db.session.get(Escalation, esc.id)
    assert esc.delivery == Delivery.DELIVERED and esc.ticket_id == "77"
    assert len(attempts(message.id)) == 11

    # Delivered messages can be sent again too (the receiver lost it); still one id.
    delivery.redeliver(message.id, by=people.ada)
    drain()
    assert [r.webhook_id for r in receiver.received[-2:]] == [message.id] * 2


def test_redelivering_to_a_disabled_endpoint_is_refused(ectx, people, endpoint, receiver):
    receiver.respond = lambda req: (500, None, {})
    services.escalate(people.thread, by=people.maya)
    drain()
    endpoints.enable(endpoint, by=people.ada, active=False)
    with pytest.raises(Invalid):
        delivery.redeliver(messages()[0].id, by=people.ada)


def test_replay_failed_brings_back_the_dead_messages_since_a_time(ectx, people, endpoint, receiver):
    receiver.respond = lambda req: (500, None, {})
    start = utcnow()
    with clock_at(start - timedelta(hours=2)):
        old = services.escalate(people.thread, by=people.maya)
    recent = [services.escalate(f.thread(people.alice, category_obj=people.billing), by=people.maya)
              for _ in range(3)]
    drain()
    assert {m.status for m in messages()} == {MessageStatus.DEAD}
    assert {db.session.get(Escalation, e.id).delivery for e in recent + [old]} == {Delivery.FAILED}
    before = {m.escalation_id: m.id for m in messages()}

    receiver.respond = lambda req: (200, None, {})
    received = len(receiver.received)
    with pytest.raises(Forbidden):
        delivery.replay_failed(by=people.maya, since=start - timedelta(hours=1))
    assert delivery.replay_failed(by=people.ada, since=start - timedelta(hours=1)) == 3
    assert delivery.replay_failed(by=people.ada, since=start - timedelta(hours=1)) == 0  # pending now
    drain()
    got = [r.webhook_id for r in receiver.received[received:]]
    assert sorted(got) == sorted(before[e.id] for e in recent)
    db.session.expire_all()
    assert {db.session.get(Escalation, e.id).delivery for e in recent} == {Delivery.DELIVERED}
    assert db.session.get(Escalation, old.id).delivery == Delivery.FAILED
    for other in (endpoint.id + 1, 2**40):
        assert delivery.replay_failed(by=people.ada, since=start - timedelta(days=1), endpoint_id=other) == 0
    assert delivery.replay_failed(by=people.ada, since=start - timedelta(days=1), endpoint_id=endpoint.id) == 1
