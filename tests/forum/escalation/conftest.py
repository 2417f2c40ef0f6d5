"""Escalation fixtures: a verifying HTTP receiver on 127.0.0.1, an endpoint pointing
at it, and a small community with an unsolved thread."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.escalation import endpoints
from forum.escalation.delivery import DELIVER
from forum.escalation.models import Attempt, Message
from forum.escalation.webhooks import new_secret
from forum.extensions import db
from forum.jobs import Job, JobStatus, worker
from forum.models import Role
from tests import factories as f

from tests.forum.escalation.receiver import Receiver

#: Retries within a test's lifetime: the same ten attempts, in milliseconds.
FAST_SCHEDULE = [0.0] * 9


@pytest.fixture
def receiver():
    with Receiver(new_secret()) as rx:
        yield rx


@pytest.fixture
def esc_app(make_app):
    return make_app(WEBHOOK_RETRY_SCHEDULE=FAST_SCHEDULE, WEBHOOK_TIMEOUT=3.0, WEBHOOK_CONNECT_TIMEOUT=1.0)


@pytest.fixture
def ectx(esc_app):
    with esc_app.app_context():
        yield esc_app


def community() -> SimpleNamespace:
    """Alice asked in Billing, Bob answered (nothing accepted); Maya moderates, Ada administers."""
    ada, maya = f.user("ada", role=Role.ADMIN), f.user("maya", role=Role.MODERATOR)
    alice, bob = f.user("alice", display_name="Alice Meyer"), f.user("bob")
    billing = f.category("Billing")
    thread = f.thread(alice, title="Invoices show dollars instead of euros", tags=["invoices"], category_obj=billing,
                      body="Our invoices come out in USD but we pay in EUR. How can I change that?")
    answer = f.answer(thread, bob, body="Have you looked under Settings, then Billing? I think it is there.")
    return SimpleNamespace(ada=ada, maya=maya, alice=alice, bob=bob, billing=billing, thread=thread, answer=answer)


@pytest.fixture
def people(ectx):
    return community()


@pytest.fixture
def endpoint(people, receiver):
    ep, _secret = endpoints.add_endpoint(by=people.ada, url=receiver.url, secret=receiver.secret, allow_private=True)
    return ep


def drain() -> int:
    return worker.drain()


def messages() -> list[Message]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Message).order_by(Message.created_at, Message.id)).scalars())


def attempts(message_id: str) -> list[Attempt]:
    return list(db.session.execute(sa.select(Attempt).where(Attempt.message_id == message_id)
                                   .order_by(Attempt.id)).scalars())


def count(model, *where) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def delivery_jobs(*statuses: JobStatus) -> list[Job]:
    q = sa.select(Job).where(Job.kind == DELIVER).order_by(Job.id)
    if statuses:
        q = q.where(Job.status.in_(statuses))
    db.session.expire_all()
    return list(db.session.execute(q).scalars())


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"
