"""Moderators hear when the review queue grows too long or too old: once per crossing."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.db import clock_at, utcnow
from forum.extensions import db
from forum.jobs import Job, worker
from forum.models import Role
from forum.notifications import text
from forum.notifications.models import Notification
from moderation import alerts
from moderation import services as moderation
from moderation.models import ReviewItem
from tests import factories as f

H = timedelta(hours=1)


@pytest.fixture
def qctx(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0, MODERATION_ALERT_QUEUE_SIZE=3,
                   MODERATION_ALERT_AGE_HOURS=12)
    with app.app_context():
        yield app


@pytest.fixture
def staff():
    return {"mod": f.user("mia", role=Role.MODERATOR), "admin": f.user("ada", role=Role.ADMIN),
            "member": f.user("bob")}


def alerts_for(user, kind: str | None = None) -> list[Notification]:
    rows = db.session.execute(sa.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == "queue")
                              .order_by(Notification.id)).scalars()
    return [n for n in rows if kind is None or n.data.get("alert") == kind]


def queue_posts(n: int) -> list[ReviewItem]:
    thread = f.thread(f.user())
    return [moderation.queue_post(f.answer(thread), reason="Spam check: test") for _ in range(n)]


def run_check(at=None) -> int:
    with clock_at(at or utcnow()):
        told = alerts.check()
        db.session.commit()
    return told


def test_the_size_alert_rings_once_per_crossing(qctx, staff):
    items = queue_posts(2)
    assert run_check() == 0
    items += queue_posts(1)
    run_check()
    for who in ("mod", "admin"):
        (n,) = alerts_for(staff[who], "size")
        assert n.data["count"] == 3 and text.link(n) == "/review" and "3 items" in text.describe(n)
    assert alerts_for(staff["member"]) == []
    # Still over, and growing: no second alert.
    items += queue_posts(2)
    assert run_check() == 0
    # Back under the threshold re-arms it; crossing again rings again.
    for item in items[:3]:
        moderation.perform(item, "approve", by=staff["mod"])
    assert run_check() == 0
    queue_posts(1)
    run_check()
    assert [n.data["count"] for n in alerts_for(staff["mod"], "size")] == [3, 3]


def test_the_age_alert_rings_when_the_oldest_item_has_waited_too_long(qctx, staff):
    (item,) = queue_posts(1)
    created = item.created_at
    assert run_check(created + 11 * H) == 0
    run_check(created + 13 * H)
    (n,) = alerts_for(staff["mod"], "age")
    assert n.data["hours"] == 13 and "waited 13 hours" in text.describe(n)
    assert run_check(created + 20 * H) == 0
    moderation.perform(item, "reject", by=staff["admin"], reason="spam")
    assert run_check(created + 21 * H) == 0
    (fresh,) = queue_posts(1)
    assert run_check(fresh.created_at + 1 * H) == 0
    run_check(fresh.created_at + 12 * H)
    assert len(alerts_for(staff["mod"], "age")) == 2
    assert alerts_for(staff["mod"], "size") == []


def test_a_threshold_of_zero_turns_its_alert_off(make_app):
    app = make_app(MAIL_BACKEND="locmem", MODERATION_ALERT_QUEUE_SIZE=0, MODERATION_ALERT_AGE_HOURS=0)
    with app.app_context():
        mod = f.user("mia", role=Role.MODERATOR)
        (item,) = queue_posts(1)
        assert run_check(item.created_at + 100 * H) == 0 and alerts_for(mod) == []


def test_the_worker_runs_the_check_periodically_and_mails_the_moderators(qctx, staff):
    from forum.notifications import mail

    from forum import jobs

    assert jobs.periodic_kinds(qctx)[alerts.JOB] == alerts.CHECK_SECONDS
    queue_posts(3)
    worker.schedule_periodic(qctx, {})
    assert db.session.execute(sa.select(sa.func.count()).select_from(Job).where(Job.kind == alerts.JOB)).scalar() == 1
    worker.drain()
    assert len(alerts_for(staff["mod"])) == 1
    told = [m for m in mail.outbox() if "review queue" in m.body]
    assert sorted(m.to[0] for m in told) == ["ada@example.com", "mia@example.com"]
    assert all("/review" in m.body for m in told)
    # A second run tells nobody again.
    worker.schedule_periodic(qctx, {})
    worker.drain()
    assert len(alerts_for(staff["mod"])) == 1
