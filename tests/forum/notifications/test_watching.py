"""Watching and muting threads, categories and tags, and how the levels combine."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.errors import NotFound
from forum.extensions import db
from forum.jobs import worker
from forum.notifications import mail, services
from forum.notifications.models import Level, Notification, WatchKind
from tests import factories as f


@pytest.fixture
def nctx(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0)
    with app.app_context():
        yield app


@pytest.fixture
def board(nctx):
    """Alice asks in Billing, tagged invoices; nobody else has answered yet."""
    alice = f.user("alice")
    billing = f.category("Billing")
    thread = f.thread(alice, category_obj=billing, tags=["invoices"])
    return alice, billing, thread, thread.tags[0].id


def told(user, kind="answer") -> list[int]:
    return list(db.session.execute(sa.select(Notification.post_id).where(
        Notification.user_id == user.id, Notification.kind == kind).order_by(Notification.id)).scalars())


def test_askers_and_answerers_watch_their_threads_on_their_own(board):
    alice, _, thread, _ = board
    bob = f.user("bob")
    f.answer(thread, bob)
    assert services.level(alice, thread) == Level.WATCHING
    assert services.level(bob, thread) == Level.WATCHING
    assert services.watchers(thread) == sorted([alice.id, bob.id])


def test_watching_a_category_or_a_tag_brings_every_answer(board):
    _, billing, thread, tag_id = board
    cat_fan, tag_fan, bystander = f.user("cato"), f.user("tagg"), f.user("andy")
    services.set_watch(cat_fan, WatchKind.CATEGORY, billing.id, Level.WATCHING)
    services.set_watch(tag_fan, WatchKind.TAG, tag_id, Level.WATCHING)
    answer = f.answer(thread, f.user("bob"))
    assert told(cat_fan) == told(tag_fan) == [answer.id]
    assert told(bystander) == []


def test_a_thread_mute_beats_watching_its_category(board):
    _, billing, thread, _ = board
    carl = f.user("carl")
    services.set_watch(carl, WatchKind.CATEGORY, billing.id, Level.WATCHING)
    services.set_watch(carl, WatchKind.THREAD, thread.id, Level.MUTED)
    f.answer(thread, f.user("bob"))
    assert told(carl) == [] and services.level(carl, thread) == Level.MUTED
    # Muting one's own thread silences it too, for good: answering again does not unmute.
    alice = board[0]
    before = told(alice)
    services.set_watch(alice, WatchKind.THREAD, thread.id, Level.MUTED)
    f.answer(thread, alice)
    f.answer(thread, f.user("dora"))
    assert told(alice) == before and services.level(alice, thread) == Level.MUTED


def test_a_category_mute_silences_its_threads_unless_one_is_watched(board):
    _, billing, thread, tag_id = board
    other = f.thread(f.user("olga"), category_obj=billing)
    mo = f.user("moe")
    services.set_watch(mo, WatchKind.CATEGORY, billing.id, Level.MUTED)
    services.set_watch(mo, WatchKind.TAG, tag_id, Level.WATCHING)  # a watched tag does not beat the mute
    services.set_watch(mo, WatchKind.THREAD, other.id, Level.WATCHING)
    f.answer(thread, f.user("bob"))
    answer = f.answer(other, f.user("cyd"))
    assert told(mo) == [answer.id]
    # The muted thread still shows its level; the new-question alerts stay quiet too.
    assert services.level(mo, thread) == Level.MUTED
    f.thread(f.user("newt"), category_obj=billing)
    assert told(mo, "new_thread") == []


def test_normal_removes_the_watch_and_a_later_answer_does_not_rewatch_a_mute(board):
    alice, _, thread, _ = board
    bob = f.user("bob")
    services.set_watch(bob, WatchKind.THREAD, thread.id, Level.MUTED)
    f.answer(thread, bob)  # answering keeps his mute
    assert services.level(bob, thread) == Level.MUTED
    services.set_watch(bob, WatchKind.THREAD, thread.id, Level.NORMAL)
    assert services.level(bob, thread) == Level.NORMAL
    answer = f.answer(thread, f.user("cyd"))
    assert told(bob) == []  # normal: no thread watch left, no news
    assert answer.id in told(alice)


def test_watching_an_unknown_or_unreadable_target_is_not_found(board):
    from forum.errors import Forbidden
    from forum.models import PostState, Role
    from forum.threads import moderation as content
    from forum.db import write_transaction

    alice, _, thread, _ = board
    bob = f.user("bob")
    with pytest.raises(NotFound):
        services.set_watch(bob, WatchKind.CATEGORY, 10**6, Level.WATCHING)
    with pytest.raises(NotFound):
        services.set_watch(bob, WatchKind.TAG, 2**70, Level.WATCHING)
    with write_transaction():
        content.set_post_state(thread.question, PostState.HIDDEN, by=f.user("mia", role=Role.MODERATOR))
    with pytest.raises((NotFound, Forbidden)):
        services.set_watch(bob, WatchKind.THREAD, thread.id, Level.WATCHING)


def test_answers_on_a_hidden_thread_reach_only_those_who_can_read_it(board):
    from forum.db import write_transaction
    from forum.models import PostState, Role
    from forum.threads import moderation as content

    alice, billing, thread, _ = board
    mia, fan = f.user("mia", role=Role.MODERATOR), f.user("fan")
    for who in (mia, fan):
        services.set_watch(who, WatchKind.CATEGORY, billing.id, Level.WATCHING)
    with write_transaction():
        content.set_post_state(thread.question, PostState.HIDDEN, by=mia)
    answer = f.answer(thread, f.user("sam", role=Role.STAFF))
    assert told(mia) == told(alice) == [answer.id]
    assert told(fan) == []


def test_notifying_many_watchers_costs_the_same_queries_as_notifying_two(board):
    _, billing, thread, _ = board
    fans = [f.user(f"fan{i}") for i in range(25)]
    services.set_watch(fans[0], WatchKind.CATEGORY, billing.id, Level.WATCHING)
    services.set_watch(fans[1], WatchKind.CATEGORY, billing.id, Level.WATCHING)
    few = _count_queries(lambda: f.answer(thread, f.user("bob")))
    for fan in fans[2:]:
        services.set_watch(fan, WatchKind.CATEGORY, billing.id, Level.WATCHING)
    many = _count_queries(lambda: f.answer(thread, f.user("cyd")))
    assert many == few, (few, many)
    worker.drain()
    # Alice, Bob and 25 fans: one mail each, however many answers they missed.
    assert len(mail.outbox()) == len({m.to[0] for m in mail.outbox()}) == 27


def _count_queries(fn) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "PRAGMA")):
            statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)
