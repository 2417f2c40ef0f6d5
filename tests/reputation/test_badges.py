"""Badges are awarded once, in the transaction of the fact that earned them."""
from __future__ import annotations

import sqlalchemy as sa

from forum.extensions import db
from forum.threads import services as threads
from reputation import badges
from reputation.models import BadgeAward
from tests import factories as f


def _badges(user) -> list[tuple[str, str]]:
    return sorted(tuple(r) for r in db.session.execute(
        sa.select(BadgeAward.badge, BadgeAward.scope).where(BadgeAward.user_id == user.id)).all())


def test_first_answer_is_awarded_once(qa):
    f.answer(qa["thread"], qa["answerer"], body="A second answer from the same person.")
    assert _badges(qa["answerer"]) == [("first_answer", "")]


def test_an_accept_awards_solver_and_scholar_once(qa):
    second = f.answer(qa["thread"], qa["other"])
    threads.accept_answer(qa["answer"], by=qa["asker"])
    threads.unaccept_answer(qa["thread"], by=qa["asker"])
    threads.accept_answer(qa["answer"], by=qa["asker"])
    threads.accept_answer(second, by=qa["asker"])
    assert ("first_accepted", "") in _badges(qa["answerer"])
    assert ("first_accepted", "") in _badges(qa["other"])
    assert _badges(qa["asker"]) == [("first_solved_question", "")]


def test_accepting_your_own_answer_earns_no_badge(qa):
    own = f.answer(qa["thread"], qa["asker"])
    threads.accept_answer(own, by=qa["asker"])
    assert ("first_accepted", "") not in _badges(qa["asker"])
    assert ("first_solved_question", "") not in _badges(qa["asker"])


def test_ten_accepted_answers_earn_problem_solver(ctx):
    answerer = f.user("answerer")
    for i in range(10):
        thread = f.thread()
        threads.accept_answer(f.answer(thread, answerer), by=thread.author)
        assert (("accepted_10", "") in _badges(answerer)) is (i == 9)


def test_an_answer_scoring_ten_earns_good_answer_per_post(qa):
    for i in range(10):
        threads.cast_vote(qa["answer"], by=f.user(f"fan{i}"), value=1)
    assert ("good_answer", f"post:{qa['answer'].id}") in _badges(qa["answerer"])
    threads.cast_vote(qa["answer"], by=f.user("fan10"), value=1)
    assert len(_badges(qa["answerer"])) == 2  # first_answer + one good_answer


def test_every_badge_is_defined_with_a_level():
    assert {"first_answer", "first_accepted", "accepted_10", "accepted_50", "good_answer",
            "first_solved_question", "helpful_flagger", "kb_promoted"} == set(badges.BADGES)
    assert {b.level for b in badges.BADGES.values()} <= {"bronze", "silver", "gold"}
