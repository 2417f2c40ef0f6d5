"""``flask --app wsgi seed-demo``: a believable community, built once, through the services."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from forum import ROOT, demo
from forum.accounts import services as accounts
from forum.db import aware, utcnow
from forum.extensions import db
from forum.kb.models import Article, ArticleStatus
from forum.models import Post, PostRevision, Role, Thread, ThreadStatus, User, Vote
from tests import factories as f


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    # Sixteen production-strength Argon2 hashes cost seconds and prove nothing here.
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


@pytest.fixture
def app(make_app):
    """The demo runs under the real privilege thresholds and review rules."""
    return make_app(PRIVILEGES={}, NEW_USER_REVIEW_POSTS=2)


def test_every_demo_post_is_visible_and_the_review_rules_are_restored(app, runner):
    from forum.models import PostState

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        assert _count(sa.select(Post).where(Post.state != PostState.VISIBLE)) == 0
        assert app.config["NEW_USER_REVIEW_POSTS"] == 2
        assert app.config["SPAM_SCORE_THRESHOLD"] == 3


def _count(stmt) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()


def test_seed_demo_builds_a_lively_community_with_demo_accounts(app, runner):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo community created" in result.output

    with app.app_context():
        threads = db.session.execute(sa.select(Thread)).scalars().all()
        assert len(threads) >= 30
        assert len({t.category_id for t in threads}) >= 4
        answered = [t for t in threads if t.answer_count > 0]
        solved = [t for t in threads if t.accepted_post_id is not None]
        assert len(answered) < len(threads), "some questions should still wait for an answer"
        assert len(threads) // 3 <= len(solved) <= len(answered)
        assert all(t.status == ThreadStatus.SOLVED for t in solved)
        assert _count(sa.select(Post).where(Post.is_question.is_(False))) >= 30
        assert _count(sa.select(Vote)) >= 60
        assert _count(sa.select(Vote).where(Vote.value == -1)) >= 1
        assert _count(sa.select(PostRevision).where(PostRevision.number > 1)) >= 3
        assert _count(sa.select(Thread.id).join(Thread.tags).group_by(Thread.id)) == len(threads)
        # Staff promoted some accepted answers into published articles that credit the answerer.
        articles = db.session.execute(sa.select(Article)).scalars().all()
        assert len(articles) >= 3 and all(a.status == ArticleStatus.PUBLISHED for a in articles)
        for article in articles:
            source = db.session.get(Post, article.source_post_id)
            assert source.thread.accepted_post_id == source.id and article.credited_user_id == source.author_id

        roles = {u.username: u.role for u in db.session.execute(sa.select(User)).scalars()}
        assert len(roles) >= 12
        assert {Role.ADMIN, Role.STAFF, Role.MODERATOR} <= set(roles.values())
        # The accounts the README lists open with the demo password.
        for username in ("demo-admin", "demo-staff", "demo-mod", "emma.johansson"):
            assert accounts.authenticate(username, demo.DEMO_PASSWORD) is not None, username


def test_demo_history_is_spread_over_past_weeks_in_order(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    now = utcnow()
    with app.app_context():
        threads = db.session.execute(sa.select(Thread)).scalars().all()
        created = [t.created_at for t in threads]
        assert max(created) - min(created) > timedelta(days=14)
        assert max(t.last_activity_at for t in threads) <= now
        for thread in threads:
            assert thread.created_at <= thread.last_activity_at
        late = db.session.execute(
            sa.select(sa.func.count()).select_from(Post).join(Thread, Post.thread_id == Thread.id)
            .where(Post.created_at < Thread.created_at)).scalar_one()
        assert late == 0, "an answer is older than its question"
        early_votes = db.session.execute(
            sa.select(sa.func.count()).select_from(Vote).join(Post, Vote.post_id == Post.id)
            .where(Vote.created_at < Post.created_at)).scalar_one()
        assert early_votes == 0
        joined = db.session.execute(
            sa.select(sa.func.count()).select_from(Post).join(User, Post.author_id == User.id)
            .where(Post.created_at < User.created_at)).scalar_one()
        assert joined == 0, "someone posted before they joined"
        assert all(t.created_at > now - timedelta(days=demo.SPAN_DAYS + 1) for t in threads)


def test_if_empty_seeds_once(app, runner):
    first = runner.invoke(args=["seed-demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        threads, users = _count(sa.select(Thread)), _count(sa.select(User))

    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0
    assert "no demo data added" in again.output
    with app.app_context():
        assert (_count(sa.select(Thread)), _count(sa.select(User))) == (threads, users)


def test_seed_demo_refuses_a_database_that_has_accounts(app, runner):
    with app.app_context():
        f.user("alice")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "already has accounts" in result.output
    with app.app_context():
        assert _count(sa.select(Thread)) == 0


def test_readme_lists_every_demo_account_and_the_password():
    readme = (Path(ROOT) / "README.md").read_text(encoding="utf-8")
    content = demo.load_content()
    assert demo.DEMO_PASSWORD in readme
    for person in content["staff"]:
        assert f"`{person['username']}`" in readme, person["username"]


def test_demo_escalations_reached_the_help_desk_and_left_the_worker_nothing_to_send(app, runner):
    from forum.escalation.models import (Attempt, Delivery, Endpoint, Escalation, Message, MessageStatus,
                                         TicketStatus, Trigger)
    from forum.jobs import worker

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    now = utcnow()
    with app.app_context():
        (endpoint,) = db.session.execute(sa.select(Endpoint)).scalars().all()
        assert endpoint.url == demo.HELPDESK_URL and not endpoint.active and not endpoint.allow_private
        escalations = {e.thread.title: e for e in db.session.execute(sa.select(Escalation)).scalars()}
        assert len(escalations) == 3

        solved = escalations["Daylight saving change moved all our recurring one-to-ones by an hour"]
        assert solved.trigger == Trigger.ASKER and solved.delivery == Delivery.DELIVERED
        assert (solved.ticket_id, solved.ticket_status) == ("4127", TicketStatus.SOLVED)
        assert solved.badge == "ticket #4127, solved" and solved.agent == "Hannah (Tier 2)"
        reply = db.session.get(Post, solved.reply_post_id)
        assert reply.author.username == "support" and "re-synced" in reply.body and reply.is_visible
        assert solved.thread.status == ThreadStatus.ESCALATED and solved.thread.accepted_post_id is None

        pending = escalations["Zoom links missing on classes booked from the mobile app"]
        assert pending.trigger == Trigger.STAFF and pending.requested_by.username == "demo-mod" and pending.note
        assert (pending.ticket_id, pending.ticket_status) == ("4133", TicketStatus.PENDING)
        assert pending.ticket_url == "https://helpdesk.example.com/tickets/4133" and pending.reply_post_id is None

        waiting = escalations["Annual plan refund if we cancel after two months?"]
        assert waiting.trigger == Trigger.ASKER and waiting.delivery == Delivery.NO_ENDPOINT
        assert waiting.ticket_id is None and waiting.created_at > endpoint.disabled_at

        for e in escalations.values():
            community = db.session.execute(sa.select(sa.func.max(Post.created_at)).where(
                Post.thread_id == e.thread_id, Post.id != sa.func.coalesce(e.reply_post_id, 0))).scalar_one()
            assert e.thread.created_at < e.created_at <= now
            assert aware(community) < e.created_at, "escalated before the answers it follows"
            if e.ticket_updated_at is not None:
                assert e.delivered_at <= e.ticket_updated_at <= endpoint.disabled_at
        # Each delivery is logged as one successful attempt; nothing is left to send.
        messages = db.session.execute(sa.select(Message)).scalars().all()
        assert len(messages) == 2 and {m.status for m in messages} == {MessageStatus.DELIVERED}
        attempts = db.session.execute(sa.select(Attempt)).scalars().all()
        assert [a.status_code for a in attempts] == [201, 201]
        worker.drain()
        assert len(db.session.execute(sa.select(Attempt)).scalars().all()) == 2


def test_demo_history_sends_no_mail_and_leaves_only_recent_notifications_unread(app, runner):
    from forum.jobs.models import Job, JobStatus
    from forum.notifications.models import Notification

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        notes = db.session.execute(sa.select(Notification)).scalars().all()
        assert notes and all(n.emailed_at is not None for n in notes)
        unread = [n for n in notes if n.read_at is None]
        assert unread and len(unread) < len(notes)
        assert all(utcnow() - aware(n.created_at) < timedelta(days=4) for n in unread)
        left = db.session.execute(sa.select(Job.kind).where(Job.status == JobStatus.PENDING)).scalars().all()
        assert set(left) <= {"search.index"}
