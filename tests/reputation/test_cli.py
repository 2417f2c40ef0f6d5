"""``flask reputation check | rebuild | serial-votes``."""
from __future__ import annotations

import sqlalchemy as sa

from forum.extensions import db
from forum.models import User
from forum.threads import services as threads
from reputation.models import ReputationEvent
from tests import factories as f


def _setup(app):
    with app.app_context():
        author, voter = f.user("author"), f.user("voter")
        answer = f.answer(f.thread(), author)
        threads.cast_vote(answer, by=voter, value=1)
        return author.id, voter.id


def test_check_passes_when_every_cache_matches(app, runner):
    _setup(app)
    result = runner.invoke(args=["reputation", "check"])
    assert result.exit_code == 0 and "matches" in result.output


def test_check_lists_drift_and_rebuild_repairs_it(app, runner):
    author_id, _ = _setup(app)
    with app.app_context():
        db.session.execute(sa.update(User).where(User.id == author_id).values(reputation=500))
        db.session.commit()
    result = runner.invoke(args=["reputation", "check"])
    assert result.exit_code == 1
    assert "author" in result.output and "cached 500, ledger 11" in result.output

    result = runner.invoke(args=["reputation", "rebuild"])
    assert result.exit_code == 0 and "500 -> 11" in result.output and "1 user(s) changed" in result.output
    with app.app_context():
        assert db.session.get(User, author_id).reputation == 11
    assert runner.invoke(args=["reputation", "check"]).exit_code == 0


def _serial(app, votes=6):
    with app.app_context():
        author, fan, fair = f.user("author"), f.user("fan"), f.user("fair")
        thread = f.thread()
        answers = [f.answer(thread, author, body=f"Answer {i} that is long enough.") for i in range(votes)]
        for answer in answers:
            threads.cast_vote(answer, by=fan, value=1)
        threads.cast_vote(answers[0], by=fair, value=1)
        return author.id, fan.id, answers[0].id


def test_serial_votes_reports_without_apply(app, runner):
    author_id, _, _ = _serial(app)
    result = runner.invoke(args=["reputation", "serial-votes", "--min-votes", "5"])
    assert result.exit_code == 0
    assert "fan -> author: 6 upvotes" in result.output and "--apply" in result.output
    assert "fair" not in result.output
    with app.app_context():
        assert db.session.get(User, author_id).reputation == 71


def test_serial_votes_apply_reverses_the_reputation_but_keeps_the_votes(app, runner):
    author_id, fan_id, first_id = _serial(app)
    result = runner.invoke(args=["reputation", "serial-votes", "--apply"])
    assert result.exit_code == 0 and "Reversed 6 award(s), 60 reputation" in result.output
    with app.app_context():
        assert db.session.get(User, author_id).reputation == 11
        reversed_ = db.session.execute(sa.select(sa.func.count()).where(
            ReputationEvent.reason == "serial_voting.reversed")).scalar_one()
        assert reversed_ == 6
        # A later retraction reverses nothing twice.
        from forum.models import Post
        threads.cast_vote(db.session.get(Post, first_id), by=db.session.get(User, fan_id), value=0)
        assert db.session.get(User, author_id).reputation == 11
    assert runner.invoke(args=["reputation", "serial-votes"]).output.startswith("No serial voting")
    assert runner.invoke(args=["reputation", "check"]).exit_code == 0


def test_serial_votes_rejects_bad_options(runner):
    assert runner.invoke(args=["reputation", "serial-votes", "--min-votes", "1"]).exit_code == 2
    assert runner.invoke(args=["reputation", "serial-votes", "--hours", "0"]).exit_code == 2
