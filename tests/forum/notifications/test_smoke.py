"""Notifications end to end: an answer reaches the asker in the app and by one e-mail."""
from __future__ import annotations

import pytest

from forum.extensions import db
from forum.jobs import worker
from forum.notifications import mail, services
from forum.notifications.models import Level, Notification, WatchKind
from forum.threads import services as threads
from tests import factories as f


@pytest.fixture
def nctx(make_app):
    app = make_app(MAIL_BACKEND="locmem", NOTIFY_COALESCE_SECONDS=0)
    with app.app_context():
        yield app


def test_answers_reach_the_asker_once_and_a_burst_is_one_mail(nctx):
    alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
    thread = f.thread(alice, title="Invoices show dollars instead of euros")
    f.answer(thread, bob, body="Look under Settings, then Billing, then Currency.")
    f.answer(thread, carol, body="Same here, and @alice the setting is per workspace.")
    notes = db.session.query(Notification).filter_by(user_id=alice.id).order_by(Notification.id).all()
    assert [n.kind for n in notes] == ["answer", "answer", "mention"]
    # Bob watches the thread he answered: he hears of Carol's answer, never of his own
    # (and of his first badge, which goes in the weekly digest, not in this mail).
    assert [n.kind for n in db.session.query(Notification).filter_by(user_id=bob.id)] == ["badge", "answer"]
    worker.drain()
    sent = mail.outbox()
    assert [m.to for m in sent] == [["alice@example.com"], ["bob@example.com"]]
    assert "3 updates" in sent[0].subject
    assert sent[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    worker.drain()
    assert len(mail.outbox()) == 2


def test_a_muted_thread_is_silent(nctx):
    alice, bob = f.user("alice"), f.user("bob")
    thread = f.thread(alice)
    services.set_watch(alice, WatchKind.THREAD, thread.id, Level.MUTED)
    f.answer(thread, bob)
    assert db.session.query(Notification).filter_by(user_id=alice.id).count() == 0
    threads.accept_answer(db.session.query(threads.Post).filter_by(author_id=bob.id).one(), by=alice)
    assert [n.kind for n in db.session.query(Notification).filter_by(user_id=bob.id)
            .order_by(Notification.id) if n.kind != "badge"] == ["accepted"]


def test_the_pages_render(nctx):
    alice, bob = f.user("alice"), f.user("bob")
    thread = f.thread(alice, title="Invoices show dollars instead of euros")
    for _ in range(2):
        f.answer(thread, bob)
    client = nctx.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = alice.get_id()
        s["_fresh"] = True
    page = client.get("/notifications")
    assert page.status_code == 200 and "2 new answers on" in page.get_data(as_text=True)
    assert 'aria-label="Notifications' in client.get("/").get_data(as_text=True) or "unread" in client.get("/").get_data(as_text=True)
    assert client.get("/notifications/settings").status_code == 200
    assert "watch-form" in client.get(f"/t/{thread.id}", follow_redirects=True).get_data(as_text=True)
    r = client.post("/notifications/read", data={"all": "1"})
    assert r.status_code == 302 and services.unread_count(alice) == 0
    token = mail.unsubscribe_token(alice, "answer")
    anon = nctx.test_client()
    assert anon.get(f"/unsubscribe/{token}").status_code == 200
    assert anon.post(f"/unsubscribe/{token}").status_code == 200
    assert services.email_mode(alice.id, "answer").value == "off"
    assert anon.get(f"/unsubscribe/{token}x").status_code == 400


def test_the_api(nctx):
    from forum.accounts import services as accounts

    alice, bob = f.user("alice"), f.user("bob")
    thread = f.thread(alice)
    f.answer(thread, bob)
    _, token = accounts.create_token(alice)
    h = {"Authorization": f"Bearer {token}"}
    c = nctx.test_client()
    r = c.get("/api/v1/notifications?unread=true", headers=h)
    assert r.status_code == 200 and r.json["unread_count"] == 1 and r.json["items"][0]["kind"] == "answer"
    r = c.post("/api/v1/notifications/read", json={"ids": [r.json["items"][0]["id"]]}, headers=h)
    assert r.json == {"marked": 1, "unread_count": 0}
    assert c.post("/api/v1/notifications/read", json={"ids": [True]}, headers=h).status_code == 422
    r = c.put(f"/api/v1/watches/thread/{thread.id}", json={"level": "muted"}, headers=h)
    assert r.status_code == 200 and r.json["level"] == "muted"
    assert c.put("/api/v1/watches/planet/1", json={"level": "muted"}, headers=h).status_code == 404
    assert c.put(f"/api/v1/watches/thread/{thread.id}", json={"level": "loud"}, headers=h).status_code == 422
    assert c.get("/api/v1/notifications").status_code == 401
    spec = c.get("/api/v1/openapi.json").json
    assert "/watches/{kind}/{target_id}" in spec["paths"]
