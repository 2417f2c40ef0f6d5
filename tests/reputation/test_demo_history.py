"""The demo's reputation history is real history: replayed in time order, so the
ledger agrees with every cache and its rows are dated when things happened."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from forum import demo
from forum.db import utcnow
from forum.extensions import db
from forum.models import User
from reputation.models import ReputationEvent


def test_the_demo_ledger_matches_the_caches_and_spans_the_demo_weeks(make_app, runner):
    app = make_app(PRIVILEGES={})
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        now = utcnow()
        sums = dict(db.session.execute(
            sa.select(ReputationEvent.user_id, sa.func.sum(ReputationEvent.delta)).group_by(ReputationEvent.user_id)
        ).all())
        users = db.session.execute(sa.select(User)).scalars().all()
        assert all(u.reputation == 1 + (sums.get(u.id) or 0) for u in users)
        earners = [u for u in users if u.reputation > 1]
        assert len(earners) >= 10, "most of the community should have earned something"
        stamps = db.session.execute(sa.select(ReputationEvent.created_at)).scalars().all()
        assert max(stamps) <= now
        assert max(stamps) - min(stamps) > timedelta(days=14)
        assert min(stamps) > now - timedelta(days=demo.SPAN_DAYS + 1)
