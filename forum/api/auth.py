"""Bearer-token authentication for the API.

The API reads ``Authorization: Bearer fpat_...`` and nothing else: never the session
cookie, so a page a logged-in person visits cannot make their browser call the API
for them. That is also why the blueprint is exempt from CSRF.
"""
from __future__ import annotations

from flask import g, request

from ..accounts.services import user_for_token
from ..errors import Forbidden
from ..models import User
from ..permissions import LOGIN


class BadToken(Exception):
    """A token was sent but it is malformed, unknown or revoked."""


def authenticate() -> None:
    """Set ``g.api_user`` from the request's token, or None when no token was sent.

    A token that was sent but does not work is refused even on endpoints that are
    readable anonymously: silently answering as a stranger would hide the mistake.
    """
    g.api_user = None
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise BadToken("Use Authorization: Bearer with a personal API token.")
    user = user_for_token(token.strip())
    if user is None:
        raise BadToken("This token is unknown or has been revoked.")
    g.api_user = user


def current_user() -> User | None:
    """The token's owner, or None for an anonymous request."""
    return g.get("api_user")


def require_user() -> User:
    """The token's owner; an anonymous request answers 401."""
    user = current_user()
    if user is None:
        raise Forbidden(LOGIN)
    return user
