"""Thread and account actions outside the queue, through the pages and the API:
lock and unlock, close as a duplicate and reopen, suspend and silence and lift them."""
from __future__ import annotations

import html
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.db import utcnow
from forum.extensions import db
from forum.models import Post, Role, Thread, ThreadStatus, User
from forum.threads import services as threads
from moderation.sanctions import FOREVER
from tests import factories as f
from tests.conftest import csrf_token

from .helpers import audit_rows

JSON = {"Accept": "application/json"}
PROBLEM = "application/problem+json"


@pytest.fixture
def world(app):
    with app.app_context():
        mod = f.user("maude", role=Role.MODERATOR)
        asker, member = f.user("asker"), f.user("flora")
        original = f.thread(asker, title="Calendar sync stops after a password change")
        f.answer(original, member, body="Reconnect the calendar under Settings, Integrations.")
        copy = f.thread(member, title="Sync stopped working after I changed my Google password")
        tokens = {u.username: accounts.create_token(u)[1] for u in (mod, member)}
        return SimpleNamespace(mod=mod, member=member, mod_id=mod.id, member_id=member.id, original=original.id,
                               copy=copy.id, tokens=tokens)


def _thread(app, thread_id) -> Thread:
    with app.app_context():
        thread = db.session.get(Thread, thread_id)
        db.session.expunge(thread)
        return thread


def _bearer(world, who):
    return {"Authorization": f"Bearer {world.tokens[who]}"}


# -- Lock and unlock -----------------------------------------------------------------

def test_locking_from_the_thread_page_stops_answers_and_unlocking_restores_them(app, client, auth, world):
    auth.login_as(world.mod)
    page = client.get(f"/t/{world.original}", follow_redirects=True).get_data(as_text=True)
    assert "Lock thread" in page and 'action="/t/%d/moderate"' % world.original in page
    resp = client.post(f"/t/{world.original}/moderate", data={"action": "lock", "reason": "Answered in full"})
    assert resp.status_code == 302
    assert _thread(app, world.original).locked
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Thread locked" in page and "A moderator locked this thread" in page and "Unlock thread" in page

    auth.login_as(world.member)
    page = client.get(f"/t/{world.original}", follow_redirects=True).get_data(as_text=True)
    assert "This thread is locked." in page and "Post your answer" not in page
    refused = client.post(f"/t/{world.original}/answers", data={"body": "One more idea for you all."})
    assert refused.status_code == 403

    auth.login_as(world.mod)
    client.post(f"/t/{world.original}/moderate", data={"action": "unlock"})
    assert not _thread(app, world.original).locked
    with app.app_context():
        lock, unlock = audit_rows("lock") + audit_rows("unlock")
        assert (lock.actor_id, lock.target_type, lock.target_id) == (world.mod_id, "thread", world.original)
        assert lock.reason == "Answered in full"
        assert (lock.before["locked"], lock.after["locked"]) == (False, True)
        assert (unlock.before["locked"], unlock.after["locked"]) == (True, False)


def test_locking_twice_is_a_conflict_that_writes_nothing(app, client, auth, world):
    auth.login_as(world.mod)
    client.post(f"/t/{world.original}/moderate", data={"action": "lock"})
    again = client.post(f"/t/{world.original}/moderate", data={"action": "lock"}, headers=JSON)
    assert again.status_code == 409 and "already locked" in again.get_json()["error"]
    page = client.post(f"/t/{world.original}/moderate", data={"action": "lock"}, follow_redirects=True)
    assert page.status_code == 200 and "already locked" in page.get_data(as_text=True)
    with app.app_context():
        assert len(audit_rows("lock")) == 1


def test_lock_and_unlock_through_the_api(app, client, world):
    url = f"/api/v1/threads/{world.original}/moderation"
    resp = client.post(url, json={"action": "lock", "reason": "Heated"}, headers=_bearer(world, "maude"))
    assert resp.status_code == 200 and resp.get_json()["locked"] is True
    assert client.post(url, json={"action": "lock"}, headers=_bearer(world, "maude")).status_code == 409
    resp = client.post(url, json={"action": "unlock"}, headers=_bearer(world, "maude"))
    assert resp.status_code == 200 and resp.get_json()["locked"] is False
    refused = client.post(url, json={"action": "lock"}, headers=_bearer(world, "flora"))
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert not _thread(app, world.original).locked


# -- Close as duplicate and reopen ---------------------------------------------------

def test_closing_as_duplicate_links_the_original_and_refuses_answers(app, client, auth, world):
    auth.login_as(world.mod)
    resp = client.post(f"/t/{world.copy}/moderate", data={
        "action": "close_duplicate", "duplicate": f"http://localhost/t/{world.original}/calendar-sync",
        "reason": "Same question"})
    assert resp.status_code == 302
    thread = _thread(app, world.copy)
    assert (thread.status, thread.duplicate_of_id) == (ThreadStatus.CLOSED, world.original)

    auth.login_as(world.member)
    page = client.get(f"/t/{world.copy}", follow_redirects=True).get_data(as_text=True)
    assert "Closed as a duplicate." in page
    assert f'href="/t/{world.original}/calendar-sync-stops-after-a-password-change"' in page
    assert "This thread is closed" in page and "Post your answer" not in page
    assert client.post(f"/t/{world.copy}/answers", data={"body": "Try reconnecting it."}).status_code == 403
    with app.app_context():
        (row,) = audit_rows("close_duplicate")
        assert row.after == {"locked": False, "status": "closed", "duplicate_of_id": world.original}
        assert row.before["status"] == "open" and row.reason == "Same question"


