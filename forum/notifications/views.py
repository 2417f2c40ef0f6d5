"""Notification pages: the bell, the list (grouped; mark read, mark all read), the
e-mail settings with the watched threads, categories and tags, watch and mute
buttons, and the one-click unsubscribe page that needs no login.
"""
from __future__ import annotations

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import hooks
from ..errors import Invalid, NotFound, require
from ..extensions import csrf
from ..permissions import can
from ..threads.actions import wants_json
from . import kinds, mail, queries, services, text
from .models import EmailMode, Level, WatchKind

bp = Blueprint("notifications", __name__)


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith("//") else default


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
    ids = [int(i) for i in request.args.getlist("also") if i.isdigit()][:100]
    services.mark_read(current_user, [n.id, *ids])
    return redirect(text.link(n))


@bp.post("/notifications/read")
def read():
    require(current_user, "notifications.manage")
    if request.form.get("all"):
        n = services.mark_read(current_user)
    else:
        ids = [int(i) for i in request.form.getlist("id") if i.isdigit()][:500]
        n = services.mark_read(current_user, ids)
    if wants_json():
        return jsonify(marked=n, unread=services.unread_count(current_user))
    flash(f"Marked {n} notification{'s' if n != 1 else ''} read." if n else "Nothing new to mark.", "success")
    return redirect(_back(url_for("notifications.index")))


@bp.route("/notifications/settings", methods=["GET", "POST"])
def settings():
    require(current_user, "notifications.manage")
    errors: dict[str, str] = {}
    if request.method == "POST":
        for kind in kinds.KINDS.values():
            value = request.form.get(f"email-{kind.name}")
            if value is None:
                continue
            try:
                services.set_email_mode(current_user, kind.name, EmailMode(value))
            except (ValueError, Invalid) as exc:
                errors[kind.name] = next(iter(exc.errors.values())) if isinstance(exc, Invalid) else \
                    "Choose instant, daily, weekly or off."
        if not errors:
            flash("Your e-mail choices are saved.", "success")
            return redirect(url_for("notifications.settings"))
    modes = {k: services.email_mode(current_user.id, k) for k in kinds.KINDS}
    return render_template("notifications/settings.html", kinds=kinds.KINDS, modes=modes, errors=errors,
                           watches=services.watch_targets(current_user)), 400 if errors else 200


@bp.post("/watch/<kind>/<int:target_id>")
def watch(kind: str, target_id: int):
    """Set the level on a thread, category or tag; forms send ``level``, scripts too."""
    require(current_user, "notifications.manage")
    kind_, ident, level = services.parse_watch(kind, target_id, request.form.get("level"))
    services.set_watch(current_user, kind_, ident, level)
    if wants_json():
        return jsonify(level=level.value)
    flash({Level.WATCHING: "You'll be told about every new post.", Level.NORMAL: "Back to normal notifications.",
           Level.MUTED: "Muted: you won't hear about this any more."}[level], "success")
    return redirect(_back("/"))


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
