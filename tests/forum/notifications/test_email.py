"""Instant e-mail: bursts coalesce into one message, both bodies, the unsubscribe
headers, and each person's choice per kind."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.db import clock_at, utcnow
from forum.errors import Invalid
from forum.extensions import db
from forum.jobs import Job, worker
from forum.notifications import mail, services
from forum.notifications.models import EmailMode, Notification
from forum.threads import services as threads
from tests import factories as f

WINDOW = 60


@pytest.fixture
def ectx(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=WINDOW, POST_RATE="1000 per hour",
                   NEW_USER_POST_RATE="1000 per hour")
    with app.app_context():
        yield app


def drain_at(moment) -> None:
    with clock_at(moment):
        worker.drain()


def test_ten_answers_within_the_window_are_one_mail(ectx):
    alice = f.user("alice")
    thread = f.thread(alice, title="Invoices show dollars instead of euros")
    start = utcnow()
    answers = []
    for i in range(10):
        with clock_at(start + timedelta(seconds=5 * i)):
            answers.append(f.answer(thread, f.user(f"helper{i}")))
    drain_at(start + timedelta(seconds=WINDOW - 1))
    assert [m for m in mail.outbox() if m.to == ["alice@example.com"]] == []
    drain_at(start + timedelta(seconds=WINDOW + 50))
    (message,) = [m for m in mail.outbox() if m.to == ["alice@example.com"]]
    assert message.subject == "[Support Community] 10 updates on “Invoices show dollars instead of euros”"
    for answer in answers:
        assert f"/t/{thread.id}#post-{answer.id}" in message.body
    # Every job of the burst has run; none of them sent another.
    drain_at(start + timedelta(hours=1))
    assert len([m for m in mail.outbox() if m.to == ["alice@example.com"]]) == 1
    pending = db.session.execute(sa.select(sa.func.count()).select_from(Job).where(
        Job.kind == "notify.email", Job.status != "done")).scalar()
    assert pending == 0


def test_a_mail_has_html_and_text_bodies_and_one_click_unsubscribe_headers(ectx):
    alice, bob = f.user("alice"), f.user("bob")
    thread = f.thread(alice)
    answer = f.answer(thread, bob, body="Look under <Settings> & then Billing.")
    drain_at(utcnow() + timedelta(seconds=WINDOW))
    (message,) = mail.outbox()
    html, mime = message.alternatives[0]
    assert mime == "text/html" and f"/t/{thread.id}#post-{answer.id}" in html
    assert "&lt;Settings&gt; &amp; then" in html and "<Settings>" not in html
    assert "bob answered" in message.body and "<a " not in message.body
    link = message.extra_headers["List-Unsubscribe"]
    assert link.startswith("<http://127.0.0.1:5000/unsubscribe/") and link.endswith(">")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    user, kind = mail.check_unsubscribe(link[1:-1].rsplit("/", 1)[1])
    assert (user.id, kind) == (alice.id, "answer")
    assert link[1:-1] in message.body and link[1:-1] in html


def test_modes_per_kind_instant_digest_or_off(ectx):
    alice, bob = f.user("alice"), f.user("bob")
    services.set_email_mode(alice, "answer", EmailMode.OFF)
    services.set_email_mode(bob, "accepted", EmailMode.DAILY)
    thread = f.thread(alice)
    answer = f.answer(thread, bob)
    threads.accept_answer(answer, by=alice)
    drain_at(utcnow() + timedelta(seconds=WINDOW))
    assert mail.outbox() == []
    # Off: in the app, never mailed; daily: waiting for the digest.
    (off,) = db.session.execute(sa.select(Notification).where(
        Notification.user_id == alice.id, Notification.kind == "answer")).scalars()
    assert off.read_at is None and off.emailed_at is not None
    (daily,) = db.session.execute(sa.select(Notification).where(
        Notification.user_id == bob.id, Notification.kind == "accepted")).scalars()
    assert daily.emailed_at is None
    with clock_at(utcnow() + timedelta(seconds=WINDOW)):
        mail.send_digests()
    (digest,) = [m for m in mail.outbox() if "daily summary" in m.subject]
    assert digest.to == ["bob@example.com"] and "accepted your answer" in digest.body


def test_account_and_moderation_mail_cannot_be_turned_off(ectx):
    alice = f.user("alice")
    with pytest.raises(Invalid):
        services.set_email_mode(alice, "post_rejected", EmailMode.OFF)
    with pytest.raises(Invalid):
        services.set_email_mode(alice, "no_such_kind", EmailMode.OFF)
    services.set_email_mode(alice, "sanction", EmailMode.DAILY)
    assert services.email_mode(alice.id, "sanction") == EmailMode.DAILY
    # Unsubscribing from everything leaves them on.
    changed = mail.unsubscribe(alice, "*")
    assert "sanction" not in changed and "post_hidden" not in changed and "answer" in changed
    assert services.email_mode(alice.id, "post_hidden") == EmailMode.INSTANT
    assert services.email_mode(alice.id, "answer") == EmailMode.OFF


def test_read_items_and_posts_hidden_since_are_not_mailed(ectx):
    from forum.db import write_transaction
    from forum.models import PostState, Role
    from forum.threads import moderation as content

    alice = f.user("alice")
    thread = f.thread(alice)
    read = f.answer(thread, f.user("bob"))
    hidden = f.answer(thread, f.user("cat"))
    kept = f.answer(thread, f.user("dan"))
    services.mark_read(alice, [n.id for n in db.session.execute(sa.select(Notification).where(
        Notification.post_id == read.id)).scalars()])
    with write_transaction():
        content.set_post_state(hidden, PostState.HIDDEN, by=f.user("mia", role=Role.MODERATOR))
    drain_at(utcnow() + timedelta(seconds=WINDOW))
    (message,) = [m for m in mail.outbox() if m.to == ["alice@example.com"]]
    assert f"#post-{kept.id}" in message.body
    assert f"#post-{read.id}" not in message.body and f"#post-{hidden.id}" not in message.body
    # Nothing lingers unsent: the skipped ones are settled too.
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == alice.id, Notification.emailed_at.is_(None))).scalar() == 0
