"""A real SMTP server on 127.0.0.1 receives the mail; an outage retries without losing
or doubling anything, and nothing is marked sent that wasn't."""
from __future__ import annotations

import email
import socket
from datetime import timedelta
from email import policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from forum.db import clock_at, utcnow
from forum.extensions import db
from forum.jobs import Job, JobStatus, worker
from forum.notifications.models import Notification
from tests import factories as f


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """aiosmtpd on a fixed port that can go down and come back (a new controller each time)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sctx(make_app, smtp):
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_TIMEOUT=3,
                   NOTIFY_COALESCE_SECONDS=0, MAIL_SENDER="Support <noreply@support.test>")
    with app.app_context():
        yield app


def unsent(user) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.kind == "answer", Notification.emailed_at.is_(None))).scalar()


def test_the_server_receives_one_multipart_mail_with_its_headers(sctx, smtp):
    inbox = smtp.inbox
    alice = f.user("alice")
    thread = f.thread(alice, title="Exports fail with a timeout")
    answer = f.answer(thread, f.user("bob"), body="Raise the export timeout in Settings, then Data.")
    worker.drain()
    (message,) = [m for m in inbox.messages if m["To"] == "alice@example.com"]
    assert inbox.envelopes[inbox.messages.index(message)] == ("noreply@support.test", ["alice@example.com"])
    assert message["Subject"] == "[Support Community] New answers on threads you watch: Exports fail with a timeout"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(message["List-Unsubscribe"]).strip().startswith("<http://127.0.0.1:5000/unsubscribe/")
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"/t/{thread.id}#post-{answer.id}" in plain and f"/t/{thread.id}#post-{answer.id}" in html
    assert unsent(alice) == 0


def test_an_outage_retries_with_backoff_and_loses_or_doubles_nothing(sctx, smtp):
    inbox = smtp.inbox
    alice = f.user("alice")
    thread = f.thread(alice)
    smtp.stop()
    answers = [f.answer(thread, f.user(f"helper{i}")) for i in range(3)]
    start = utcnow()
    with clock_at(start):
        worker.drain()
    jobs = db.session.execute(sa.select(Job).where(Job.kind == "notify.email")).scalars().all()
    assert jobs and all(j.status == JobStatus.PENDING and j.attempts == 1 and j.last_error for j in jobs)
    assert all(j.run_at > start for j in jobs)
    assert unsent(alice) == 3  # nothing marked sent that wasn't
    # Still down at the first retry.
    with clock_at(start + timedelta(seconds=15)):
        worker.drain()
    assert unsent(alice) == 3 and inbox.messages == []
    smtp.start()
    with clock_at(start + timedelta(minutes=5)):
        worker.drain()
    to_alice = [m for m in inbox.messages if m["To"] == "alice@example.com"]
    assert len(to_alice) == 1
    body = to_alice[0].get_body(("plain",)).get_content()
    assert all(f"#post-{a.id}" in body for a in answers)
    assert unsent(alice) == 0
    assert db.session.execute(sa.select(sa.func.count()).select_from(Job).where(
        Job.kind == "notify.email", Job.status != JobStatus.DONE)).scalar() == 0
    # Later runs send nothing more.
    with clock_at(start + timedelta(hours=2)):
        worker.drain()
    assert len([m for m in inbox.messages if m["To"] == "alice@example.com"]) == 1