def test_reopening_clears_the_duplicate_link(app, client, auth, world):
    auth.login_as(world.mod)
    client.post(f"/t/{world.copy}/moderate", data={"action": "close_duplicate", "duplicate": str(world.original)})
    page = client.get(f"/t/{world.copy}", follow_redirects=True).get_data(as_text=True)
    assert "Reopen thread" in page
    resp = client.post(f"/t/{world.copy}/moderate", data={"action": "reopen"}, headers=JSON)
    assert resp.status_code == 200 and resp.get_json()["message"] == "Thread reopened."
    thread = _thread(app, world.copy)
    assert (thread.status, thread.duplicate_of_id) == (ThreadStatus.OPEN, None)
    page = client.get(f"/t/{world.copy}", follow_redirects=True).get_data(as_text=True)
    assert "Closed as a duplicate" not in page and "Close as duplicate" in page
    again = client.post(f"/t/{world.copy}/moderate", data={"action": "reopen"}, headers=JSON)
    assert again.status_code == 409


@pytest.mark.parametrize(("duplicate", "message"), [
    ("", "Paste the link (or the number) of the thread this one duplicates."),
    ("not a link", "Paste the link (or the number) of the thread this one duplicates."),
    ("999999", "Paste the link (or the number) of the thread this one duplicates."),
    ("self", "A thread can't duplicate itself."),
])
def test_a_bad_duplicate_reference_is_explained_and_changes_nothing(app, client, auth, world, duplicate, message):
    auth.login_as(world.mod)
    ref = str(world.copy) if duplicate == "self" else duplicate
    page = client.post(f"/t/{world.copy}/moderate", data={"action": "close_duplicate", "duplicate": ref},
                       follow_redirects=True)
    assert page.status_code == 200 and message in html.unescape(page.get_data(as_text=True))
    assert _thread(app, world.copy).status == ThreadStatus.OPEN
    with app.app_context():
        assert audit_rows("close_duplicate") == []


def test_close_and_reopen_through_the_api(app, client, world):
    url = f"/api/v1/threads/{world.copy}/moderation"
    missing = client.post(url, json={"action": "close_duplicate"}, headers=_bearer(world, "maude"))
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "duplicate_of"
    unknown = client.post(url, json={"action": "merge"}, headers=_bearer(world, "maude"))
    assert unknown.status_code == 422 and unknown.mimetype == PROBLEM
    closed = client.post(url, json={"action": "close_duplicate", "duplicate_of": world.original},
                         headers=_bearer(world, "maude"))
    assert closed.status_code == 200
    assert (closed.get_json()["status"], closed.get_json()["duplicate_of_id"]) == ("closed", world.original)
    shown = client.get(f"/api/v1/threads/{world.copy}").get_json()
    assert shown["duplicate_of_id"] == world.original
    reopened = client.post(url, json={"action": "reopen"}, headers=_bearer(world, "maude"))
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "open"
    assert client.post("/api/v1/threads/999999/moderation", json={"action": "lock"},
                       headers=_bearer(world, "maude")).status_code == 404


def test_a_reopened_thread_with_an_accepted_answer_is_solved_again(app, client, world):
    with app.app_context():
        thread = db.session.get(Thread, world.original)
        answer = db.session.execute(sa.select(Post).where(Post.thread_id == thread.id, ~Post.is_question)).scalar_one()
        threads.accept_answer(answer, by=db.session.get(User, thread.author_id))
    url = f"/api/v1/threads/{world.original}/moderation"
    client.post(url, json={"action": "close_duplicate", "duplicate_of": world.copy}, headers=_bearer(world, "maude"))
    reopened = client.post(url, json={"action": "reopen"}, headers=_bearer(world, "maude")).get_json()
    assert reopened["status"] == "solved" and reopened["duplicate_of_id"] is None


# -- Suspend, silence, lift ----------------------------------------------------------

@pytest.mark.parametrize(("duration", "length"), [
    ("24h", timedelta(hours=24)), ("72h", timedelta(hours=72)), ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)), ("permanent", None),
])
def test_suspending_from_the_user_page_for_each_step(app, client, auth, world, duration, length):
    auth.login_as(world.mod)
    page = client.get("/u/flora/moderate").get_data(as_text=True)
    assert "Suspend or silence" in page and "In good standing" in page
    before = utcnow()
    resp = client.post("/u/flora/moderate", data={"action": "suspend", "duration": duration,
                                                  "reason": "Insults in three threads"})
    assert resp.status_code == 302
    with app.app_context():
        user = db.session.get(User, world.member_id)
        if length is None:
            assert user.suspended_until == FOREVER
        else:
            assert before + length <= user.suspended_until <= utcnow() + length
        (row,) = audit_rows("suspend")
        assert (row.actor_id, row.target_id, row.reason) == (world.mod_id, world.member_id, "Insults in three threads")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Suspended" in page and "Insults in three threads" in page and "Lift the suspension" in page

    # The suspended person sees why and until when.
    auth.login_as(world.member)
    page = client.get("/ask").get_data(as_text=True)
    assert "Your account is suspended" in page and "Insults in three threads" in page
    assert ("permanently" in page) == (length is None)


