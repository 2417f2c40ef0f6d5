"""A small community with a reputation history, built through the real services."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from forum.db import utcnow
from forum.extensions import db
from forum.threads import services as threads
from reputation.models import ReputationEvent
from tests import factories as f


def build() -> SimpleNamespace:
    """Alice asks in Billing, Bob answers; Carol and Dave vote Bob up, Alice accepts.
    Carol asks in Accounts, Dave answers, Bob votes Dave up.

    Bob: 1 + 10 + 10 + 15 = 36. Dave: 1 + 10 = 11. Alice: 1 + 2 = 3.
    """
    alice, bob, carol, dave = (f.user(name) for name in ("alice", "bob", "carol", "dave"))
    billing, accounts = f.category("Billing"), f.category("Accounts")
    invoices = f.thread(alice, title="Invoice shows the wrong currency", tags=["invoices"], category_obj=billing)
    fix = f.answer(invoices, bob, body="Change the currency under Settings, then Billing.")
    threads.cast_vote(fix, by=carol, value=1)
    threads.cast_vote(fix, by=dave, value=1)
    threads.accept_answer(fix, by=alice)
    login = f.thread(carol, title="Password reset mail never arrives", tags=["login"], category_obj=accounts)
    reset = f.answer(login, dave, body="Check the spam folder, then ask support to resend.")
    threads.cast_vote(reset, by=bob, value=1)
    return SimpleNamespace(alice=alice, bob=bob, carol=carol, dave=dave, billing=billing, accounts=accounts,
                           invoices=invoices, fix=fix, login=login, reset=reset)


def move(user, when: datetime) -> None:
    """Pretend every ledger row of ``user`` was written at ``when``."""
    db.session.execute(sa.update(ReputationEvent).where(ReputationEvent.user_id == user.id)
                       .values(created_at=when))
    db.session.commit()


def days_ago(n: float) -> datetime:
    return utcnow() - timedelta(days=n)
