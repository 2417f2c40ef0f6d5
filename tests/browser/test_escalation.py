"""Escalation in the browser: the asker presses "I still need help", the worker delivers
to a real receiver, staff read the delivery log, a signed callback solves the ticket
and its public reply appears in the thread with the badge saying so."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from forum.db import utcnow
from forum.escalation import callbacks, endpoints
from forum.escalation.webhooks import headers, new_secret
from forum.jobs import worker
from forum.models import Role
from tests import factories
from tests.forum.escalation.receiver import Receiver

from .conftest import DESKTOP, PHONE
from .people import PASSWORD

pytestmark = pytest.mark.browser

#: Screenshots go outside the working tree (``FORUM_SCREENSHOTS`` to choose where).
SHOTS = Path(os.environ.get("FORUM_SCREENSHOTS") or Path(tempfile.gettempdir()) / "forum-screenshots")
TITLE = "Invoices show dollars instead of euros"


@pytest.fixture
def receiver():
    with Receiver(new_secret()) as rx:
        rx.respond = lambda req: (200, {"ticket_id": "123", "ticket_url": "https://desk.example/t/123"}, {})
        yield rx


@pytest.fixture
def live_app(make_app, receiver):
    """Alice asked in Billing and Bob answered; Maya moderates, Ada administers; one
    endpoint points at the receiver."""
    app = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False, WEBHOOK_RETRY_SCHEDULE=[0.0] * 3)
    with app.app_context():
        ada = factories.user("ada", role=Role.ADMIN, display_name="Ada Admin")
        factories.user("maya", role=Role.MODERATOR, display_name="Maya Mod")
        alice, bob = factories.user("alice", display_name="Alice Meyer"), factories.user("bob", display_name="Bob")
        billing = factories.category("Billing", "Invoices, payments and plans.")
        thread = factories.thread(alice, title=TITLE, tags=["invoices"], category_obj=billing,
                                  body="Our invoices come out in USD but we pay in EUR. How can I change that?")
        factories.answer(thread, bob, body="Have you looked under Settings, then Billing? I think it is there.")
        endpoints.add_endpoint(by=ada, url=receiver.url, secret=receiver.secret, allow_private=True,
                               description="Help desk")
        app.config["_thread_id"] = thread.id
    return app


def _log_in(page, username: str) -> None:
    page.goto("/login")
    page.locator("#f-login").fill(username)
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator(".user-menu").count() == 1, page.url


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"escalation-{name}.png"), full_page=True)


def test_the_asker_escalates_staff_see_the_delivery_and_the_reply_comes_back(live_app, new_page, receiver):
    tid = live_app.config["_thread_id"]

    # The asker asks for help from the thread page.
    page, problems = new_page()
    _log_in(page, "alice")
    page.goto(f"/t/{tid}")
    panel = page.locator(".still-need-help")
    assert "you won't have to repeat anything" in panel.inner_text()
    panel.get_by_label("Anything to add?").fill("I changed the setting and the next invoice was still in USD.")
    panel.get_by_role("button", name="I still need help").click()
    page.wait_for_load_state()
    assert "went to our support team" in page.locator(".flashes").inner_text()
    assert "Escalated to support: waiting for the help desk" in page.locator(".escalation-badge").inner_text()

    # The worker delivers it; the receiver verifies the signature and answers with a ticket.
    with live_app.app_context():
        worker.drain()
    (request,) = receiver.received
    assert request.verified and request.json["data"]["thread"]["title"] == TITLE
    page.reload()
    assert "ticket #123, open" in page.locator(".escalation-badge").inner_text()

    # Staff open the queue and the escalation's delivery log.
    staff, staff_problems = new_page()
    _log_in(staff, "ada")
    staff.goto("/support/escalations")
    row = staff.locator(".escalation-table tbody tr", has_text=TITLE)
    assert "Delivered" in row.inner_text() and "#123" in row.inner_text()
    _shoot(staff, "queue-desktop")
    row.get_by_role("link", name=TITLE).click()
    staff.wait_for_load_state()
    card = staff.locator(".message-card")
    assert card.count() == 1
    assert card.locator(".http-status").inner_text() == "200"
    assert request.webhook_id in card.inner_text()
    card.get_by_text("Request headers").click()
    assert "webhook-signature" in card.inner_text()

    # The help desk calls back, signed: solved, with a public reply.
    body = json.dumps({"ticket_id": "123", "status": "solved", "agent": "Jo", "updated_at": utcnow().isoformat(),
                       "public_reply": "Go to **Settings → Billing → Currency** and pick EUR; new invoices use it."})
    with live_app.app_context():
        escalation, changed = callbacks.callback(body.encode(), headers([receiver.secret], "cb_1", utcnow(), body))
        assert changed

    page.reload()
    assert "ticket #123, solved" in page.locator(".escalation-badge").inner_text()
    reply = page.locator("article.post", has_text="From the support team")
    assert "pick EUR" in reply.inner_text()
    assert reply.get_by_role("button", name="Accept").count() == 1
    _shoot(page, "thread-desktop")
    page.set_viewport_size(PHONE)
    _shoot(page, "thread-phone")

    # Staff see it solved too, with the ticket link and "Promote to KB" on the reply.
    staff.goto(f"/t/{tid}")
    assert staff.locator(".escalation-badge a", has_text="Open ticket").count() == 1
    assert staff.locator("article.post", has_text="From the support team").get_by_role(
        "button", name="Promote to KB").count() == 1
    staff.goto("/support/escalations")
    assert "Solved" in staff.locator(".escalation-table tbody tr", has_text=TITLE).inner_text()
    staff.set_viewport_size(PHONE)
    _shoot(staff, "queue-phone")

    # The admin's endpoint page: settings, actions, and the log.
    staff.set_viewport_size(DESKTOP)
    staff.goto("/admin/webhooks")
    staff.get_by_role("link", name="Help desk").click()
    staff.wait_for_load_state()
    assert staff.locator("#log .message-card").count() == 1
    _shoot(staff, "endpoint-desktop")
    staff.set_viewport_size(PHONE)
    _shoot(staff, "endpoint-phone")
    assert problems.take() == [] and staff_problems.take() == []


def test_the_asker_escalates_without_javascript(live_app, new_page):
    tid = live_app.config["_thread_id"]
    page, _ = new_page(javascript=False)
    _log_in(page, "alice")
    page.goto(f"/t/{tid}")
    page.get_by_role("button", name="I still need help").click()
    page.wait_for_load_state()
    assert "Escalated to support" in page.locator(".escalation-badge").inner_text()


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(live_app, new_page):
    page, problems = new_page()
    _log_in(page, "ada")
    page.goto("/admin/webhooks")
    page.get_by_label("URL").fill("ftp://desk.example.com/hooks")
    page.get_by_label("Description").fill("Zendesk production")
    page.get_by_label("Zendesk ticket").check()
    page.get_by_role("button", name="Add endpoint").click()
    page.wait_for_load_state()
    assert "Use an http:// or https:// address." in page.locator(".form-errors").inner_text()
    assert page.get_by_label("Description").input_value() == "Zendesk production"
    assert page.get_by_label("Zendesk ticket").is_checked()
    problems.take()  # the refused form answered 400, as it should
    page.get_by_label("URL").fill("https://desk.example.com/hooks")
    page.get_by_role("button", name="Add endpoint").click()
    page.wait_for_load_state()
    secret = page.locator("#secret-value").inner_text()
    assert secret.startswith("whsec_")
    _shoot(page, "secret-desktop")
    page.get_by_role("link", name="I saved it, continue").click()
    page.wait_for_load_state()
    assert secret not in page.content()
    assert problems.take() == []
