"""Every rule and every reversal path, through the real forum services."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.db import Conflict
from forum import events
from forum.extensions import db
from forum.threads import services as threads
from reputation.models import ReputationEvent
from tests import factories as f

from .conftest import reasons, rep


def test_an_upvoted_answer_earns_its_author_ten(qa):
    threads.cast_vote(qa["answer"], by=qa["voter"], value=1)
    assert rep(qa["answerer"]) == 11
    assert reasons(qa["answerer"]) == [("answer.voted_up", 10)]
    assert rep(qa["voter"]) == 1


def test_an_upvoted_question_earns_its_author_ten(qa):
    threads.cast_vote(qa["question"], by=qa["voter"], value=1)
    assert reasons(qa["asker"]) == [("question.voted_up", 10)]


def test_downvoting_an_answer_costs_the_voter_one_and_the_author_two(qa):
    threads.cast_vote(qa["answer"], by=qa["other"], value=1)
    threads.cast_vote(qa["answer"], by=qa["voter"], value=1)   # author at 21
    threads.cast_vote(qa["question"], by=qa["answerer"], value=1)  # asker at 11
    threads.cast_vote(qa["answer"], by=qa["asker"], value=-1)
    assert rep(qa["answerer"]) == 19
    assert reasons(qa["asker"])[-1] == ("vote.cast_down", -1)
    assert rep(qa["asker"]) == 10


def test_downvoting_a_question_costs_the_voter_nothing(qa):
    threads.cast_vote(qa["question"], by=qa["answerer"], value=1)
    threads.cast_vote(qa["question"], by=qa["voter"], value=-1)
    assert rep(qa["voter"]) == 1 and reasons(qa["voter"]) == []
    assert rep(qa["asker"]) == 9


def test_reputation_never_falls_below_one(qa):
    threads.cast_vote(qa["answer"], by=qa["voter"], value=-1)
    assert rep(qa["answerer"]) == 1
    assert reasons(qa["answerer"]) == [("answer.voted_down", 0)]
    assert rep(qa["voter"]) == 1


def test_retracting_an_upvote_writes_a_reversal(qa):
    threads.cast_vote(qa["answer"], by=qa["voter"], value=1)
    threads.cast_vote(qa["answer"], by=qa["voter"], value=0)
    assert reasons(qa["answerer"]) == [("answer.voted_up", 10), ("answer.voted_up.undone", -10)]
    assert rep(qa["answerer"]) == 1


def test_voting_again_after_a_retraction_pays_again(qa):
    for value in (1, 0, 1):
        threads.cast_vote(qa["answer"], by=qa["voter"], value=value)
    assert rep(qa["answerer"]) == 11
    keys = db.session.execute(sa.select(ReputationEvent.source_key).where(
        ReputationEvent.reason == "answer.voted_up")).scalars().all()
    assert len(set(keys)) == 2


def test_changing_up_to_down_reverses_then_penalises(qa):
    threads.cast_vote(qa["answer"], by=qa["other"], value=1)
    threads.cast_vote(qa["answer"], by=qa["voter"], value=1)
    threads.cast_vote(qa["answer"], by=qa["voter"], value=-1)
    assert reasons(qa["answerer"])[-2:] == [("answer.voted_up.undone", -10), ("answer.voted_down", -2)]
    assert rep(qa["answerer"]) == 9
    # The voter had nothing to pay with: the floor keeps them at 1.
    assert rep(qa["voter"]) == 1


def test_changing_down_to_up_refunds_the_voter_and_the_author(qa):
    threads.cast_vote(qa["answer"], by=qa["other"], value=1)
    threads.cast_vote(qa["question"], by=qa["answerer"], value=1)  # asker 11
    threads.cast_vote(qa["answer"], by=qa["asker"], value=-1)
    threads.cast_vote(qa["answer"], by=qa["asker"], value=1)
    assert rep(qa["asker"]) == 11
    assert ("vote.cast_down.undone", 1) in reasons(qa["asker"])
    assert rep(qa["answerer"]) == 21


def test_accepting_pays_the_answerer_fifteen_and_the_asker_two(qa):
    threads.accept_answer(qa["answer"], by=qa["asker"])
    assert reasons(qa["answerer"]) == [("answer.accepted", 15)]
    assert reasons(qa["asker"]) == [("accept.given", 2)]


def test_unaccepting_reverses_both(qa):
    threads.accept_answer(qa["answer"], by=qa["asker"])
    threads.unaccept_answer(qa["thread"], by=qa["asker"])
    assert rep(qa["answerer"]) == 1 and rep(qa["asker"]) == 1
    assert reasons(qa["answerer"])[-1] == ("answer.accepted.undone", -15)
    assert reasons(qa["asker"])[-1] == ("accept.given.undone", -2)


def test_switching_the_accepted_answer_moves_the_fifteen(qa):
    second = f.answer(qa["thread"], qa["other"])
    threads.accept_answer(qa["answer"], by=qa["asker"])
    threads.accept_answer(second, by=qa["asker"])
    assert rep(qa["answerer"]) == 1
    assert rep(qa["other"]) == 16
    assert rep(qa["asker"]) == 3


def test_accepting_your_own_answer_earns_nothing(qa):
    own = f.answer(qa["thread"], qa["asker"])
    threads.accept_answer(own, by=qa["asker"])
    assert reasons(qa["asker"]) == []


def test_a_moderator_accepting_pays_the_answerer_but_not_the_asker(qa):
    mod = f.staff("mod")
    threads.accept_answer(qa["answer"], by=mod)
    assert rep(qa["answerer"]) == 16 and rep(qa["asker"]) == 1


def test_deleting_an_answer_gives_back_its_votes_and_acceptance(qa):
    threads.cast_vote(qa["answer"], by=qa["voter"], value=1)
    threads.cast_vote(qa["question"], by=qa["answerer"], value=1)
    threads.cast_vote(qa["answer"], by=qa["asker"], value=-1)
    threads.accept_answer(qa["answer"], by=qa["asker"])
    threads.delete_post(qa["answer"], by=qa["answerer"])
    assert rep(qa["answerer"]) == 1
    # The downvoter's cost is refunded; the asker keeps the question's upvote.
    assert rep(qa["asker"]) == 11
    assert {r for r, _ in reasons(qa["answerer"])} >= {"post.deleted", "answer.accepted.undone"}
    # Retracting a vote on the deleted post reverses nothing twice.
    threads.cast_vote(db.session.get(type(qa["answer"]), qa["answer"].id), by=qa["voter"], value=0)
    assert rep(qa["answerer"]) == 1


def test_replaying_a_vote_event_pays_once(qa):
    threads.cast_vote(qa["answer"], by=qa["voter"], value=1)
    a = qa["answer"]
    from forum.db import write_transaction
    with write_transaction():
        events.emit(events.VoteCast(post_id=a.id, thread_id=a.thread_id, post_author_id=a.author_id,
                                    voter_id=qa["voter"].id, is_question=False, old=0, new=1, vote_id=None))
    assert rep(qa["answerer"]) == 11


def test_the_same_source_key_cannot_be_written_twice(qa):
    threads.cast_vote(qa["answer"], by=qa["voter"], value=1)
    row = db.session.execute(sa.select(ReputationEvent)).scalars().one()
    from forum.db import write_transaction
    with pytest.raises(Conflict):
        with write_transaction():
            db.session.add(ReputationEvent(user_id=row.user_id, reason=row.reason, source_key=row.source_key,
                                           delta=10, nominal=10))
