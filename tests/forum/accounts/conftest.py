"""Fixtures for the account tests: people who exist before the test starts."""
from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def alice(app):
    """A member named alice with the factory password; returns her id."""
    with app.app_context():
        return f.user("alice", display_name="Alice Liddell").id


@pytest.fixture
def logged_in(client, auth, alice):
    """``client`` logged in as alice."""
    response = auth.login()
    assert response.status_code == 302
    return client
