"""The ``thread.escalated`` payload carries everything the agent needs, as the
receiver gets it; its body is the same bytes on every retry."""
from __future__ import annotations

import time

from forum.db import write_transaction
from forum.escalation import endpoints, payload, services
from forum.extensions import db
from forum.kb import services as kb
from forum.models import PostState
from forum.threads import moderation
from forum.threads import services as threads
from tests import factories as f

from tests.forum.escalation.conftest import drain, messages


def _state(post, state):
    with write_transaction():
        moderation.set_post_state(post, state, by=None)


def test_the_payload_carries_the_whole_visible_thread(ectx, people, endpoint, receiver):
    carol, dan, erin, finn = (f.user(n) for n in ("carol", "dan", "erin", "finn"))
    good = f.answer(people.thread, carol, body="Go to **Settings** > *Billing* and pick `EUR`.")
    hidden = f.answer(people.thread, dan, body="Buy my course at spam.example for the answer!")
    deleted = f.answer(people.thread, erin, body="Oops, wrong thread, sorry about that.")
    queued = f.answer(people.thread, finn, body="Waiting in the review queue for now.")
    _state(hidden, PostState.HIDDEN)
    threads.delete_post(deleted, by=erin)
    _state(queued, PostState.QUEUED)
    article = kb.create(by=people.ada, title="Change your invoice currency", summary="Pick EUR under Billing.",
                        body="Settings, then Billing, then Currency. New invoices use it.",
                        category_id=people.billing.id)
    kb.publish(article, by=people.ada)
    kb.answer_with(people.thread, article, by=people.ada, note="This article covers it.")
    threads.accept_answer(good, by=people.alice)
    db.session.refresh(people.thread)

    esc = services.escalate(people.thread, by=people.maya, note="Accepted, yet still broken for them")
    drain()
    (req,) = receiver.received
    body = req.json
    assert body["type"] == "thread.escalated" and body["timestamp"].endswith("Z")
    data = body["data"]
    assert data["escalation_id"] == esc.id and data["idempotency_key"] == esc.idempotency_key
    assert data["trigger"] == "staff" and data["note"] == "Accepted, yet still broken for them"
    assert data["escalated_by"]["username"] == "maya" and "email" not in data["escalated_by"]

    thread = data["thread"]
    assert thread["id"] == people.thread.id and thread["title"] == "Invoices show dollars instead of euros"
    assert thread["url"] == f"http://127.0.0.1:5000/t/{people.thread.id}/invoices-show-dollars-instead-of-euros"
    assert thread["category"] == {"id": people.billing.id, "slug": "billing", "name": "Billing"}
    assert thread["tags"] == ["invoices"] and thread["status"] == "solved"
    assert thread["created_at"].endswith("Z") and thread["answer_count"] == 3

    assert data["requester"] == {"id": people.alice.id, "username": "alice", "display_name": "Alice Meyer",
                                 "role": "member"}
    assert "alice@example.com" not in req.body.decode()

    transcript = data["transcript"]
    assert [p["author"]["username"] for p in transcript] == ["alice", "bob", "carol", "ada"]
    assert [p["kind"] for p in transcript] == ["question", "answer", "answer", "answer"]
    assert [p["accepted"] for p in transcript] == [False, False, True, False]
    assert {p["id"] for p in transcript}.isdisjoint({hidden.id, deleted.id, queued.id})
    carols = transcript[2]
    assert carols["markdown"] == "Go to **Settings** > *Billing* and pick `EUR`."
    assert "**" not in carols["text"] and "Settings" in carols["text"] and "<" not in carols["text"]
    assert carols["author"] == {"id": carol.id, "username": "carol", "display_name": "carol", "role": "member"}
    assert isinstance(carols["score"], int) and carols["created_at"].endswith("Z")
    assert transcript[0]["markdown"].startswith("Our invoices come out in USD")

    (linked,) = data["kb_articles"]
    assert linked["slug"] == article.slug and linked["title"] == "Change your invoice currency"
    assert linked["url"] == f"http://127.0.0.1:5000/kb/{article.slug}" and linked["source"] == "linked"


def test_the_email_goes_only_to_endpoints_allowed_personal_data(ectx, people, endpoint, receiver):
    endpoints.add_endpoint(by=people.ada, url=receiver.url + "/personal", secret=receiver.secret,
                           personal_data=True, allow_private=True)
    services.escalate(people.thread, by=people.alice)
    drain()
    by_path = {r.path: r.json["data"] for r in receiver.received}
    assert by_path["/hooks/personal"]["requester"]["email"] == "alice@example.com"
    assert "email" not in by_path["/hooks"]["requester"]
    assert by_path["/hooks"]["trigger"] == "asker" and by_path["/hooks"]["escalated_by"]["username"] == "alice"


def test_context_providers_add_to_the_payload(esc_app, ectx, people, endpoint, receiver):
    payload.context_provider(esc_app, "searches", lambda thread, esc: [{"query": "invoice currency",
                                                                        "results": 0}])
    payload.context_provider(esc_app, "kb_articles", lambda thread, esc: [
        {"slug": "suggested", "title": "Suggested", "url": "http://x/kb/suggested", "source": "suggested"}])
    services.escalate(people.thread, by=people.maya)
    drain()
    data = receiver.received[0].json["data"]
    assert data["searches"] == [{"query": "invoice currency", "results": 0}]
    assert [a["slug"] for a in data["kb_articles"]] == ["suggested"]


def test_the_body_is_the_same_bytes_on_every_retry_with_a_fresh_signature(ectx, people, endpoint, receiver):
    ectx.config["WEBHOOK_RETRY_SCHEDULE"] = [1.05] * 9
    receiver.script(500)
    services.escalate(people.thread, by=people.maya)
    drain()
    # The retry falls due 1.05 s later plus up to 10 % jitter; webhook-timestamp counts seconds.
    deadline = time.monotonic() + 5
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        drain()
    (message,) = messages()
    first, second = receiver.received
    assert first.body == second.body == message.body.encode()
    assert first.verified and second.verified
    assert first.webhook_id == second.webhook_id == message.id
    assert int(second.headers["webhook-timestamp"]) > int(first.headers["webhook-timestamp"])
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]
