"""Moderation in the API: flags, the review queue, its actions, the audit log."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from forum.accounts import services as accounts
from forum.models import Role
from tests import factories as f
from tests.forum.api.test_openapi import validate

PROBLEM = "application/problem+json"


#: Everyone may flag and post without review; the queue needs a moderator (or 100 points).
PRIVILEGES = {"vote_up": 1, "vote_down": 1, "flag": 1, "post_without_review": 1, "trusted_flags": 100}


@pytest.fixture
def app(make_app):
    return make_app(PRIVILEGES=PRIVILEGES)

@pytest.fixture
def world(app):
    with app.app_context():
        mod = f.user("maya", role=Role.MODERATOR)
        member, author = f.user("carol"), f.user("spammer")
        thread = f.thread(f.user("alice"), title="Invoice shows the wrong currency")
        answer = f.answer(thread, author, body="Cheap pills at example dot com")
        tokens = {u.username: accounts.create_token(u)[1] for u in (mod, member, author)}
        return SimpleNamespace(thread=thread.id, answer=answer.id, tokens=tokens)


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def _h(world, who):
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def _schema(spec, path, method, status):
    documented = spec["paths"][path][method]["responses"][str(status)]
    while "$ref" in documented:
        documented = spec["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    return next(iter(documented["content"].values()))["schema"]


def _flag(client, world, who="carol", **body):
    return client.post(f"/api/v1/posts/{world.answer}/flags", json={"reason": "spam", **body},
                       headers=_h(world, who))


def test_flagging_creates_a_flag(client, world, spec):
    resp = _flag(client, world, note="link farm")
    assert resp.status_code == 201 and resp.headers["Location"].endswith(f"/posts/{world.answer}")
    body = resp.get_json()
    assert body["reason"] == "spam" and body["status"] == "pending" and body["note"] == "link farm"
    validate(spec, _schema(spec, "/posts/{post_id}/flags", "post", 201), body)


def test_flag_errors_are_problems(client, world):
    assert client.post(f"/api/v1/posts/{world.answer}/flags", json={"reason": "spam"}).status_code == 401
    own = _flag(client, world, who="spammer")
    assert own.status_code == 403 and own.mimetype == PROBLEM
    bad = _flag(client, world, reason="boring")
    assert bad.status_code == 422 and bad.mimetype == PROBLEM
    dup = _flag(client, world, reason="duplicate", duplicate_of=999999)
    assert dup.status_code == 422 and dup.get_json()["errors"][0]["field"] == "duplicate_of"
    missing = client.post("/api/v1/posts/999999/flags", json={"reason": "spam"}, headers=_h(world, "carol"))
    assert missing.status_code == 404


def test_the_queue_lists_flagged_items_for_moderators_only(client, world, spec):
    _flag(client, world)
    resp = client.get("/api/v1/review-queue?kind=flagged&status=pending", headers=_h(world, "maya"))
    assert resp.status_code == 200
    body = resp.get_json()
    validate(spec, _schema(spec, "/review-queue", "get", 200), body)
    [item] = body["items"]
    assert item["target_id"] == world.answer and item["flags"][0]["flagger"]["username"] == "carol"
    assert client.get("/api/v1/review-queue?kind=nope", headers=_h(world, "maya")).status_code == 422


def test_members_get_403_from_the_moderator_endpoints(make_app):
    app = make_app(PRIVILEGES=PRIVILEGES)
    with app.app_context():
        member = f.user("carol")
        token = accounts.create_token(member)[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/review-queue", "/api/v1/moderation/audit-log"):
        resp = client.get(path, headers=headers)
        assert resp.status_code == 403 and resp.mimetype == PROBLEM, path


def test_an_action_answers_the_item_and_a_second_one_conflicts(client, world, spec):
    _flag(client, world)
    [item] = client.get("/api/v1/review-queue", headers=_h(world, "maya")).get_json()["items"]
    url = f"/api/v1/review-queue/{item['id']}/actions"
    resp = client.post(url, json={"action": "reject", "reason": "spam"}, headers=_h(world, "maya"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "rejected"
    validate(spec, _schema(spec, "/review-queue/{item_id}/actions", "post", 200), resp.get_json())
    again = client.post(url, json={"action": "approve"}, headers=_h(world, "maya"))
    assert again.status_code == 409 and again.mimetype == PROBLEM
    assert client.post(url, json={"action": "fly"}, headers=_h(world, "maya")).status_code == 422
    assert client.post(url, json={"action": "approve"}, headers=_h(world, "carol")).status_code == 403
    missing = client.post("/api/v1/review-queue/999999/actions", json={"action": "approve"},
                          headers=_h(world, "maya"))
    assert missing.status_code == 404


def test_the_audit_log_lists_the_decision(client, world, spec):
    _flag(client, world)
    [item] = client.get("/api/v1/review-queue", headers=_h(world, "maya")).get_json()["items"]
    client.post(f"/api/v1/review-queue/{item['id']}/actions", json={"action": "hide", "reason": "spammy"},
                headers=_h(world, "maya"))
    resp = client.get("/api/v1/moderation/audit-log?moderator=maya&action=hide", headers=_h(world, "maya"))
    assert resp.status_code == 200
    body = resp.get_json()
    validate(spec, _schema(spec, "/moderation/audit-log", "get", 200), body)
    assert body["items"][0]["reason"] == "spammy" and body["items"][0]["actor"]["username"] == "maya"
    assert client.get("/api/v1/moderation/audit-log?since=soon", headers=_h(world, "maya")).status_code == 422
