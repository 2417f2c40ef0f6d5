"""Votes and accepts under real concurrency: threads, each with its own app context,
session and connection, released together by a barrier. Runs on SQLite (a file
database in WAL mode with immediate write transactions) and on PostgreSQL when
``TEST_DATABASE_URL`` is set."""
from __future__ import annotations

import threading
from typing import Callable

import pytest
import sqlalchemy as sa

from forum import events
from forum.db import Conflict, write_transaction
from forum.errors import Forbidden
from forum.extensions import db
from forum.models import Post, PostState, Thread, ThreadStatus, User, Vote
from forum.threads import services
from tests import factories as f
from tests.conftest import AuthActions

pytestmark = pytest.mark.usefixtures("fast_passwords")

VOTERS = 30


def race(app, jobs: list[Callable[[], object]], *, context: bool = True
         ) -> tuple[list[object], list[BaseException]]:
    """Run each job in its own thread (and app context, unless the job makes
    requests, which bring their own), all released at once."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], object]) -> None:
        try:
            if context:
                with app.app_context():
                    barrier.wait(timeout=30)
                    outcome = job()
            else:
                barrier.wait(timeout=30)
                outcome = job()
            with lock:
                results.append(outcome)
        except BaseException as exc:  # collected and asserted on by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results, errors


def _vote_as(user_id: int, post_id: int, value: int = 1) -> Callable[[], object]:
    def job():
        user = db.session.get(User, user_id)
        post = db.session.get(Post, post_id)
        return services.cast_vote(post, by=user, value=value)
    return job


def _scores(post_id: int) -> tuple[int, int, int]:
    db.session.rollback()
    post = db.session.get(Post, post_id)
    votes = db.session.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Vote.value), 0))
                               .where(Vote.post_id == post_id)).one()
    return post.score, votes[0], votes[1]


def test_concurrent_upvotes_from_many_people_are_all_counted(app):
    with app.app_context():
        question = f.thread()
        post_id, thread_id = question.question_id, question.id
        voters = [f.user(f"voter{i}").id for i in range(VOTERS)]

    results, errors = race(app, [_vote_as(uid, post_id) for uid in voters])

    assert errors == []
    assert len(results) == VOTERS and all(vote == 1 for _score, vote in results)
    # Each racer saw a distinct running total: no two updates read the same score.
    assert sorted(score for score, _vote in results) == list(range(1, VOTERS + 1))
    with app.app_context():
        assert _scores(post_id) == (VOTERS, VOTERS, VOTERS)
        assert db.session.get(Thread, thread_id).score == VOTERS


def test_a_vote_submitted_many_times_at_once_counts_once(app):
    with app.app_context():
        answer = f.answer(f.thread())
        voter = f.user("eager")
        post_id, voter_id = answer.id, voter.id
    seen = []
    lock = threading.Lock()

    def record(event):
        with lock:
            seen.append(event)

    events.listen(app, events.VoteCast, record)

    results, errors = race(app, [_vote_as(voter_id, post_id) for _ in range(10)])

    # A racer either succeeds (seeing the winner's vote) or gets a clean Conflict.
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert results and all(r == (1, 1) for r in results)
    with app.app_context():
        assert _scores(post_id) == (1, 1, 1)
    assert [(e.old, e.new) for e in seen] == [(0, 1)], "only the winner moved the score"


def test_a_double_submitted_vote_form_never_answers_500(app):
    with app.app_context():
        answer = f.answer(f.thread())
        voter = f.user("clicker")
        post_id = answer.id
    clients = []
    for _ in range(10):
        client = app.test_client()
        AuthActions(client).login_as(voter)
        clients.append(client)

    def submit(client):
        def job():
            return client.post(f"/posts/{post_id}/vote", data={"value": "1"},
                               headers={"Accept": "application/json"})
        return job

    responses, errors = race(app, [submit(c) for c in clients], context=False)

    assert errors == []
    assert {r.status_code for r in responses} <= {200, 409}
    assert any(r.status_code == 200 and r.get_json() == {"score": 1, "vote": 1} for r in responses)
    with app.app_context():
        assert _scores(post_id) == (1, 1, 1)


def test_mixed_concurrent_votes_leave_score_equal_to_the_sum_of_votes(app):
    with app.app_context():
        answer = f.answer(f.thread())
        ups = [f.user(f"up{i}").id for i in range(12)]
        downs = [f.user(f"down{i}").id for i in range(8)]
        post_id = answer.id

    results, errors = race(app, [_vote_as(u, post_id, 1) for u in ups] + [_vote_as(d, post_id, -1) for d in downs])

    assert errors == [] and len(results) == 20
    with app.app_context():
        assert _scores(post_id) == (12 - 8, 20, 12 - 8)


def test_racing_accepts_of_different_answers_leave_exactly_one(app):
    with app.app_context():
        asker, moderator = f.user("asker"), f.staff("stella")
        thread = f.thread(asker)
        first, second = f.answer(thread), f.answer(thread)
        thread_id, ids = thread.id, (first.id, second.id)
        asker_id, staff_id = asker.id, moderator.id
    accepted, unaccepted = [], []
    lock = threading.Lock()

    def on_accept(event):
        with lock:
            accepted.append(event)

    def on_unaccept(event):
        with lock:
            unaccepted.append(event)

    events.listen(app, events.AnswerAccepted, on_accept)
    events.listen(app, events.AnswerUnaccepted, on_unaccept)

    def accept(by_id: int, post_id: int):
        def job():
            return services.accept_answer(db.session.get(Post, post_id), by=db.session.get(User, by_id)).id
        return job

    results, errors = race(app, [accept(asker_id, ids[0]), accept(staff_id, ids[1])])

    assert errors == [] and results == [thread_id, thread_id]
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        assert thread.accepted_post_id in ids
        assert thread.status == ThreadStatus.SOLVED
        winner = thread.accepted_post_id
    # The second accept saw the first one (under the row lock) and replaced it.
    assert len(accepted) == 2 and len(unaccepted) == 1
    loser = next(i for i in ids if i != winner)
    assert accepted[0].post_id == loser and accepted[0].previous_post_id is None
    assert unaccepted[0].post_id == loser
    assert accepted[1].post_id == winner and accepted[1].previous_post_id == loser


def test_many_racing_accepts_end_consistent(app):
    with app.app_context():
        asker = f.user("asker")
        thread = f.thread(asker)
        ids = [f.answer(thread).id for _ in range(6)]
        thread_id, asker_id = thread.id, asker.id
    accepted = []
    events.listen(app, events.AnswerAccepted, accepted.append)

    def accept(post_id: int):
        def job():
            services.accept_answer(db.session.get(Post, post_id), by=db.session.get(User, asker_id))
        return job

    _results, errors = race(app, [accept(i) for i in ids])

    assert errors == []
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        assert thread.status == ThreadStatus.SOLVED
        assert thread.accepted_post_id == accepted[-1].post_id
    # Each accept replaced the one before it: a single chain, no lost link.
    assert [e.previous_post_id for e in accepted] == [None] + [e.post_id for e in accepted[:-1]]


def test_a_delete_submitted_many_times_at_once_counts_once(app):
    with app.app_context():
        thread = f.thread()
        helper = f.user("helper")
        f.answer(thread, helper)
        answer = f.answer(thread, helper, body="The second answer, which gets deleted.")
        thread_id, post_id, helper_id = thread.id, answer.id, helper.id
    deleted = []
    events.listen(app, events.PostDeleted, deleted.append)

    def delete():
        return services.delete_post(db.session.get(Post, post_id), by=db.session.get(User, helper_id)).id

    _results, errors = race(app, [delete for _ in range(8)])

    # A late racer either finds the post deleted (and succeeds) or is refused cleanly.
    assert all(isinstance(e, Forbidden) and "already deleted" in str(e) for e in errors), errors
    with app.app_context():
        assert db.session.get(Thread, thread_id).answer_count == 1
    assert len(deleted) == 1, "only the first delete happened"


def test_accepting_an_answer_while_it_is_deleted_never_accepts_a_deleted_answer(app):
    with app.app_context():
        asker, helper = f.user("asker"), f.user("helper")
        thread = f.thread(asker)
        answer = f.answer(thread, helper)
        thread_id, post_id, asker_id, helper_id = thread.id, answer.id, asker.id, helper.id

    def accept():
        services.accept_answer(db.session.get(Post, post_id), by=db.session.get(User, asker_id))

    def delete():
        services.delete_post(db.session.get(Post, post_id), by=db.session.get(User, helper_id))

    for _ in range(5):
        _results, errors = race(app, [accept, delete])
        # If the delete wins, the accept is refused cleanly: the answer is gone.
        assert all(isinstance(e, Forbidden) for e in errors), errors
        with app.app_context():
            thread = db.session.get(Thread, thread_id)
            assert thread.accepted_post_id is None and thread.status == ThreadStatus.OPEN
            assert db.session.get(Post, post_id).is_deleted
            # Bring the answer back for the next round.
            with write_transaction():
                post = db.session.get(Post, post_id)
                post.state, post.deleted_at = PostState.VISIBLE, None
                db.session.execute(sa.update(Thread).where(Thread.id == thread_id)
                                   .values(answer_count=Thread.answer_count + 1))
