"""Events: services announce facts in order, inside the use case's transaction, and
a listener that fails undoes the whole use case ("one transaction per use case")."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum import events
from forum.db import write_transaction
from forum.extensions import db
from forum.jobs import Job, enqueue
from forum.models import Category, Post, PostRevision, Tag, Thread, ThreadStatus, User, Vote
from forum.threads import services
from tests import factories as f

pytestmark = pytest.mark.usefixtures("fast_passwords")


class Recorder:
    """Listens to every event type and keeps what it heard, in order."""

    def __init__(self, app):
        self.seen: list[object] = []
        for event_type in events.EVENT_TYPES:
            events.listen(app, event_type, self.seen.append)

    def take(self) -> list[object]:
        seen, self.seen = self.seen, []
        return seen


class ListenerFailed(Exception):
    pass


def _fail(_event):
    raise ListenerFailed("the ledger refused")


def _committed_count(table: str, ident: int) -> int:
    """Count a row through another connection, which sees only committed data.

    A raw driver connection, so no transaction of ours (immediate on SQLite) starts."""
    conn = db.engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.execute(f"SELECT count(*) FROM {table} WHERE id = {int(ident)}")
        return cur.fetchone()[0]
    finally:
        conn.close()


def _count(model) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


@pytest.fixture
def heard(ctx):
    return Recorder(ctx)


def test_registering_announces_the_user(ctx, heard):
    user = f.user("newbie")
    assert heard.take() == [events.UserRegistered(user_id=user.id)]


def test_asking_announces_the_thread_then_its_question(ctx):
    author, category = f.user("asker"), f.category()
    heard = Recorder(ctx)
    thread = f.thread(author, category_obj=category)
    assert heard.take() == [
        events.ThreadCreated(thread_id=thread.id, question_id=thread.question_id, author_id=author.id),
        events.PostCreated(post_id=thread.question_id, thread_id=thread.id, author_id=author.id, is_question=True),
    ]


def test_listeners_run_inside_the_transaction_before_the_commit(ctx):
    author, category = f.user("asker"), f.category()
    observed = []

    def look(event):
        # The listener's session sees the new rows; nobody else does yet.
        observed.append((db.session.get(Thread, event.thread_id) is not None,
                         _committed_count("threads", event.thread_id)))

    events.listen(ctx, events.ThreadCreated, look)
    thread = f.thread(author, category_obj=category)
    assert observed == [(True, 0)]
    assert _committed_count("threads", thread.id) == 1


def test_answering_editing_and_deleting_announce_each_step(ctx):
    asker, helper = f.user("asker"), f.user("helper")
    thread = f.thread(asker)
    heard = Recorder(ctx)

    answer = f.answer(thread, helper, body="Restart the router, then try again.")
    services.edit_post(answer, by=helper, body="Restart the router and wait a minute, then try again.",
                       reason="more detail")
    services.edit_post(answer, by=helper, body="Restart the router and wait a minute, then try again.")
    services.delete_post(answer, by=helper)

    assert heard.take() == [
        events.PostCreated(post_id=answer.id, thread_id=thread.id, author_id=helper.id, is_question=False),
        events.PostEdited(post_id=answer.id, thread_id=thread.id, editor_id=helper.id, revision=2),
        # The unchanged second edit announces nothing.
        events.PostDeleted(post_id=answer.id, thread_id=thread.id, author_id=helper.id, by_id=helper.id,
                           is_question=False),
    ]


def test_votes_announce_every_move_and_nothing_for_a_repeat(ctx):
    asker, voter = f.user("asker"), f.user("voter")
    thread = f.thread(asker)
    question = db.session.get(Post, thread.question_id)
    heard = Recorder(ctx)

    services.cast_vote(question, by=voter, value=1)
    services.cast_vote(question, by=voter, value=1)
    services.cast_vote(question, by=voter, value=-1)
    services.cast_vote(question, by=voter, value=0)

    moves = [(e.old, e.new) for e in heard.seen]
    assert moves == [(0, 1), (1, -1), (-1, 0)]
    first = heard.seen[0]
    assert (first.post_id, first.thread_id, first.post_author_id, first.voter_id, first.is_question) == \
        (question.id, thread.id, asker.id, voter.id, True)
    assert first.vote_id is not None


def test_accepting_switching_and_unaccepting_announce_in_order(ctx):
    asker, ann, bob = f.user("asker"), f.user("ann"), f.user("bob")
    thread = f.thread(asker)
    first, second = f.answer(thread, ann), f.answer(thread, bob)
    heard = Recorder(ctx)

    services.accept_answer(first, by=asker)
    services.accept_answer(first, by=asker)  # already accepted: no news
    services.accept_answer(second, by=asker)
    services.unaccept_answer(db.session.get(Thread, thread.id), by=asker)

    common = {"thread_id": thread.id, "asker_id": asker.id, "by_id": asker.id}
    assert heard.take() == [
        events.AnswerAccepted(post_id=first.id, answer_author_id=ann.id, previous_post_id=None, **common),
        events.AnswerUnaccepted(post_id=first.id, answer_author_id=ann.id, **common),
        events.AnswerAccepted(post_id=second.id, answer_author_id=bob.id, previous_post_id=first.id, **common),
        events.AnswerUnaccepted(post_id=second.id, answer_author_id=bob.id, **common),
    ]


def test_deleting_the_accepted_answer_unaccepts_it_first(ctx):
    asker, helper = f.user("asker"), f.user("helper")
    thread = f.thread(asker)
    answer = f.answer(thread, helper)
    services.accept_answer(answer, by=asker)
    heard = Recorder(ctx)

    services.delete_post(answer, by=helper)

    assert [type(e) for e in heard.take()] == [events.AnswerUnaccepted, events.PostDeleted]
    thread = db.session.get(Thread, thread.id)
    assert thread.accepted_post_id is None and thread.status == ThreadStatus.OPEN


def test_a_failing_listener_undoes_the_whole_question(ctx):
    author, category = f.user("asker"), f.category()
    before = {m: _count(m) for m in (Thread, Post, PostRevision, Tag, Job)}
    events.listen(ctx, events.ThreadCreated, lambda e: enqueue("search.index_thread", {"id": e.thread_id}))
    events.listen(ctx, events.PostCreated, _fail)

    with pytest.raises(ListenerFailed):
        f.thread(author, category_obj=category, tags=["brand-new-tag"])

    assert {m: _count(m) for m in before} == before
    assert db.session.get(Category, category.id).thread_count == 0


def test_a_failing_listener_undoes_the_vote(ctx):
    answer, voter = f.answer(f.thread()), f.user("voter")
    events.listen(ctx, events.VoteCast, _fail)

    with pytest.raises(ListenerFailed):
        services.cast_vote(answer, by=voter, value=1)

    assert _count(Vote) == 0
    assert db.session.get(Post, answer.id).score == 0


def test_a_failing_listener_undoes_the_accept(ctx):
    asker = f.user("asker")
    thread = f.thread(asker)
    answer = f.answer(thread)
    events.listen(ctx, events.AnswerAccepted, _fail)

    with pytest.raises(ListenerFailed):
        services.accept_answer(answer, by=asker)

    db.session.rollback()
    thread = db.session.get(Thread, thread.id)
    assert thread.accepted_post_id is None and thread.status == ThreadStatus.OPEN


def test_a_failing_listener_undoes_the_answer(ctx):
    thread = f.thread()
    events.listen(ctx, events.PostCreated, _fail)
    posts = _count(Post)

    with pytest.raises(ListenerFailed):
        f.answer(thread)

    assert _count(Post) == posts
    assert db.session.get(Thread, thread.id).answer_count == 0


def test_a_failing_listener_undoes_the_registration(ctx):
    events.listen(ctx, events.UserRegistered, _fail)
    with pytest.raises(ListenerFailed):
        f.user("ghost")
    assert _count(User) == 0


def test_rows_a_listener_adds_commit_with_the_use_case(ctx):
    voter, answer = f.user("voter"), f.answer(f.thread())
    events.listen(ctx, events.VoteCast, lambda e: enqueue("reputation.recount", {"user": e.post_author_id}))

    services.cast_vote(answer, by=voter, value=1)

    db.session.rollback()
    (job,) = db.session.execute(sa.select(Job).where(Job.kind == "reputation.recount")).scalars()
    assert job.payload == {"user": answer.author_id}
    assert _committed_count("jobs", job.id) == 1


def test_listeners_belong_to_one_app(make_app):
    first, second = make_app(), make_app()
    heard = []
    events.listen(first, events.UserRegistered, heard.append)
    with second.app_context():
        events.emit(events.UserRegistered(user_id=1))
    assert heard == []
    with first.app_context():
        events.emit(events.UserRegistered(user_id=2))
    assert heard == [events.UserRegistered(user_id=2)]


def test_an_event_without_listeners_is_fine(ctx):
    with write_transaction():
        events.emit(events.PostEdited(post_id=1, thread_id=1, editor_id=1, revision=2))


def test_every_event_is_a_frozen_dataclass():
    for event_type in events.EVENT_TYPES:
        assert event_type.__dataclass_params__.frozen, event_type
