"""Notification pages: the bell, the list (grouped; mark read, mark all read), the
e-mail settings with the watched threads, categories and tags, watch and mute
buttons, the one-click unsubscribe page that needs no login, and the people the
editor suggests after an ``@``.

Every form works without JavaScript; ``static/js/notifications.js`` sends the same
forms asking for JSON (mark read, watch levels) so the page need not reload.
"""
from __future__ import annotations

from typing import Iterable

from flask import Blueprint, Flask, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..accounts.views import safe_next
from .. import hooks
from ..errors import Invalid, NotFound, require
from ..db import get_by_id
from ..extensions import csrf, limiter
from ..models import Post, Thread
from ..permissions import can
from ..ratelimit import user_or_address
from ..threads.actions import json_error, wants_json
from . import kinds, mail, people, queries, services, text
from .models import EmailMode, Level, WatchKind

MODES = ("instant", "daily", "weekly", "off")

bp = Blueprint("notifications", __name__)


def _back(default: str) -> str:
    return safe_next(request.form.get("next")) or default


def _ids(values: Iterable[str], limit: int) -> list[int]:
    """The notification ids in a form or query string; anything else is ignored."""
    ids = []
    for value in values:
        # str.isdigit() admits "²", which int() refuses; ASCII digits only.
        if value.isascii() and value.isdigit() and len(value) < 20:
            ids.append(int(value))
    return ids[:limit]


@bp.get("/notifications")
def index():
    require(current_user, "notifications.manage")
    unread = request.args.get("filter") == "unread"
    try:
        page = queries.page(current_user, unread=unread, cursor=request.args.get("cursor") or None)
    except Invalid:
        raise NotFound() from None
    return render_template("notifications/index.html", page=page, unread=unread,
                           unread_count=services.unread_count(current_user))


@bp.get("/notifications/<int:notification_id>")
def open_(notification_id: int):
    """Mark one notification read and go where it points."""
    require(current_user, "notifications.manage")
    n = queries.get(current_user, notification_id)
    if n is None:
        raise NotFound()
    ids = _ids(request.args.getlist("also"), 100)
    services.mark_read(current_user, [n.id, *ids])
    return redirect(text.link(n))


@bp.post("/notifications/read")
def read():
    require(current_user, "notifications.manage")
    if request.form.get("all"):
        n = services.mark_read(current_user)
    else:
        n = services.mark_read(current_user, _ids(request.form.getlist("id"), 500))
    if wants_json():
        return jsonify(marked=n, unread=services.unread_count(current_user))
    flash(f"Marked {n} notification{'s' if n != 1 else ''} read." if n else "Nothing new to mark.", "success")
    return redirect(_back(url_for("notifications.index")))


@bp.route("/notifications/settings", methods=["GET", "POST"])
def settings():
    require(current_user, "notifications.manage")
    errors: dict[str, str] = {}
    modes = {k: services.email_mode(current_user.id, k) for k in kinds.KINDS}
    if request.method == "POST":
        # Check every choice before saving any, so a refused form changes nothing
        # and comes back with what was picked.
        chosen: dict[str, EmailMode] = {}
        for kind in kinds.KINDS.values():
            value = request.form.get(f"email-{kind.name}")
            if value is None:
                continue
            if value not in MODES:
                errors[kind.name] = "Choose at once, daily digest, weekly digest or off."
            elif value == "off" and not kind.optional:
                errors[kind.name] = "These e-mails can't be turned off: they are about your account."
            else:
                chosen[kind.name] = EmailMode(value)
        if not errors:
            for name, mode in chosen.items():
                if mode != modes[name]:
                    services.set_email_mode(current_user, name, mode)
            flash("Your e-mail choices are saved.", "success")
            return redirect(url_for("notifications.settings"))
        modes.update(chosen)
    return render_template("notifications/settings.html", kinds=kinds.KINDS, modes=modes, errors=errors,
                           modes_offered=MODES, watches=services.watch_targets(current_user)), 400 if errors else 200


@bp.post("/watch/<kind>/<int:target_id>")
def watch(kind: str, target_id: int):
    """Set the level on a thread, category or tag; forms send ``level``, scripts too."""
    require(current_user, "notifications.manage")
    try:
        kind_, ident, level = services.parse_watch(kind, target_id, request.form.get("level"))
    except Invalid as exc:
        reason = next(iter(exc.errors.values()))
        if wants_json():
            return json_error(reason, 422, errors=exc.errors)
        flash(reason, "error")
        return redirect(_back("/"))
    services.set_watch(current_user, kind_, ident, level)
    if wants_json():
        return jsonify(level=level.value)
    flash({Level.WATCHING: "You'll be told about every new post.", Level.NORMAL: "Back to normal notifications.",
           Level.MUTED: "Muted: you won't hear about this any more."}[level], "success")
    return redirect(_back("/"))


# -- @mentions in the editor ----------------------------------------------------------

def _suggest_rate() -> str:
    return current_app.config.get("USER_SUGGEST_RATE", "120 per minute")


def _thread_in_question() -> Thread | None:
    """The thread the editor is in (``thread=`` when answering, ``post=`` when
    editing), if the person may read it; otherwise none, never an error."""
    for name, model in (("thread", Thread), ("post", Post)):
        raw = request.args.get(name, "")
        if raw.isascii() and raw.isdigit():
            found = get_by_id(model, raw)
            thread = found.thread if isinstance(found, Post) else found
            if thread is not None and can(current_user, "thread.read", thread):
                return thread
            return None
    return None


@bp.get("/users/suggest")
@limiter.limit(_suggest_rate, key_func=user_or_address)
def suggest_users():
    """``?q=al&thread=12``: up to eight people to mention, as JSON."""
    require(current_user, "notifications.manage")
    q = request.args.get("q", "").removeprefix("@")
    return jsonify(people.suggest(q, viewer=current_user, thread=_thread_in_question()))


# -- unsubscribing without logging in ---------------------------------------------------

@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):
    """A confirmation page: a GET never changes anything (mail scanners follow links)."""
    try:
        user, kind = mail.check_unsubscribe(token)
    except mail.BadToken as exc:
        return render_template("notifications/unsubscribe.html", error=exc.reason), 400
    return render_template("notifications/unsubscribe.html", user=user, kind=kind, token=token,
                           label=None if kind == "*" else kinds.get(kind).label)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # the signed token is the proof; mail clients POST here one-click (RFC 8058)
def unsubscribe(token: str):
    try:
        user, kind = mail.check_unsubscribe(token)
    except mail.BadToken as exc:
        return render_template("notifications/unsubscribe.html", error=exc.reason), 400
    changed = mail.unsubscribe(user, kind)
    return render_template("notifications/unsubscribe.html", done=True, user=user, kind=kind, changed=changed,
                           label=None if kind == "*" else kinds.get(kind).label)


# -- the bell and the watch buttons --------------------------------------------------------

def nav_badges() -> list[Markup]:
    if not current_user.is_authenticated:
        return []
    return [Markup(render_template("notifications/_bell.html", count=services.unread_count(current_user)))]


def thread_tools(thread) -> list[Markup]:
    if not current_user.is_authenticated or not can(current_user, "thread.read", thread):
        return []
    level = services.level(current_user, thread)
    return [Markup(render_template("notifications/_watch.html", kind="thread", target=thread, level=level,
                                   noun="thread"))]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    hooks.provide(app, "nav_badges", nav_badges)
    hooks.provide(app, "thread_tools", thread_tools)
    app.add_template_global(lambda kind, target: services.level_on(current_user, WatchKind(kind), target.id)
                            if current_user.is_authenticated else None, "watch_level")
