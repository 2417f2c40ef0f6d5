"""Fixtures for the thread tests: a small community that exists before the test."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests import factories as f


@pytest.fixture
def world(app):
    """alice asked a question in "Login" tagged sso; bob answered it. Returns ids."""
    with app.app_context():
        alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
        cat = f.category("Login", description="Signing in, SSO and passwords.")
        t = f.thread(alice, title="Login fails after the upgrade", tags=["sso"], category_obj=cat,
                     body="Since 2.3 I get **error 42** when logging in.")
        a = f.answer(t, bob, body="Clear the SSO cache, then log in again.")
        return SimpleNamespace(alice=alice.id, bob=bob.id, carol=carol.id, category=cat.id, category_slug=cat.slug,
                               thread=t.id, question=t.question_id, answer=a.id,
                               url=f"/t/{t.id}/login-fails-after-the-upgrade")


@pytest.fixture
def login(client, auth):
    """``login("bob")`` logs the test client in as that user."""

    def do(username: str):
        response = auth.login(username)
        assert response.status_code == 302, response.data[:500]
        return client

    return do


JSON = {"Accept": "application/json"}


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]
