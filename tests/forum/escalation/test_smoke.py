"""The escalation path end to end against a real receiver: escalate, deliver, callback."""
from __future__ import annotations

import json
import time
from datetime import timedelta

from forum.db import utcnow
from forum.escalation import callbacks, services
from forum.escalation.models import Delivery, MessageStatus, TicketStatus, Trigger
from forum.escalation.webhooks import headers
from forum.extensions import db
from forum.models import Post, ThreadStatus

from tests.forum.escalation.conftest import drain


def test_the_asker_escalates_and_the_help_desk_gets_the_whole_thread(people, endpoint, receiver):
    receiver.respond = lambda req: (201, {"ticket_id": "123", "ticket_url": "https://desk.example/t/123"}, {})
    esc = services.escalate(people.thread, by=people.alice, note="Still stuck after trying that.")
    assert esc.trigger == Trigger.ASKER and people.thread.status == ThreadStatus.ESCALATED
    drain()
    (req,) = receiver.received
    assert req.verified
    body = req.json
    assert body["type"] == "thread.escalated"
    data = body["data"]
    assert data["thread"]["title"] == "Invoices show dollars instead of euros"
    assert [p["kind"] for p in data["transcript"]] == ["question", "answer"]
    assert "email" not in data["requester"]
    db.session.refresh(esc)
    assert esc.delivery == Delivery.DELIVERED and esc.ticket_id == "123" and esc.ticket_status == TicketStatus.OPEN
    assert esc.badge == "ticket #123, open"

    cb = {"ticket_id": "123", "status": "solved", "agent": "Jo", "updated_at": utcnow().isoformat(),
          "public_reply": "Go to Settings > Billing > Currency and pick EUR; new invoices use it."}
    raw = json.dumps(cb)
    h = headers([receiver.secret], "cb_1", utcnow(), raw)
    esc2, changed = callbacks.callback(raw.encode(), h)
    assert changed and esc2.ticket_status == TicketStatus.SOLVED
    reply = db.session.get(Post, esc2.reply_post_id)
    assert "pick EUR" in reply.body and reply.author.username == "support"
    again, changed = callbacks.callback(raw.encode(), h)
    assert not changed


def test_a_failing_receiver_is_retried_with_the_same_id_until_it_answers(people, endpoint, receiver):
    receiver.script(500, 503, 200)
    services.escalate(people.thread, by=people.maya, note="Customer is blocked")
    for _ in range(5):
        drain()
        time.sleep(0.05)
    ids = {r.webhook_id for r in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1
    msg = services.for_thread(people.thread.id)
    db.session.refresh(msg)
    assert msg.delivery == Delivery.DELIVERED
