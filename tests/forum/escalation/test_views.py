"""Escalation pages: the thread page's forms and badge, the staff queue, each
escalation's deliveries, and the admins' webhook pages, for every role."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.db import utcnow
from forum.escalation import callbacks, endpoints, services
from forum.escalation.models import Endpoint, LastCall, Message, MessageStatus
from forum.escalation.webhooks import headers
from forum.extensions import db
from forum.models import Role
from tests import factories as f
from tests.conftest import AuthActions, csrf_token
from tests.forum.escalation.conftest import community, drain

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def site(esc_app):
    """The escalation community (ids and detached users), and a client."""
    with esc_app.app_context():
        p = community()
        p.lonely = f.thread(p.alice, title="Export to PDF cuts the last page off", category_obj=p.billing,
                            body="Every PDF export drops the last page. Is that a known problem?")
        p.ids = SimpleNamespace(thread=p.thread.id, lonely=p.lonely.id, answer=p.answer.id)
        p.uid = {name: getattr(p, name).id for name in ("ada", "maya", "alice", "bob")}
        p.User, p.Thread = type(p.alice), type(p.thread)
    p.app, p.client = esc_app, esc_app.test_client()
    p.auth = AuthActions(p.client)
    return p


def _html(response) -> str:
    return response.get_data(as_text=True)


def _thread_html(site, thread_id: int) -> str:
    response = site.client.get(f"/t/{thread_id}", follow_redirects=True)
    assert response.status_code == 200
    return _html(response)


def _as(site, who: str | None):
    if who is None:
        site.auth.logout()
        with site.client.session_transaction() as session:
            session.clear()
    else:
        site.auth.login_as(getattr(site, who))


def _escalate(site, who: str = "alice", note: str = "") -> int:
    with site.app.app_context():
        by = db.session.get(site.User, site.uid[who])
        thread = db.session.get(site.Thread, site.ids.thread)
        return services.escalate(thread, by=by, note=note).id


def _endpoint(site, **kw) -> int:
    with site.app.app_context():
        ada = db.session.get(site.User, site.uid['ada'])
        ep, _ = endpoints.add_endpoint(by=ada, url=kw.pop("url", "http://127.0.0.1:9/hooks"), allow_private=True, **kw)
        return ep.id


# -- who may open which page ------------------------------------------------------------

STAFF_PAGES = ["/support/escalations", "/support/escalations/{esc}"]
ADMIN_PAGES = ["/admin/webhooks", "/admin/webhooks/{ep}", "/admin/webhooks/dead"]


@pytest.mark.parametrize("who, staff_status, admin_status", [
    (None, 302, 302), ("bob", 403, 403), ("alice", 403, 403), ("maya", 200, 403), ("ada", 200, 200)])
def test_each_role_gets_the_pages_it_may_see(site, who, staff_status, admin_status):
    esc, ep = _escalate(site), _endpoint(site)
    _as(site, who)
    for url in STAFF_PAGES:
        response = site.client.get(url.format(esc=esc))
        assert response.status_code == staff_status, url
        if staff_status == 302:
            assert "/login" in response.headers["Location"]
    for url in ADMIN_PAGES:
        response = site.client.get(url.format(ep=ep))
        assert response.status_code == admin_status, url
        if admin_status == 302:
            assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url, who", [
    ("/support/escalations/999999", "maya"), ("/support/escalations/0", "maya"),
    ("/admin/webhooks/999999", "ada"), ("/admin/webhooks/99999999999999999999999", "ada")])
def test_missing_ids_are_404(site, url, who):
    _as(site, who)
    assert site.client.get(url).status_code == 404


def test_admin_posts_to_missing_things_are_404(site):
    _as(site, "ada")
    for url in ("/admin/webhooks/4242/test", "/admin/webhooks/4242/rotate", "/admin/webhooks/4242/active",
                "/admin/webhooks/4242/replay", "/support/messages/msg_nothing/redeliver",
                "/support/messages/nonsense/redeliver"):
        assert site.client.post(url, data={"since": "2026-01-01T00:00"}).status_code == 404, url
    assert site.client.post("/t/999999/escalate").status_code == 404


@pytest.mark.parametrize("who, status", [("bob", 403), ("maya", 403), ("alice", 403)])
def test_only_admins_post_to_webhook_pages(site, who, status):
    ep = _endpoint(site)
    _as(site, who)
    for url in (f"/admin/webhooks/{ep}/test", f"/admin/webhooks/{ep}/rotate", f"/admin/webhooks/{ep}/active",
                f"/admin/webhooks/{ep}", "/admin/webhooks"):
        assert site.client.post(url, data={"url": "https://x.example/h"}).status_code == status, url
    with site.app.app_context():
        assert db.session.get(Endpoint, ep).active and db.session.execute(sa.select(sa.func.count())
                                                                           .select_from(Message)).scalar_one() == 0


# -- the thread page --------------------------------------------------------------------

def test_the_asker_presses_i_still_need_help_and_sees_the_badge(site):
    _as(site, "alice")
    html = _thread_html(site, site.ids.thread)
    assert "I still need help" in html and "you won't have to repeat anything" in html
    response = site.client.post(f"/t/{site.ids.thread}/escalate", data={"note": "Still USD after that."})
    assert response.status_code == 302
    html = _thread_html(site, site.ids.thread)
    assert "Escalated to support:</strong> waiting for staff" in html  # no endpoint yet
    assert "Your question is with our support team" in html and 'action="/t/' + str(site.ids.thread) + '/escalate"' \
        not in html
    with site.app.app_context():
        esc = services.for_thread(site.ids.thread)
        assert esc.note == "Still USD after that." and esc.trigger.value == "asker"
    # Pressing again (an old tab) changes nothing and says why.
    again = site.client.post(f"/t/{site.ids.thread}/escalate", data={"note": "again"}, follow_redirects=True)
    assert "already with the support team" in _html(again)


def test_the_asker_without_answers_is_told_to_wait_instead_of_a_button(site):
    _as(site, "alice")
    html = _thread_html(site, site.ids.lonely)
    assert "Give the community a chance" in html and ">I still need help</button>" not in html
    assert site.client.post(f"/t/{site.ids.lonely}/escalate").status_code == 403


def test_other_members_and_visitors_get_neither_form_nor_badge(site):
    _escalate(site)
    for who in (None, "bob"):
        _as(site, who)
        html = _thread_html(site, site.ids.thread)
        assert "Escalated to support" not in html and "I still need help" not in html
        assert "Escalate to support" not in html
    assert site.client.post(f"/t/{site.ids.thread}/escalate", data={"note": "x"}).status_code == 403
    _as(site, None)
    response = site.client.post(f"/t/{site.ids.thread}/escalate", data={"note": "x"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_badge_is_public_when_configured(make_app):
    app = make_app(ESCALATION_STATUS_PUBLIC=True)
    with app.app_context():
        p = community()
        services.escalate(p.thread, by=p.alice)
        tid = p.thread.id
    html = _html(app.test_client().get(f"/t/{tid}", follow_redirects=True))
    assert "Escalated to support:</strong> waiting for staff" in html
    assert "Deliveries</a>" not in html


def test_staff_escalate_from_the_thread_tools_with_a_note(site):
    _as(site, "maya")
    html = _thread_html(site, site.ids.thread)
    assert 'id="side-support"' in html and "Escalate to support" in html and "I still need help</button>" not in html
    response = site.client.post(f"/t/{site.ids.thread}/escalate", data={"note": "   "})
    assert response.status_code == 400
    assert "Tell the support team why this needs them." in _html(response)
    long_note = "Customer cannot pay. " * 120
    response = site.client.post(f"/t/{site.ids.thread}/escalate", data={"note": long_note})
    assert response.status_code == 400
    assert "Keep the note under 2,000 characters." in _html(response) and long_note.strip() in _html(response)
    assert site.client.post(f"/t/{site.ids.thread}/escalate", data={"note": "Billing bug"}).status_code == 302
    html = _thread_html(site, site.ids.thread)
    assert "Escalated to support:</strong> waiting for staff" in html  # no endpoint configured
    assert "Escalation and deliveries" in html
    with site.app.app_context():
        assert services.for_thread(site.ids.thread).trigger.value == "staff"


def test_the_escalate_page_works_without_the_thread_page(site):
    _as(site, "alice")
    html = _html(site.client.get(f"/t/{site.ids.thread}/escalate"))
    assert "you won't have to repeat anything" in html and 'name="note"' in html


def test_the_last_call_shows_to_the_asker_and_staff_only(site):
    with site.app.app_context():
        thread = db.session.get(site.Thread, site.ids.thread)
        thread.created_at = utcnow() - timedelta(hours=40)
        db.session.add(LastCall(thread_id=thread.id, due_at=utcnow() + timedelta(hours=8)))
        db.session.commit()
    for who, shown in (("alice", True), ("maya", True), ("bob", False), (None, False)):
        _as(site, who)
        html = _thread_html(site, site.ids.thread)
        assert ("If no answer is accepted by" in html) == shown, who
        assert ("this thread goes to the support team" in html) == shown, who


def test_the_help_desks_reply_is_marked_and_staff_may_promote_it(site, receiver):
    ep = _endpoint(site, url=receiver.url, secret=receiver.secret)
    receiver.respond = lambda req: (201, {"ticket_id": "123", "ticket_url": "https://desk.example/t/123"}, {})
    _escalate(site)
    with site.app.app_context():
        drain()
        body = json.dumps({"ticket_id": "123", "status": "pending", "updated_at": utcnow().isoformat()})
        callbacks.callback(body.encode(), headers([receiver.secret], "cb_a", utcnow(), body))
    _as(site, "alice")
    assert "ticket #123, pending" in _thread_html(site, site.ids.thread)
    _as(site, "maya")
    html = _thread_html(site, site.ids.thread)
    assert "ticket #123, pending" in html and 'href="https://desk.example/t/123"' in html
    with site.app.app_context():
        body = json.dumps({"ticket_id": "123", "status": "solved", "updated_at": utcnow().isoformat(),
                           "public_reply": "Pick EUR under Settings > Billing > Currency.", "agent": "Jo"})
        callbacks.callback(body.encode(), headers([receiver.secret], "cb_b", utcnow(), body))
    html = _thread_html(site, site.ids.thread)
    assert "ticket #123, solved" in html
    assert html.count("From the support team") == 1 and "Pick EUR" in html
    # Staff (who write articles) are offered "Promote to KB" on it.
    _as(site, "ada")
    html = _thread_html(site, site.ids.thread)
    reply = html[html.index("From the support team"):]
    assert "Promote to KB" in reply[:reply.index("</article>")]
    _as(site, None)
    assert "From the support team" in _thread_html(site, site.ids.thread)
    assert ep


# -- the staff queue and an escalation ---------------------------------------------------

def test_the_queue_lists_filters_and_shows_the_figures(site):
    _escalate(site, note="please")
    _as(site, "maya")
    html = _html(site.client.get("/support/escalations"))
    assert "Invoices show dollars instead of euros" in html and "Billing" in html
    assert "Asker asked for help" in html and "Alice Meyer" in html and "No endpoint" in html
    assert "<dt>Escalations</dt><dd>1</dd>" in html and "Last 30 days" in html
    assert "<dt>Need attention now</dt>" in html
    assert "Invoices show" in _html(site.client.get("/support/escalations?delivery=no_endpoint&status=none"))
    assert "Invoices show" not in _html(site.client.get("/support/escalations?delivery=delivered"))
    assert "Invoices show" in _html(site.client.get("/support/escalations?delivery=attention"))
    assert "Last 7 days" in _html(site.client.get("/support/escalations?period=7"))
    assert "Last 30 days" in _html(site.client.get("/support/escalations?period=banana"))
    for bad in ("status=lost", "delivery=lost", "cursor=%25%25"):
        response = site.client.get(f"/support/escalations?{bad}")
        assert response.status_code == 400, bad


def test_the_nav_badge_counts_what_needs_attention_for_moderators(site):
    _escalate(site)  # no endpoint: needs attention
    _as(site, "maya")
    html = _thread_html(site, site.ids.lonely)
    assert re.search(r'class="nav-support".*?>Support <span class="count-badge" aria-label="1 need attention">1</span>',
                     html)
    _as(site, "bob")
    assert "nav-support" not in _thread_html(site, site.ids.lonely)


def test_an_escalation_shows_every_message_and_attempt(site, receiver):
    _endpoint(site, url=receiver.url, secret=receiver.secret)
    receiver.script(500)
    esc = _escalate(site, note="Customer <b>blocked</b>")
    with site.app.app_context():
        drain()
        drain()
    _as(site, "maya")
    html = _html(site.client.get(f"/support/escalations/{esc}"))
    assert "Customer &lt;b&gt;blocked&lt;/b&gt;" in html
    assert html.count('class="http-status is-failed">500') == 1 and html.count('class="http-status is-ok">200') == 1
    assert "webhook-signature:" in html and "<summary>Request headers</summary>" in html
    assert "Redeliver" not in html  # moderators read; admins redeliver
    _as(site, "ada")
    html = _html(site.client.get(f"/support/escalations/{esc}"))
    msg_id = re.search(r'/support/messages/(msg_[0-9a-f]+)/redeliver', html).group(1)
    response = site.client.post(f"/support/messages/{msg_id}/redeliver", data={"next": f"/support/escalations/{esc}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/support/escalations/{esc}")
    with site.app.app_context():
        assert db.session.get(Message, msg_id).status == MessageStatus.PENDING
    # Still in flight: a second press says so.
    again = site.client.post(f"/support/messages/{msg_id}/redeliver", follow_redirects=True)
    assert "still being delivered" in _html(again)
    # An outside "next" is ignored.
    with site.app.app_context():
        drain()
    response = site.client.post(f"/support/messages/{msg_id}/redeliver", data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/admin/webhooks/dead")


def test_the_queue_costs_the_same_for_3_and_25_escalations(site):
    from tests.forum.escalation.test_queries import count_queries

    def cost() -> int:
        with site.app.app_context():
            with count_queries() as statements:
                assert site.client.get("/support/escalations").status_code == 200
        return len(statements)

    def add(n: int) -> None:
        with site.app.app_context():
            maya = db.session.get(site.User, site.uid['maya'])
            for _ in range(n):
                services.escalate(f.thread(f.user(), category_obj=f.category()), by=maya, note="n")

    _as(site, "maya")
    add(3)
    few = cost()
    add(22)
    assert cost() == few


# -- webhook endpoints ------------------------------------------------------------------

def test_adding_an_endpoint_shows_the_secret_once(site):
    _as(site, "ada")
    response = site.client.post("/admin/webhooks", data={
        "url": "https://desk.example.com/hooks", "description": "Desk", "format": "standard",
        "event_types": ["thread.escalated"]})
    html = _html(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'<code id="secret-value"[^>]*>(whsec_[^<]+)</code>', html).group(1)
    assert "shown only this once" in html
    listing = _html(site.client.get("/admin/webhooks"))
    assert "Desk" in listing and secret not in listing
    with site.app.app_context():
        ep = db.session.execute(sa.select(Endpoint)).scalar_one()
        assert ep.secret == secret and ep.event_types == ["thread.escalated"] and not ep.allow_private
    assert secret not in _html(site.client.get(f"/admin/webhooks/{ep.id}"))


def test_a_bad_endpoint_keeps_what_was_typed(site):
    _as(site, "ada")
    response = site.client.post("/admin/webhooks", data={
        "url": "ftp://desk.example.com/hooks", "description": "My desk", "format": "zendesk",
        "credentials": "agent@example.com/token:abc", "secret": "not-a-secret", "personal_data": "1"})
    html = _html(response)
    assert response.status_code == 400
    assert "Use an http:// or https:// address." in html and "Choose among" in html
    assert "A secret is whsec_" in html
    assert 'value="ftp://desk.example.com/hooks"' in html and 'value="My desk"' in html
    assert 'id="f-format-zendesk" name="format" value="zendesk" checked' in html
    assert 'id="f-personal_data" name="personal_data" value="1" checked' in html
    assert "not-a-secret" not in html
    with site.app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Endpoint)).scalar_one() == 0


def test_an_endpoints_settings_enable_rotate_test_and_replay(site, receiver):
    ep = _endpoint(site, url=receiver.url, secret=receiver.secret, description="Desk")
    _as(site, "ada")
    page = _html(site.client.get(f"/admin/webhooks/{ep}"))
    assert "Send test event" in page and "Rotate secret" in page and "Replay failed" in page
    # Settings: a bad URL keeps the typed values; a good one saves.
    response = site.client.post(f"/admin/webhooks/{ep}", data={"url": "nope", "description": "Renamed",
                                                              "event_types": ["thread.escalated"]})
    assert response.status_code == 400 and 'value="Renamed"' in _html(response) and 'value="nope"' in _html(response)
    response = site.client.post(f"/admin/webhooks/{ep}", data={
        "url": receiver.url, "description": "Renamed", "format": "standard", "allow_private": "1",
        "event_types": ["thread.escalated", "webhook.test"]})
    assert response.status_code == 302
    # Test event, delivered by the worker, in the log.
    assert site.client.post(f"/admin/webhooks/{ep}/test").status_code == 302
    with site.app.app_context():
        drain()
    log = _html(site.client.get(f"/admin/webhooks/{ep}"))
    assert "<code>webhook.test</code>" in log and 'class="http-status is-ok">200' in log
    assert receiver.received and receiver.received[-1].verified
    # Disable, enable.
    site.client.post(f"/admin/webhooks/{ep}/active", data={"active": "0"})
    with site.app.app_context():
        assert not db.session.get(Endpoint, ep).active
    assert "Enable endpoint" in _html(site.client.get(f"/admin/webhooks/{ep}"))
    response = site.client.post(f"/admin/webhooks/{ep}/replay", data={"since": "2020-01-01T00:00"})
    assert response.status_code == 400 and "Enable the endpoint" in _html(response)
    site.client.post(f"/admin/webhooks/{ep}/active", data={"active": "1"})
    # Replay: bad input keeps it; good input says how many.
    response = site.client.post(f"/admin/webhooks/{ep}/replay", data={"since": "yesterday"})
    assert response.status_code == 400 and 'value="yesterday"' in _html(response)
    assert "Give a date and time" in _html(response)
    done = site.client.post(f"/admin/webhooks/{ep}/replay", data={"since": "2020-01-01T00:00"}, follow_redirects=True)
    assert "No failed messages since then." in _html(done)
    # Rotate: a new secret once, and both sign for a while.
    response = site.client.post(f"/admin/webhooks/{ep}/rotate")
    new = re.search(r'>(whsec_[^<]+)</code>', _html(response)).group(1)
    assert new != receiver.secret and response.headers["Cache-Control"] == "no-store"
    with site.app.app_context():
        got = db.session.get(Endpoint, ep)
        assert got.secret == new and got.previous_secret == receiver.secret and got.description == "Renamed"
        assert got.event_types == ["thread.escalated", "webhook.test"]


def test_dead_letters_are_listed_and_replayed(site, receiver):
    ep = _endpoint(site, url=receiver.url, secret=receiver.secret)
    receiver.script(*([500] * 10))
    _escalate(site)
    with site.app.app_context():
        for _ in range(12):
            drain()
    _as(site, "ada")
    html = _html(site.client.get("/admin/webhooks/dead"))
    assert "Invoices show dollars instead of euros" in html and "no success after" in html
    _as(site, "maya")
    assert "1 need attention" in _html(site.client.get("/support/escalations"))
    _as(site, "ada")
    response = site.client.post(f"/admin/webhooks/{ep}/replay", data={"since": "2020-01-01T00:00"},
                                follow_redirects=True)
    assert "1 failed message is queued again." in _html(response)
    with site.app.app_context():
        drain()
    assert "No dead letters." in _html(site.client.get("/admin/webhooks/dead"))
    assert site.client.get("/admin/webhooks/dead?cursor=broken!").status_code == 400


# -- CSRF ---------------------------------------------------------------------------------

def test_every_escalation_form_needs_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, WEBHOOK_RETRY_SCHEDULE=[0.0])
    with app.app_context():
        p = community()
        tid = p.thread.id
        ep, _ = endpoints.add_endpoint(by=p.ada, url="http://127.0.0.1:9/hooks", allow_private=True)
        epid = ep.id
    client = app.test_client()
    auth = AuthActions(client)
    auth.login_as(p.alice)
    page = _html(client.get(f"/t/{tid}", follow_redirects=True))
    assert client.post(f"/t/{tid}/escalate", data={"note": "x"}).status_code == 400
    assert client.post(f"/t/{tid}/escalate", data={"note": "x", "csrf_token": csrf_token(page)}).status_code == 302
    auth.login_as(p.ada)
    for url in ("/admin/webhooks", f"/admin/webhooks/{epid}"):
        html = _html(client.get(url))
        assert html.count('name="csrf_token"') >= (2 if url == "/admin/webhooks" else 6), url
    posts = [f"/admin/webhooks/{epid}/test", f"/admin/webhooks/{epid}/rotate", f"/admin/webhooks/{epid}/active",
             f"/admin/webhooks/{epid}/replay", f"/admin/webhooks/{epid}", "/admin/webhooks"]
    for url in posts:
        assert client.post(url, data={"url": "https://x.example/h"}).status_code == 400, url
    token = csrf_token(_html(client.get(f"/admin/webhooks/{epid}")))
    assert client.post(f"/admin/webhooks/{epid}/test", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        msg = db.session.execute(sa.select(Message)).scalars().first()
        msg_id = msg.id
    assert client.post(f"/support/messages/{msg_id}/redeliver").status_code == 400
