"""Digests: at most one per person per period, with exactly the unread items they
were not mailed, each item once; a bounded, fixed number of queries per person."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.db import clock_at, utcnow
from forum.extensions import db
from forum.notifications import mail, services
from forum.notifications.models import EmailMode, Notification
from tests import factories as f

H = timedelta(hours=1)


@pytest.fixture
def dctx(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0)
    with app.app_context():
        yield app


def digests_to(user, period="daily") -> list:
    return [m for m in mail.outbox() if m.to == [user.email] and f"{period} summary" in m.subject]


def run(at) -> int:
    with clock_at(at):
        return mail.send_digests()


def answers_for(asker, n, at):
    """``n`` answers to a new question of ``asker``, by people who want no badge mail."""
    with clock_at(at):
        thread = f.thread(asker)
        helpers = [f.user() for _ in range(n)]
        for helper in helpers:
            services.set_email_mode(helper, "badge", EmailMode.OFF)
        return thread, [f.answer(thread, helper) for helper in helpers]


def test_a_digest_holds_exactly_the_missed_items_once(dctx):
    alice = f.user("alice")
    services.set_email_mode(alice, "answer", EmailMode.DAILY)
    t0 = utcnow()
    thread, answers = answers_for(alice, 3, t0)
    read = db.session.execute(sa.select(Notification.id).where(
        Notification.user_id == alice.id, Notification.post_id == answers[0].id)).scalar_one()
    services.mark_read(alice, [read])
    run(t0 + H)
    (digest,) = digests_to(alice)
    assert "2 updates" in digest.subject
    assert f"#post-{answers[0].id}" not in digest.body
    for answer in answers[1:]:
        assert f"#post-{answer.id}" in digest.body and f"#post-{answer.id}" in digest.alternatives[0][0]
    assert "List-Unsubscribe" in digest.extra_headers
    # A second run sends nothing: every item went out once, the read one never will.
    run(t0 + 2 * H)
    assert len(digests_to(alice)) == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == alice.id, Notification.emailed_at.is_(None))).scalar() == 0


def test_one_digest_per_period_the_next_items_wait_for_the_next_period(dctx):
    alice = f.user("alice")
    services.set_email_mode(alice, "answer", EmailMode.DAILY)
    t0 = utcnow()
    answers_for(alice, 1, t0)
    run(t0 + H)
    _, later = answers_for(alice, 2, t0 + 2 * H)
    run(t0 + 3 * H)
    run(t0 + 20 * H)
    assert len(digests_to(alice)) == 1
    run(t0 + 25 * H + timedelta(minutes=1))
    first, second = digests_to(alice)
    assert all(f"#post-{a.id}" in second.body for a in later) and "2 updates" in second.subject


def test_items_already_mailed_at_once_never_come_back_in_a_digest(dctx):
    from forum.jobs import worker

    alice = f.user("alice")
    t0 = utcnow()
    _, answers = answers_for(alice, 2, t0)
    worker.drain()
    assert len([m for m in mail.outbox() if m.to == [alice.email]]) == 1
    services.set_email_mode(alice, "answer", EmailMode.DAILY)
    run(t0 + H)
    assert digests_to(alice) == []


def test_weekly_and_daily_are_separate_and_everything_read_sends_nothing(dctx):
    alice, bob = f.user("alice"), f.user("bob")
    services.set_email_mode(alice, "answer", EmailMode.WEEKLY)
    services.set_email_mode(bob, "answer", EmailMode.DAILY)
    t0 = utcnow()
    answers_for(alice, 1, t0)
    answers_for(bob, 1, t0)
    services.mark_read(bob)
    run(t0 + H)
    assert len(digests_to(alice, "weekly")) == 1 and digests_to(alice) == []
    assert digests_to(bob) == []
    # Bob's day did not start with that empty run: his next item goes out at once.
    answers_for(bob, 1, t0 + 2 * H)
    run(t0 + 3 * H)
    assert len(digests_to(bob)) == 1


def counted(fn) -> tuple[object, int]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "PRAGMA")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        return fn(), len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_a_run_costs_a_fixed_number_of_queries_per_person_whatever_they_missed(dctx):
    t0 = utcnow()
    light, heavy = [f.user("lena"), f.user("liam")], [f.user("hana"), f.user("hugo")]
    for person in light + heavy:
        services.set_email_mode(person, "answer", EmailMode.DAILY)
    for person in light:
        answers_for(person, 1, t0)
    sent, few = counted(lambda: run(t0 + H))
    assert sent == 2
    for person in heavy:
        answers_for(person, 6, t0 + 2 * H)
    sent, many = counted(lambda: run(t0 + 3 * H))
    assert sent == 2 and many == few, (few, many)


def test_a_run_is_bounded_and_the_next_one_takes_the_rest(dctx, monkeypatch):
    people = [f.user(f"reader{i}") for i in range(6)]
    t0 = utcnow()
    for person in people:
        services.set_email_mode(person, "answer", EmailMode.DAILY)
        answers_for(person, 2, t0)
    monkeypatch.setattr(mail, "DIGEST_BATCH", 4)
    assert run(t0 + H) == 4
    assert run(t0 + H + timedelta(minutes=1)) == 2
    assert run(t0 + 2 * H) == 0
    assert [len(digests_to(p)) for p in people] == [1] * 6
