"""Fixtures for API tests: a small community with tokens, and a client that speaks JSON."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher

from forum.accounts import services as accounts
from forum.models import Role
from tests import factories as f

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """API tests never log in with passwords; the production cost (a second per
    hash) would only make the bad-input sweep crawl."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def world(ctx):
    """Alice asked a question in Billing, Bob answered it; everyone has a token.

    Only ids and token strings are kept: the requests run in their own sessions."""
    alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
    mod = f.user("maya", role=Role.MODERATOR)
    billing = f.category("Billing")
    other = f.category("Accounts")
    thread = f.thread(alice, title="Invoice shows the wrong currency", tags=["invoices"], category_obj=billing)
    answer = f.answer(thread, bob, body="Change the currency under Settings, then Billing.")
    tokens = {u.username: accounts.create_token(u)[1] for u in (alice, bob, carol, mod)}
    return SimpleNamespace(
        alice=alice.id, bob=bob.id, carol=carol.id, maya=mod.id, billing=billing.id, accounts=other.id,
        thread=thread.id, question=thread.question_id, answer=answer.id, tokens=tokens,
    )


class Api:
    """``api.get("/threads", token=...)``: paths are under ``/api/v1``."""

    def __init__(self, client, world):
        self.client = client
        self.world = world

    def request(self, method: str, path: str, *, as_: str | None = None, token: str | None = None,
                headers: dict | None = None, **kw):
        headers = dict(headers or {})
        token = token or (self.world.tokens[as_] if as_ else None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if "data" in kw:
            kw.setdefault("content_type", "application/json")
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api(client, world):
    return Api(client, world)


def assert_problem(response, status: int, *fields: str) -> dict:
    """Check a problem document: status, media type, and the fields it names."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["type"] == "about:blank"
    if fields:
        assert {e["field"] for e in body["errors"]} >= set(fields), body
    return body
