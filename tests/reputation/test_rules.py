"""The rules table, its overrides, the daily cap at its edge and the privilege presets."""
from __future__ import annotations

import pytest

from forum import create_app
from forum.threads import services as threads
from reputation import rules
from tests import factories as f

from .conftest import reasons, rep


def _answers(thread, n):
    return [f.answer(thread, body=f"Answer number {i} with enough text.") for i in range(n)]


def test_rules_can_be_overridden_from_config(make_app):
    app = make_app(REPUTATION_RULES={"answer_voted_up": 5})
    with app.app_context():
        author, voter = f.user("author"), f.user("voter")
        answer = f.answer(f.thread(), author)
        threads.cast_vote(answer, by=voter, value=1)
        assert rep(author) == 6


@pytest.mark.parametrize("bad", [{"answer_votedup": 5}, {"answer_voted_up": "5"}, "answer_voted_up=5"])
def test_bad_rules_stop_the_app(tmp_path, bad):
    with pytest.raises(ValueError):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x",
                    "DATA_DIR": str(tmp_path), "REPUTATION_RULES": bad})


def test_the_daily_cap_at_its_edge(make_app):
    # A cap of 25: 10 + 10 fit, the third upvote pays 5, the fourth nothing.
    app = make_app(REPUTATION_RULES={"daily_vote_cap": 25})
    with app.app_context():
        author = f.user("author")
        thread = f.thread()
        answer = f.answer(thread, author)
        voters = [f.user(f"voter{i}") for i in range(4)]
        for voter in voters:
            threads.cast_vote(answer, by=voter, value=1)
        assert [d for _, d in reasons(author)] == [10, 10, 5, 0]
        assert rep(author) == 26
        # Accepted answers are exempt from the cap.
        threads.accept_answer(answer, by=thread.author)
        assert rep(author) == 41
        # Retracting the partly capped vote frees room the fourth vote now fills
        # (the day is replayed, as Stack Exchange recalculates): nothing moves.
        threads.cast_vote(answer, by=voters[2], value=0)
        assert reasons(author)[-1] == ("answer.voted_up.undone", 0)
        assert rep(author) == 41
        threads.cast_vote(answer, by=voters[3], value=0)
        assert rep(author) == 36


def test_reversing_a_partly_capped_award_takes_back_what_it_paid(make_app):
    app = make_app(REPUTATION_RULES={"daily_vote_cap": 15})
    with app.app_context():
        author = f.user("author")
        answer = f.answer(f.thread(), author)
        first, second = f.user("voter1"), f.user("voter2")
        threads.cast_vote(answer, by=first, value=1)
        threads.cast_vote(answer, by=second, value=1)
        assert rep(author) == 16
        threads.cast_vote(answer, by=second, value=0)
        assert reasons(author)[-1] == ("answer.voted_up.undone", -5)
        assert rep(author) == 11


def test_default_cap_is_two_hundred_a_day(ctx):
    assert rules.rules()["daily_vote_cap"] == 200
    assert rules.rules()["answer_accepted"] == 15


def test_medium_preset_is_the_default_and_overrides_win(make_app):
    app = make_app(PRIVILEGES={})
    assert app.config["PRIVILEGES"] == rules.PRESETS["medium"]
    app = make_app(PRIVILEGE_PRESET="large", PRIVILEGES={"vote_down": 100})
    assert app.config["PRIVILEGES"] == {**rules.PRESETS["large"], "vote_down": 100}


def test_every_preset_names_every_privilege():
    for preset in rules.PRESETS.values():
        assert set(preset) == set(rules.PRIVILEGE_LABELS)
    # Large follows Stack Exchange.
    large = rules.PRESETS["large"]
    assert (large["vote_up"], large["vote_down"], large["edit_others"], large["close_reopen"]) == (15, 125, 2000, 3000)


def test_an_unknown_preset_stops_the_app(tmp_path):
    with pytest.raises(ValueError, match="PRIVILEGE_PRESET"):
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x",
                    "DATA_DIR": str(tmp_path), "PRIVILEGE_PRESET": "huge"})


def test_a_new_account_cannot_vote_up_under_the_medium_preset(make_app):
    from forum.errors import Forbidden
    app = make_app(PRIVILEGES={})
    with app.app_context():
        answer = f.answer(f.thread())
        newcomer = f.user("newcomer")
        with pytest.raises(Forbidden) as info:
            threads.cast_vote(answer, by=newcomer, value=1)
        assert "Vote up needs 8 reputation" in info.value.reason


LINKS = "See https://example.com/a and [b](https://example.com/b) and [c](https://example.com/c) too."


def test_new_users_may_post_two_links_until_they_earn_post_links(make_app):
    from forum.errors import Invalid
    app = make_app(PRIVILEGES={"post_links": 10})
    with app.app_context():
        thread, newcomer = f.thread(), f.user("newcomer")
        with pytest.raises(Invalid) as info:
            f.answer(thread, newcomer, body=LINKS)
        assert "at most 2 links" in info.value.errors["body"]
        assert "needs 10 reputation" in info.value.errors["body"]
        f.answer(thread, newcomer, body="Only [one](https://example.com/one) link here.")
        assert f.answer(thread, f.staff("helper"), body=LINKS)
