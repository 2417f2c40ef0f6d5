"""The POST-only thread actions: vote, accept, unaccept, delete, preview.

Each answers a plain form post with a flash message and a redirect back to the
post (POST/redirect/GET), and a ``fetch`` that sends ``Accept: application/json``
with JSON: the new state on success, ``{"error": reason}`` with the matching
status (400, 401, 403, 404, 409, 413) on refusal. The page scripts only add
speed; every action works without them.
"""
from __future__ import annotations

import functools
from typing import Any, Callable
from urllib.parse import urlsplit

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from .. import markup
from ..db import Conflict
from ..errors import Forbidden, Invalid, NotFound, require
from ..models import Post, Thread, User
from . import services
from .validation import slugify

NOT_FOUND = "There is nothing here. It may have been moved or deleted."
CONFLICT = "Someone else changed this at the same moment. Please try again."


def thread_url(thread: Thread, *, anchor: str | None = None, **values: Any) -> str:
    """The canonical address of a thread: its id and the slug of its title."""
    return url_for("threads.show", thread_id=thread.id, slug=slugify(thread.title), _anchor=anchor, **values)


def post_url(post: Post) -> str:
    return thread_url(post.thread, anchor=f"post-{post.id}")


def acting_user() -> User | None:
    """The logged-in user as a plain model object (services want a ``User``)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def wants_json() -> bool:
    """True when a script asked for JSON; a browser's form post asks for HTML."""
    return request.accept_mimetypes.best == "application/json"


def json_error(reason: str, status: int, **extra: Any):
    resp = jsonify(error=reason, **extra)
    resp.status_code = status
    return resp


def bad_request(errors: dict[str, str]):
    """The HTML 400 page for input a page cannot recover from (a broken link)."""
    detail = " ".join(errors.values())
    return render_template("errors/error.html", status=400, title="Bad request", detail=detail), 400


def _back_path() -> str | None:
    """The page the person came from, if it is on this site, to return to after logging in."""
    ref = urlsplit(request.referrer or "")
    if ref.netloc and ref.netloc != request.host:
        return None
    return (ref.path + (f"?{ref.query}" if ref.query else "")) or None


def action(view: Callable[..., Any]) -> Callable[..., Any]:
    """Translate domain refusals into JSON for scripts and into pages for browsers.

    Forbidden and NotFound already have app-wide HTML handlers; what is added here
    is the JSON shape, a 400 page for bad input, and a login redirect that comes
    back to the page the person was reading.
    """

    @functools.wraps(view)
    def wrapper(**kwargs: Any):
        try:
            return view(**kwargs)
        except Forbidden as exc:
            if wants_json():
                return json_error(exc.reason, exc.status)
            if exc.status == 401:
                flash("Log in to continue.", "info")
                return redirect(url_for("accounts.login", next=_back_path()))
            raise
        except NotFound:
            if wants_json():
                return json_error(NOT_FOUND, 404)
            raise
        except Invalid as exc:
            if wants_json():
                return json_error(" ".join(exc.errors.values()), 400, errors=exc.errors)
            return bad_request(exc.errors)
        except Conflict:
            if wants_json():
                return json_error(CONFLICT, 409)
            raise

    return wrapper


def readable_thread(thread_id: int) -> Thread:
    """Load a thread the current user may see (a hidden one 404s like a missing one)."""
    thread = services.get_thread(thread_id)
    require(current_user, "thread.read", thread)
    return thread


def readable_post(post_id: int) -> Post:
    """Load a post the current user may see (a hidden post 404s like a missing one)."""
    post = services.get_post(post_id)
    require(current_user, "thread.read", post.thread)
    require(current_user, "post.read", post)
    return post


VOTE_MESSAGES = {1: "Upvoted.", -1: "Downvoted.", 0: "Vote withdrawn."}


@action
def vote(post_id: int):
    """Set the current user's vote on a post: ``value`` is 1, -1 or 0 (retract)."""
    post = readable_post(post_id)
    try:
        value = int(request.form.get("value", ""))
    except ValueError:
        raise Invalid({"value": "A vote is 1 (up), -1 (down) or 0 (retract)."}) from None
    score, mine = services.cast_vote(post, by=acting_user(), value=value)
    if wants_json():
        return jsonify(score=score, vote=mine)
    flash(VOTE_MESSAGES[mine], "success")
    return redirect(post_url(post))


@action
def accept(post_id: int):
    """Mark an answer as the one that solved the question."""
    post = readable_post(post_id)
    thread = services.accept_answer(post, by=acting_user())
    if wants_json():
        return jsonify(accepted_post_id=thread.accepted_post_id, status=thread.status.value)
    flash("Answer accepted: the question is marked solved.", "success")
    return redirect(post_url(post))


@action
def unaccept(thread_id: int):
    """Withdraw a thread's accepted answer."""
    thread = services.get_thread(thread_id)
    require(current_user, "thread.read", thread)
    previous = thread.accepted_post_id
    thread = services.unaccept_answer(thread, by=acting_user())
    if wants_json():
        return jsonify(accepted_post_id=thread.accepted_post_id, status=thread.status.value)
    flash("The answer is no longer accepted.", "success")
    return redirect(thread_url(thread, anchor=f"post-{previous}" if previous else None))


@action
def delete_post(post_id: int):
    """Soft-delete a post; deleting the question removes the whole thread from lists."""
    post = readable_post(post_id)
    services.delete_post(post, by=acting_user())
    if wants_json():
        return jsonify(deleted=True, post_id=post.id)
    if post.is_question:
        flash("The question is deleted.", "success")
        return redirect(url_for("threads.index"))
    flash("The answer is deleted.", "success")
    return redirect(thread_url(post.thread, anchor="answers"))


def preview():
    """Render Markdown exactly as a saved post would be rendered, for the editor's preview.

    CSRF is checked by the app-wide protection (the script sends ``X-CSRFToken``).
    Only logged-in people write posts, so only they may spend the server's time here.
    """
    if not current_user.is_authenticated:
        return json_error("Log in to preview.", 401)
    limit = current_app.config["MAX_POST_CHARS"]
    try:
        text = request.form.get("text", "")
    except RequestEntityTooLarge:
        return json_error(f"Posts are at most {limit:,} characters.", 413)
    if len(text) > limit:
        return json_error(f"Posts are at most {limit:,} characters ({len(text):,} given).", 413)
    return jsonify(html=markup.render(text))


#: (rule, endpoint, view) registered by :mod:`.views` as POST routes.
ROUTES: list[tuple[str, str, Callable[..., Any]]] = [
    ("/posts/<int:post_id>/vote", "vote", vote),
    ("/posts/<int:post_id>/accept", "accept", accept),
    ("/t/<int:thread_id>/unaccept", "unaccept", unaccept),
    ("/posts/<int:post_id>/delete", "delete_post", delete_post),
    ("/preview", "preview", preview),
]
