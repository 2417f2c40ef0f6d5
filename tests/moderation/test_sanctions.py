"""Suspensions and silences set directly by a moderator, outside the queue."""
from __future__ import annotations

from datetime import timedelta

import pytest

from forum.db import Conflict, utcnow
from forum.errors import Forbidden, Invalid
from forum.permissions import can
from moderation import services
from moderation.sanctions import FOREVER
from tests import factories as f

from .helpers import audit_rows, moderator


@pytest.mark.parametrize(("duration", "length"), [
    ("24h", timedelta(hours=24)), ("72h", timedelta(hours=72)), ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
])
def test_a_suspension_lasts_its_step_and_is_audited_with_its_reason(ctx, duration, length):
    mod, member = moderator(), f.user()
    before = utcnow()
    services.suspend_user(member, by=mod, duration=duration, reason="Abusive replies")
    assert before + length <= member.suspended_until <= utcnow() + length
    assert member.suspension_reason == "Abusive replies"
    assert not can(member, "thread.create")
    (row,) = audit_rows("suspend")
    assert (row.actor_id, row.target_id, row.reason) == (mod.id, member.id, "Abusive replies")


def test_permanent_means_forever_and_unsuspending_lifts_it(ctx):
    mod, member = moderator(), f.user()
    services.suspend_user(member, by=mod, duration="permanent", reason="Spam account")
    assert member.suspended_until == FOREVER
    services.unsuspend_user(member, by=mod, reason="Appeal accepted")
    assert not member.is_suspended and member.suspension_reason == ""
    with pytest.raises(Conflict):
        services.unsuspend_user(member, by=mod)
    assert [r.action for r in audit_rows()] == ["suspend", "unsuspend"]


def test_a_silenced_user_can_read_but_not_post(ctx):
    mod, member = moderator(), f.user()
    thread = f.thread()
    services.silence_user(member, by=mod, duration="24h", reason="Cool off")
    assert can(member, "thread.read", thread)
    assert not can(member, "thread.answer", thread)
    services.unsilence_user(member, by=mod)
    assert can(member, "thread.answer", thread)


def test_sanctions_need_a_reason_a_known_step_and_the_right_rank(ctx):
    mod, member = moderator(), f.user()
    with pytest.raises(Invalid):
        services.suspend_user(member, by=mod, duration="24h", reason=" ")
    with pytest.raises(Invalid):
        services.suspend_user(member, by=mod, duration="1y", reason="x")
    with pytest.raises(Forbidden):
        services.suspend_user(mod, by=member, duration="24h", reason="x")
    assert audit_rows() == []
