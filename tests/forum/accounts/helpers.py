"""Small helpers shared by the account view tests."""
from __future__ import annotations


def flashes(client) -> list[str]:
    """The flash messages waiting in ``client``'s session."""
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def is_logged_in(client) -> bool:
    return client.get("/settings").status_code == 200
