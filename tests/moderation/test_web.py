"""The moderation pages: flagging, the review queue and its actions, the audit log."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Post, PostState, Role, User
from moderation import services
from moderation.models import Flag, ModerationAction, ReviewItem
from tests import factories as f
from tests.conftest import csrf_token

JSON = {"Accept": "application/json"}


def _world():
    mod = f.user("maude", role=Role.MODERATOR)
    member = f.user("flora")
    author = f.user("spammy")
    question = f.thread(f.user("asker"), title="Printer does not print anything at all")
    answer = f.answer(question, author, body="Buy cheap watches at example dot com")
    return SimpleNamespace(mod=mod.id, member=member.id, author=author.id, thread=question.id,
                           post=answer.id, question=question.question_id)


#: Everyone may flag and post without review; the queue needs a moderator (or 100 points).
PRIVILEGES = {"vote_up": 1, "vote_down": 1, "flag": 1, "post_without_review": 1, "trusted_flags": 100}


@pytest.fixture
def app(make_app):
    return make_app(PRIVILEGES=PRIVILEGES)

@pytest.fixture
def world(app):
    with app.app_context():
        return _world()


def _get(model, id_):
    return db.session.get(model, id_)


def _flag(world, reason="spam", by=None, post=None):
    flagger = _get(User, by or world.member)
    services.flag_post(_get(Post, post or world.post), by=flagger, reason=reason, note="")


def _item(world, post=None):
    return db.session.execute(sa.select(ReviewItem).where(
        ReviewItem.target_type == "post", ReviewItem.target_id == (post or world.post))).scalar_one()


# -- Flagging ------------------------------------------------------------------------

def test_thread_page_offers_a_flag_form_to_members(app, client, auth, world):
    auth.login("flora")
    html = client.get(f"/t/{world.thread}", follow_redirects=True).get_data(as_text=True)
    assert f'action="/posts/{world.post}/flag"' in html
    assert 'value="needs_moderator"' in html


def test_anonymous_visitors_see_no_flag_control(client, world):
    html = client.get(f"/t/{world.thread}", follow_redirects=True).get_data(as_text=True)
    assert "/flag\"" not in html


def test_flagging_a_post_redirects_back_and_shows_its_outcome(app, client, auth, world):
    auth.login("flora")
    resp = client.post(f"/posts/{world.post}/flag", data={"reason": "spam"})
    assert resp.status_code == 302 and f"#post-{world.post}" in resp.headers["Location"]
    html = client.get(f"/t/{world.thread}", follow_redirects=True).get_data(as_text=True)
    assert "You flagged this: waiting for a moderator" in html
    with app.app_context():
        assert _item(world).kind.value == "flagged"


def test_an_invalid_flag_re_renders_the_form_with_what_was_typed(client, auth, world):
    auth.login("flora")
    resp = client.post(f"/posts/{world.post}/flag", data={"reason": "needs_moderator", "note": ""})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'value="needs_moderator" required checked' in html and "form-errors" in html


def test_flagging_answers_json_for_scripts(client, auth, world):
    auth.login("flora")
    resp = client.post(f"/posts/{world.post}/flag", data={"reason": "rude"}, headers=JSON)
    assert resp.status_code == 201 and "moderators" in resp.get_json()["message"]


@pytest.mark.parametrize("who, status", [(None, 302), ("spammy", 403)])
def test_flagging_needs_a_login_and_not_your_own_post(client, auth, world, who, status):
    if who:
        auth.login(who)
    resp = client.post(f"/posts/{world.post}/flag", data={"reason": "spam"})
    assert resp.status_code == status


def test_flagging_a_missing_post_is_404(client, auth, world):
    auth.login("flora")
    assert client.post("/posts/999999/flag", data={"reason": "spam"}).status_code == 404


def test_flag_form_keeps_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, PRIVILEGES=PRIVILEGES)
    with app.app_context():
        world = _world()
    client = app.test_client()
    client.post("/login", data={"login": "flora", "password": f.PASSWORD,
                                "csrf_token": csrf_token(client.get("/login").get_data(as_text=True))})
    assert client.post(f"/posts/{world.post}/flag", data={"reason": "spam"}).status_code == 400
    token = csrf_token(client.get(f"/t/{world.thread}", follow_redirects=True).get_data(as_text=True))
    assert client.post(f"/posts/{world.post}/flag", data={"reason": "spam", "csrf_token": token}).status_code == 302


# -- The queue -----------------------------------------------------------------------

def test_queue_access(make_app):
    app = make_app(PRIVILEGES=PRIVILEGES)
    with app.app_context():
        _world()
    client = app.test_client()
    assert client.get("/review").status_code == 302  # to the login page
    client.post("/login", data={"login": "flora", "password": f.PASSWORD})
    assert client.get("/review").status_code == 403
    client.post("/logout")
    client.post("/login", data={"login": "maude", "password": f.PASSWORD})
    assert client.get("/review").status_code == 200


def test_queue_shows_the_post_in_context_with_flags_and_history(app, client, auth, world):
    with app.app_context():
        _flag(world)
    auth.login("maude")
    html = client.get("/review").get_data(as_text=True)
    assert "Printer does not print anything at all" in html
    assert "Buy cheap watches" in html
    assert "Spam" in html and "flora" in html.lower()
    assert "Flags received" in html and "Member for" in html
    assert 'data-action="approve"' in html and 'data-action="suspend"' in html
    # The navigation shows the pending count to people who review.
    assert re.search(r'class="count-badge"[^>]*>1<', html)


def test_queue_filters_by_kind_reason_and_flagger(app, client, auth, world):
    with app.app_context():
        _flag(world, "rude")
    auth.login("maude")
    assert "Buy cheap watches" in client.get("/review?kind=flagged&reason=rude&flagger=flora").get_data(as_text=True)
    assert "Buy cheap watches" not in client.get("/review?reason=spam").get_data(as_text=True)
    assert "Buy cheap watches" not in client.get("/review?flagger=nobody").get_data(as_text=True)
    assert "Buy cheap watches" not in client.get("/review?kind=queued").get_data(as_text=True)
    assert client.get("/review?kind=bogus&sort=x").status_code == 400


def test_claiming_shows_who_took_the_item(app, client, auth, world):
    with app.app_context():
        _flag(world)
        item_id = _item(world).id
    auth.login("maude")
    assert client.post(f"/review/{item_id}/claim").status_code == 302
    assert "Claimed by you" in client.get("/review").get_data(as_text=True)


@pytest.mark.parametrize("action, state", [("approve", PostState.VISIBLE), ("reject", PostState.DELETED),
                                           ("hide", PostState.HIDDEN)])
def test_actions_decide_the_item_and_leave_an_audit_row(app, client, auth, world, action, state):
    with app.app_context():
        _flag(world)
        item_id = _item(world).id
    auth.login("maude")
    resp = client.post(f"/review/{item_id}", data={"action": action, "reason": "checked"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/review")
    with app.app_context():
        assert _get(Post, world.post).state == state
        assert db.session.execute(sa.select(ModerationAction).where(
            ModerationAction.review_item_id == item_id)).scalars().first() is not None


def test_an_action_answers_json_and_a_second_decision_is_refused(app, client, auth, world):
    with app.app_context():
        _flag(world)
        item_id = _item(world).id
    auth.login("maude")
    first = client.post(f"/review/{item_id}", data={"action": "dismiss"}, headers=JSON)
    assert first.status_code == 200 and first.get_json()["status"] == "ignored"
    again = client.post(f"/review/{item_id}", data={"action": "approve"}, headers=JSON)
    assert again.status_code == 409 and again.get_json()["error"]


def test_suspending_from_the_queue(app, client, auth, world):
    with app.app_context():
        _flag(world)
        item_id = _item(world).id
    auth.login("maude")
    client.post(f"/review/{item_id}", data={"action": "suspend", "duration": "7d", "reason": "spam links"})
    with app.app_context():
        assert _get(User, world.author).is_suspended


def test_unknown_actions_and_items(client, auth, world):
    auth.login("maude")
    assert client.post("/review/999999", data={"action": "approve"}).status_code == 404
    assert client.post("/review/999999", data={"action": "explode"}).status_code in (400, 404)


def test_members_cannot_act(app, client, auth, world):
    with app.app_context():
        _flag(world)
        item_id = _item(world).id
    auth.login("flora")
    assert client.post(f"/review/{item_id}", data={"action": "approve"}, headers=JSON).status_code == 403
    assert client.post("/review/bulk", data={"action": "approve", "item": [item_id]}).status_code == 403


def test_bulk_reject_clears_the_selection(app, client, auth, world):
    with app.app_context():
        _flag(world)
        _flag(world, post=world.question)
        ids = [_item(world).id, _item(world, world.question).id]
    auth.login("maude")
    resp = client.post("/review/bulk", data={"action": "reject", "item": [str(i) for i in ids]}, headers=JSON)
    assert resp.status_code == 200 and resp.get_json()["count"] == 2
    with app.app_context():
        assert all(_get(ReviewItem, i).status.value == "rejected" for i in ids)
    html = client.get("/review").get_data(as_text=True)
    assert "Nothing to review" in html


# -- The audit log -------------------------------------------------------------------

def test_audit_log_lists_actions_and_filters_them(app, client, auth, world):
    with app.app_context():
        _flag(world)
        services.perform(_item(world), "hide", by=_get(User, world.mod), reason="looks like spam")
    auth.login("maude")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "looks like spam" in html and "Maude".lower() in html.lower()
    assert "looks like spam" in client.get("/admin/audit?moderator=maude&action=hide&user=spammy").get_data(
        as_text=True)
    assert "looks like spam" not in client.get("/admin/audit?moderator=flora").get_data(as_text=True)
    assert "looks like spam" not in client.get("/admin/audit?until=2001-01-01").get_data(as_text=True)
    assert client.get("/admin/audit?since=yesterday").status_code == 400


def test_audit_log_is_for_moderators_and_staff(client, auth, world):
    assert client.get("/admin/audit").status_code == 302
    auth.login("flora")
    assert client.get("/admin/audit").status_code == 403