def test_silencing_then_lifting_from_the_user_page(app, client, auth, world):
    auth.login_as(world.mod)
    client.post("/u/flora/moderate", data={"action": "silence", "duration": "72h", "reason": "Cool off"})
    auth.login_as(world.member)
    refused = client.post(f"/t/{world.original}/answers", data={"body": "Still here, still talking."})
    assert refused.status_code == 403
    assert client.get(f"/t/{world.original}", follow_redirects=True).status_code == 200
    auth.login_as(world.mod)
    client.post("/u/flora/moderate", data={"action": "unsilence", "reason": "Apologised"})
    with app.app_context():
        assert not db.session.get(User, world.member_id).is_silenced
        assert [r.action for r in audit_rows()] == ["silence", "unsilence"]
        assert audit_rows("unsilence")[0].reason == "Apologised"


def test_a_rejected_sanction_keeps_what_was_typed(app, client, auth, world):
    auth.login_as(world.mod)
    resp = client.post("/u/flora/moderate", data={"action": "silence", "duration": "1y", "reason": "Too loud"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Pick a duration" in page and 'value="Too loud"' in page
    assert 'value="silence" checked' in page
    no_reason = client.post("/u/flora/moderate", data={"action": "suspend", "duration": "24h", "reason": " "})
    assert no_reason.status_code == 422 and "Say why" in no_reason.get_data(as_text=True)
    lifting = client.post("/u/flora/moderate", data={"action": "unsuspend"})
    assert lifting.status_code == 422 and "is not suspended" in lifting.get_data(as_text=True)
    with app.app_context():
        assert audit_rows() == [] and not db.session.get(User, world.member_id).is_suspended


def test_the_profile_shows_moderators_the_standing_panel_only(client, auth, world):
    auth.login_as(world.mod)
    page = client.get("/u/flora").get_data(as_text=True)
    assert "In good standing." in page and "/u/flora/moderate" in page
    auth.login_as(world.member)
    page = client.get("/u/asker").get_data(as_text=True)
    assert "/u/asker/moderate" not in page
    assert client.get("/u/asker/moderate").status_code == 403


def test_sanctions_through_the_api(app, client, world):
    url = "/api/v1/users/flora/sanctions"
    resp = client.post(url, json={"action": "suspend", "duration": "7d", "reason": "Spam links"},
                       headers=_bearer(world, "maude"))
    body = resp.get_json()
    assert resp.status_code == 200 and body["user"]["username"] == "flora"
    assert body["suspended_until"] and body["silenced_until"] is None and body["reason"] == "Spam links"
    bad = client.post(url, json={"action": "suspend", "duration": "forever", "reason": "x"},
                      headers=_bearer(world, "maude"))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "duration"
    lifted = client.post(url, json={"action": "unsuspend"}, headers=_bearer(world, "maude")).get_json()
    assert lifted["suspended_until"] is None and lifted["reason"] == ""
    again = client.post(url, json={"action": "unsuspend"}, headers=_bearer(world, "maude"))
    assert again.status_code == 409 and again.mimetype == PROBLEM
    assert client.post("/api/v1/users/nobody/sanctions", json={"action": "suspend"},
                       headers=_bearer(world, "maude")).status_code == 404
    members = client.post("/api/v1/users/maude/sanctions", json={"action": "suspend", "duration": "24h",
                                                                 "reason": "x"}, headers=_bearer(world, "flora"))
    assert members.status_code == 403


def test_the_audit_log_links_thread_actions_to_their_thread(client, auth, world):
    auth.login_as(world.mod)
    client.post(f"/t/{world.original}/moderate", data={"action": "lock"})
    page = client.get("/admin/audit?user=asker").get_data(as_text=True)
    assert "Locked thread" in page and "Calendar sync stops after a password change" in page


def test_moderation_forms_need_csrf(make_app):
    from .helpers import PRIVILEGES
    app = make_app(PRIVILEGES=dict(PRIVILEGES), WTF_CSRF_ENABLED=True)
    with app.app_context():
        mod = f.user("maude", role=Role.MODERATOR)
        f.user("flora")
        thread_id = f.thread(title="Reminder e-mails arrive twice").id
    client = app.test_client()
    from tests.conftest import AuthActions
    AuthActions(client).login_as(mod)
    assert client.post(f"/t/{thread_id}/moderate", data={"action": "lock"}).status_code == 400
    page = client.get("/u/flora/moderate").get_data(as_text=True)
    ok = client.post("/u/flora/moderate", data={"action": "silence", "duration": "24h", "reason": "Loud",
                                                "csrf_token": csrf_token(page)})
    assert ok.status_code == 302
