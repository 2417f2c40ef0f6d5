"""The admin jobs page and replay."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum import jobs
from forum.db import write_transaction
from forum.extensions import db
from forum.jobs import Job, JobStatus, enqueue, worker
from forum.models import Role
from tests import factories as f
from tests.conftest import AuthActions, csrf_token

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _fail(payload):
    raise ConnectionError(f"help desk unreachable <{payload['n']}>")


@pytest.fixture
def jobs_state(app):
    """One failed job, one done, one pending retry; returns their ids."""
    app.config["JOB_MAX_ATTEMPTS"] = 1
    jobs.handler(app, "webhook.deliver", _fail)
    jobs.handler(app, "search.index", lambda payload: None)
    with app.app_context():
        with write_transaction():
            made = [enqueue("webhook.deliver", {"n": 1}), enqueue("search.index", {"n": 2})]
        assert worker.drain() == 2
        with write_transaction():
            retry = enqueue("webhook.deliver", {"n": 3})
            retry.max_attempts = 5
        assert worker.drain() == 1
        ids = {"failed": made[0].id, "done": made[1].id, "retrying": retry.id}
    return ids


@pytest.fixture
def admin(app):
    with app.app_context():
        return f.user("ada", role=Role.ADMIN)


def _status(app, job_id):
    with app.app_context():
        return db.session.get(Job, job_id)


def test_admin_sees_counts_and_failed_jobs_first_with_their_error(app, client, auth, admin, jobs_state):
    auth.login_as(admin)
    response = client.get("/admin/jobs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # One of each status; the failed section comes before the others.
    assert "<dt>Failed</dt><dd>1</dd>" in html
    assert "<dt>Pending</dt><dd>1</dd>" in html
    assert "<dt>Running</dt><dd>0</dd>" in html
    assert "<dt>Done</dt><dd>1</dd>" in html
    assert html.index('id="failed-jobs"') < html.index('id="waiting-jobs"') < html.index('id="done-jobs"')
    failed_section = html[html.index('id="failed-jobs"'):html.index('id="waiting-jobs"')]
    assert f'id="job-{jobs_state["failed"]}"' in failed_section
    # The error is shown, escaped like any other text.
    assert "ConnectionError: help desk unreachable &lt;1&gt;" in failed_section
    assert "<1>" not in html
    assert f'action="/admin/jobs/{jobs_state["failed"]}/replay"' in failed_section
    assert f'/admin/jobs/{jobs_state["retrying"]}/replay' not in html, "only failed jobs offer replay"
    assert 'class="data-table"' in html and 'class="button button-sm"' in html


def test_the_page_shows_an_empty_state_without_jobs(app, client, auth, admin):
    auth.login_as(admin)
    html = client.get("/admin/jobs").get_data(as_text=True)
    assert "No failed jobs." in html and "Nothing waiting." in html
    assert "<dt>Failed</dt><dd>0</dd>" in html


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MODERATOR, Role.STAFF])
def test_only_admins_may_see_or_replay_jobs(app, client, auth, jobs_state, role):
    with app.app_context():
        person = f.user("someone", role=role)
    auth.login_as(person)
    assert client.get("/admin/jobs").status_code == 403
    assert client.post(f"/admin/jobs/{jobs_state['failed']}/replay").status_code == 403
    assert _status(app, jobs_state["failed"]).status == JobStatus.FAILED


def test_anonymous_visitors_are_sent_to_log_in(client, jobs_state):
    response = client.get("/admin/jobs")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    response = client.post(f"/admin/jobs/{jobs_state['failed']}/replay")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _status(app=client.application, job_id=jobs_state["failed"]).status == JobStatus.FAILED


def test_replay_queues_a_failed_job_again(app, client, auth, admin, jobs_state):
    auth.login_as(admin)
    response = client.post(f"/admin/jobs/{jobs_state['failed']}/replay")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/jobs"
    job = _status(app, jobs_state["failed"])
    assert job.status == JobStatus.PENDING and job.attempts == 0 and job.finished_at is None
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "is queued again" in page
    assert "<dt>Failed</dt><dd>0</dd>" in page

    jobs.handler(app, "webhook.deliver", lambda payload: None)
    with app.app_context():
        assert worker.drain() == 1
    assert _status(app, jobs_state["failed"]).status == JobStatus.DONE


@pytest.mark.parametrize("which", ["done", "retrying"])
def test_replay_leaves_jobs_that_have_not_failed_alone(app, client, auth, admin, jobs_state, which):
    auth.login_as(admin)
    before = _status(app, jobs_state[which])
    response = client.post(f"/admin/jobs/{jobs_state[which]}/replay", follow_redirects=True)
    assert response.status_code == 200
    assert "only failed jobs can be replayed" in response.get_data(as_text=True)
    after = _status(app, jobs_state[which])
    assert (after.status, after.attempts, after.run_at) == (before.status, before.attempts, before.run_at)


def test_replaying_an_unknown_job_is_404(client, auth, admin):
    auth.login_as(admin)
    assert client.post("/admin/jobs/424242/replay").status_code == 404
    assert client.get("/admin/jobs/1/replay").status_code == 405


def test_replay_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, JOB_MAX_ATTEMPTS=1)
    jobs.handler(app, "webhook.deliver", _fail)
    with app.app_context():
        admin = f.user("ada", role=Role.ADMIN)
        with write_transaction():
            job = enqueue("webhook.deliver", {"n": 1})
        worker.drain()
        job_id = job.id
    client = app.test_client()
    AuthActions(client).login_as(admin)
    assert client.post(f"/admin/jobs/{job_id}/replay").status_code == 400
    assert _status(app, job_id).status == JobStatus.FAILED

    token = csrf_token(client.get("/admin/jobs").get_data(as_text=True))
    assert client.post(f"/admin/jobs/{job_id}/replay", data={"csrf_token": token}).status_code == 302
    assert _status(app, job_id).status == JobStatus.PENDING


def test_the_jobs_link_is_in_the_menu_for_admins_only(app, client, auth, admin):
    with app.app_context():
        member = f.user("mel")
    auth.login_as(member)
    assert 'href="/admin/jobs"' not in client.get("/").get_data(as_text=True)
    auth.login_as(admin)
    assert 'href="/admin/jobs"' in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one() == 0
