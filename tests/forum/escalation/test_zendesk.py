"""The Zendesk adapter's request, field by field, against the documented
``POST /api/v2/tickets`` shape, and the ticket read back from Zendesk's answer."""
from __future__ import annotations

import base64

import pytest

from forum.escalation import endpoints, services
from forum.escalation.models import Delivery, Escalation, TicketStatus
from forum.extensions import db
from tests import factories as f

from tests.forum.escalation.conftest import attempts, drain, messages

CREDENTIALS = "agent@example.com/token:6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
# What Zendesk answers to a create (abridged from its API reference).
CREATED = {"ticket": {"id": 35436, "url": "https://example.zendesk.com/api/v2/tickets/35436.json",
                      "status": "new", "subject": "Invoices show dollars instead of euros"}}


@pytest.fixture
def zendesk(people, receiver):
    def make(personal_data: bool):
        ep, _ = endpoints.add_endpoint(by=people.ada, url=f"http://127.0.0.1:{receiver.port}/api/v2/tickets",
                                       secret=receiver.secret, fmt="zendesk", credentials=CREDENTIALS,
                                       personal_data=personal_data, allow_private=True)
        return ep
    return make


def _ticket_request(receiver):
    (req,) = receiver.received
    assert req.path == "/api/v2/tickets"
    return req, req.json


@pytest.mark.parametrize("personal", [True, False])
def test_the_ticket_request_has_the_documented_shape(ectx, people, receiver, zendesk, personal):
    zendesk(personal)
    receiver.respond = lambda req: (201, CREATED, {})
    f.answer(people.thread, f.user("carol"), body="Also <script>alert(1)</script> does not work for me.")
    esc = services.escalate(people.thread, by=people.maya, note="VIP customer & urgent")
    drain()
    req, body = _ticket_request(receiver)

    assert req.headers["content-type"] == "application/json"
    assert req.headers["idempotency-key"] == esc.idempotency_key and esc.idempotency_key.startswith("esc_")
    assert req.headers["authorization"] == "Basic " + base64.b64encode(CREDENTIALS.encode()).decode()
    assert req.verified  # signed as well, which Zendesk ignores

    assert list(body) == ["ticket"]
    ticket = body["ticket"]
    expected = {"subject", "comment", "external_id", "tags", "type", "priority"} | ({"requester"} if personal
                                                                                   else set())
    assert set(ticket) == expected
    assert ticket["subject"] == "Invoices show dollars instead of euros"
    assert set(ticket["comment"]) == {"html_body", "public"} and ticket["comment"]["public"] is False
    html = ticket["comment"]["html_body"]
    assert isinstance(html, str) and "Our invoices come out in USD" in html
    assert "Have you looked under Settings" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert "VIP customer &amp; urgent" in html and f"/t/{people.thread.id}/" in html
    assert ticket["external_id"] == f"forum-thread-{people.thread.id}"
    assert isinstance(ticket["tags"], list) and all(isinstance(t, str) and " " not in t for t in ticket["tags"])
    assert {"community", "forum-billing", "invoices"} <= set(ticket["tags"])
    assert ticket["type"] in ("problem", "incident", "question", "task")
    assert ticket["priority"] in ("urgent", "high", "normal", "low")
    if personal:
        assert ticket["requester"] == {"name": "Alice Meyer", "email": "alice@example.com"}
    assert "alice@example.com" not in req.body.decode() or personal

    esc = db.session.get(Escalation, esc.id)
    assert esc.delivery == Delivery.DELIVERED and esc.ticket_id == "35436"
    assert esc.ticket_url == f"http://127.0.0.1:{receiver.port}/agent/tickets/35436"
    assert esc.ticket_status == TicketStatus.OPEN and esc.badge == "ticket #35436, open"


def test_the_idempotency_key_is_the_same_on_every_retry_and_the_password_is_not_logged(ectx, people, receiver,
                                                                                        zendesk):
    zendesk(False)
    receiver.script(500, 503)
    receiver.respond = lambda req: (201, CREATED, {})
    esc = services.escalate(people.thread, by=people.maya)
    drain()
    assert [r.headers["idempotency-key"] for r in receiver.received] == [esc.idempotency_key] * 3
    assert len({r.webhook_id for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1
    (message,) = messages()
    for attempt in attempts(message.id):
        assert attempt.request_headers["authorization"] == "[redacted]"
        assert attempt.request_headers["idempotency-key"] == esc.idempotency_key
        assert "token" not in str(attempt.request_headers)
    assert attempts(message.id)[-1].status_code == 201


def test_an_answer_without_a_ticket_leaves_the_escalation_without_one(ectx, people, receiver, zendesk):
    zendesk(False)
    receiver.respond = lambda req: (200, {"ticket": {"id": {"nested": 1}}}, {})
    esc = services.escalate(people.thread, by=people.maya)
    drain()
    esc = db.session.get(Escalation, esc.id)
    assert esc.delivery == Delivery.DELIVERED and esc.ticket_id is None and esc.ticket_url is None


def test_each_escalation_has_its_own_idempotency_key(ectx, people, receiver, zendesk):
    zendesk(False)
    receiver.respond = lambda req: (201, CREATED, {})
    other = f.thread(people.alice, category_obj=people.billing)
    keys = {services.escalate(t, by=people.maya).idempotency_key for t in (people.thread, other)}
    drain()
    assert {r.headers["idempotency-key"] for r in receiver.received} == keys and len(keys) == 2
