"""Rate limits on logging in, signing up and posting (Flask-Limiter).

The limits themselves are settings (``LOGIN_RATE``, ``REGISTER_RATE``, ``POST_RATE``,
``NEW_USER_POST_RATE``) read when a request is checked, so every app built by
:func:`forum.create_app` follows its own config. Counters live in memory by default,
or in Redis when ``RATELIMIT_STORAGE_URL`` names it, which several web processes need
to share one count.

Someone who is refused learns when to try again: the error page and the form say it in
words, and every 429 carries ``Retry-After``. Posting forms are re-rendered with the
text kept (see :mod:`forum.threads.views`), never replaced by a bare error page.
"""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, g, make_response, render_template, request
from flask_limiter import RateLimitExceeded
from flask_login import current_user

from .extensions import limiter, remote_address
from .permissions import can
from .web import problem


def user_or_address() -> str:
    """Key posting limits by account, so changing address does not reset them."""
    user = _acting_user()
    return f"user:{user.id}" if user is not None else f"ip:{remote_address()}"


def _acting_user():
    user = g.get("api_user") if request.blueprint == "api" else current_user
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _trusted_poster() -> bool:
    """Members who may post without review are spared the new-user limit."""
    user = _acting_user()
    return user is not None and bool(can(user, "post.skip_review"))


def _is_preview() -> bool:
    return "preview" in request.form


def _rate(name: str):
    return lambda: current_app.config[name]


def _posting_exempt() -> bool:
    return request.method != "POST" or _is_preview()


def retry_after() -> int:
    """Whole seconds until the breached limit lets the caller in again (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def wait_text(seconds: int) -> str:
    """``42 seconds``, ``3 minutes``, ``2 hours``: rounded up, so retrying then works."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds <= 2 * 3600:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minutes"
    hours = math.ceil(seconds / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def message(seconds: int) -> str:
    """What a refused person reads; posting gets its own wording."""
    wait = wait_text(seconds)
    if request.endpoint in POSTING_ENDPOINTS:
        return f"You are posting faster than this forum allows. Try again in {wait}."
    return f"Too many attempts. Try again in {wait}."


def _succeeded(response) -> bool:
    """Only what was created counts (201, or the redirect to it): a rejected form, a
    preview or a check for similar questions costs nothing."""
    if response.status_code == 302:
        return "/login" not in (response.location or "")
    return response.status_code in (201, 303)


#: Login attempts per client address, failed ones included (that is the point), and
#: accounts created per address (ANCHORS: 6 logins a minute, 3 new accounts).
login_limit = limiter.limit(_rate("LOGIN_RATE"), key_func=remote_address, methods=["POST"])
register_limit = limiter.limit(_rate("REGISTER_RATE"), key_func=remote_address, methods=["POST"],
                               deduct_when=_succeeded)

#: One budget for questions and answers, pages and API alike, so a flood cannot
#: switch doors. The new-user limit spares members with the ``post_without_review``
#: privilege; ``POST_RATE`` holds for everyone.
_everyone = limiter.shared_limit(_rate("POST_RATE"), scope="posting", key_func=user_or_address,
                                 exempt_when=_posting_exempt, deduct_when=_succeeded)
_new_users = limiter.shared_limit(_rate("NEW_USER_POST_RATE"), scope="posting-new", key_func=user_or_address,
                                  exempt_when=lambda: _posting_exempt() or _trusted_poster(),
                                  deduct_when=_succeeded)

POSTING_ENDPOINTS = frozenset({"threads.ask", "threads.answer", "api.create_thread", "api.create_answer"})


def posting_limit(view):
    """Apply both posting limits to ``view``."""
    return _everyone(_new_users(view))


def init_app(app: Flask) -> None:
    """Bind the limiter with this app's storage and answer 429s in words."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("RATELIMIT_STORAGE_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "forum")
    limiter.init_app(app)

    app.register_error_handler(RateLimitExceeded, lambda exc: too_many_requests(retry_after()))


def too_many_requests(seconds: int):
    """The 429 response: a problem document under ``/api/``, else the error page."""
    if request.path.startswith("/api/"):
        response = problem(429, "Too Many Requests", message(seconds))
    else:
        response = make_response(render_template(
            "errors/error.html", status=429, title="Too many requests", detail=message(seconds)), 429)
    response.headers["Retry-After"] = str(seconds)
    return response
