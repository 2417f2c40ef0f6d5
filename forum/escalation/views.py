"""Escalation pages: the thread page's "I still need help" and "Escalate to support",
the staff queue with its figures and each escalation's deliveries, and the admins'
webhook endpoints, delivery log and dead letters.

Views are thin: parse, authorize with ``can``, call one service, flash and redirect.
A rejected form comes back with what was typed and status 400. A new or rotated
secret is shown once, in the answer to the POST that made it (never stored in the
session cookie), with ``Cache-Control: no-store``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import hooks
from ..db import Conflict, utcnow
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..models import Thread, ThreadStatus
from ..permissions import can
from ..threads.actions import acting_user, action, bad_request, readable_thread, thread_url
from . import delivery, endpoints, queries, services
from .models import Delivery, Escalation, LastCall, TicketStatus

bp = Blueprint("escalation", __name__)

PERIODS = (7, 30, 90, 365)
ENDPOINT_FIELDS = ("url", "description", "format", "credentials", "secret")


# -- the thread page -------------------------------------------------------------------

@dataclass
class ThreadSupport:
    """What the thread page shows about support for the current viewer."""
    escalation: Escalation | None
    last_call: LastCall | None
    show_status: bool
    staff: bool
    request: Any  # the viewer's escalation.request decision
    waiting: bool  # refused only because the community has not had its chance yet


def _load(thread_id: int, *, last_call: bool) -> tuple[Escalation | None, LastCall | None]:
    """The thread's escalation and, when asked for, its last call: one query."""
    columns = [Escalation, LastCall] if last_call else [Escalation]
    q = sa.select(*columns).select_from(Thread).outerjoin(Escalation, Escalation.thread_id == Thread.id)
    if last_call:
        q = q.outerjoin(LastCall, LastCall.thread_id == Thread.id)
    row = db.session.execute(q.where(Thread.id == thread_id)).first()
    if row is None:
        return None, None
    return row[0], (row[1] if last_call else None)


def _last_call_possible(thread: Thread) -> bool:
    """Whether the sweep could have sent this thread its last call yet (saves a query
    on the pages of young threads and in categories that never escalate)."""
    config = current_app.config
    hours = float(config["ESCALATE_AFTER_HOURS"] or 0)
    if hours <= 0 or not thread.category.auto_escalate:
        return False
    notice = min(float(config["ESCALATE_LAST_CALL_HOURS"]), hours)
    return thread.created_at <= utcnow() - timedelta(hours=hours - notice)


def thread_support(thread: Thread) -> ThreadSupport:
    """For the thread page's templates (cached per request): the escalation, the last
    call, and what the viewer may see and do.

    At most one query, and none where nothing could be shown: staff always look; the
    asker and whoever may see the status look on escalated threads; the asker of an
    open thread looks for a last call once one could have been sent. (The help desk's
    reply is recognised by its author, so no one needs the escalation for that.)"""
    cache = g.setdefault("_escalation_support", {})
    if thread.id in cache:
        return cache[thread.id]
    user = acting_user()
    staff = bool(can(user, "escalation.view"))
    asker = user is not None and user.id == thread.author_id
    status_ok = bool(can(user, "escalation.status", thread))
    is_open = thread.status == ThreadStatus.OPEN
    want_last_call = (asker or staff) and is_open and _last_call_possible(thread)
    escalation = last_call = None
    if staff or want_last_call or (status_ok and thread.status == ThreadStatus.ESCALATED):
        escalation, last_call = _load(thread.id, last_call=want_last_call)
    decision = can(user, "escalation.request", thread) if asker and escalation is None else None
    waiting = bool(decision is not None and not decision and is_open and thread.accepted_post_id is None
                   and thread.answer_count == 0 and thread.is_visible and not user.is_suspended)
    cache[thread.id] = ThreadSupport(escalation=escalation, last_call=last_call if escalation is None else None,
                                     staff=staff, request=decision, waiting=waiting,
                                     show_status=bool(escalation and status_ok))
    return cache[thread.id]


def is_support_reply(post) -> bool:
    """Whether ``post`` is the help desk's reply (posted by the support account)."""
    return post.author.username_key == current_app.config["SUPPORT_USERNAME"].lower()


def thread_tools(thread: Thread) -> list[Markup]:
    """The support card in the thread sidebar, for moderators and above."""
    if not current_user.is_authenticated or not can(current_user, "escalation.view"):
        return []
    support = thread_support(thread)
    if support.escalation is None and not can(current_user, "escalation.create", thread):
        return []
    return [Markup(render_template("escalation/_thread_tools.html", thread=thread, support=support,
                                   values={}, errors={}))]


def _escalate_page(thread: Thread, values: dict[str, str], errors: dict[str, str], status: int = 200):
    staff = bool(can(current_user, "escalation.create", thread))
    return render_template("escalation/escalate.html", thread=thread, staff=staff, values=values, errors=errors,
                           support=thread_support(thread)), status


@bp.route("/t/<int:thread_id>/escalate", methods=["GET", "POST"])
@action
def escalate(thread_id: int):
    """The asker's "I still need help" or staff's "Escalate to support", with a note."""
    thread = readable_thread(thread_id)
    user = acting_user()
    if user is None:
        require(user, "escalation.request", thread)
    asker_form = thread.author_id == user.id and not user.is_moderator
    # An old tab pressed again: say where it stands rather than refuse.
    if services.for_thread(thread.id) is not None and can(user, "escalation.status", thread):
        flash("This thread is already with the support team.", "info")
        return redirect(thread_url(thread))
    require(user, "escalation.request" if asker_form else "escalation.create", thread)
    values = {"note": request.form.get("note", "")}
    if request.method == "GET":
        return _escalate_page(thread, values, {})
    if not asker_form and not values["note"].strip():
        return _escalate_page(thread, values, {"note": "Tell the support team why this needs them."}, 400)
    try:
        services.escalate(thread, by=user, note=values["note"])
    except Invalid as exc:
        return _escalate_page(thread, values, exc.errors, 400)
    except Conflict:
        flash("This thread is already with the support team.", "info")
        return redirect(thread_url(thread))
    if asker_form:
        flash("Your question and its answers went to our support team. You'll see their progress here.", "success")
    else:
        flash("Escalated to support. The help desk gets the whole thread.", "success")
    return redirect(thread_url(thread))


# -- the staff queue ---------------------------------------------------------------------

def _period() -> int:
    try:
        days = int(request.args.get("period", "30"))
    except ValueError:
        days = 30
    return days if days in PERIODS else 30


@bp.get("/support/escalations")
def queue():
    """Escalated threads, newest first, with the support figures for a period."""
    require(current_user, "escalation.view")
    status, deliv = request.args.get("status", ""), request.args.get("delivery", "")
    try:
        page = queries.escalations(status=status or None, delivery=deliv or None,
                                   cursor=request.args.get("cursor") or None)
    except Invalid as exc:
        return bad_request(exc.errors)
    days = _period()
    now = utcnow()
    return render_template("escalation/queue.html", page=page, figures=queries.figures(now - timedelta(days=days), now),
                           days=days, periods=PERIODS, status=status, delivery=deliv, now=now,
                           statuses=[s.value for s in TicketStatus], deliveries=[d.value for d in Delivery])


@bp.get("/support/escalations/<int:escalation_id>")
def show(escalation_id: int):
    """One escalation: its note, its ticket, and every message with every attempt."""
    require(current_user, "escalation.view")
    found = queries.escalation(escalation_id)
    if found is None:
        raise NotFound()
    log = queries.messages(escalation_id=found.id, limit=100)
    return render_template("escalation/show.html", escalation=found, messages=log.items,
                           attempts=queries.attempts([m.id for m in log.items]))


@bp.post("/support/messages/<message_id>/redeliver")
@action
def redeliver(message_id: str):
    """Send one message again under its ``webhook-id`` (admins)."""
    require(current_user, "webhooks.manage")
    if not message_id.startswith("msg_") or len(message_id) > 40:
        raise NotFound()
    try:
        delivery.redeliver(message_id, by=acting_user())
    except Conflict:
        flash("This message is still being delivered; it can be sent again once it succeeds or gives up.", "info")
    except Invalid as exc:
        flash(" ".join(exc.errors.values()), "error")
    else:
        flash(f"Message {message_id} is queued for delivery again.", "success")
    return redirect(_back(url_for("escalation.dead")))


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if target.startswith(("/support/", "/admin/webhooks")) and "//" not in target else default


# -- admin: webhook endpoints -------------------------------------------------------------

def _endpoint_values(source: Any = None) -> dict[str, Any]:
    if source is not None:
        return {"url": source.url, "description": source.description, "format": source.format.value,
                "credentials": "", "secret": "", "event_types": list(source.event_types),
                "personal_data": source.personal_data, "allow_private": source.allow_private}
    values: dict[str, Any] = {name: request.form.get(name, "") for name in ENDPOINT_FIELDS}
    values["event_types"] = request.form.getlist("event_types")
    values["personal_data"] = request.form.get("personal_data") == "1"
    values["allow_private"] = request.form.get("allow_private") == "1"
    return values


def _webhooks_page(values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200):
    return render_template("escalation/webhooks.html", endpoints=queries.endpoints(),
                           counts=queries.endpoint_counts(), event_types=endpoints.EVENT_TYPES,
                           values=values or {"event_types": ["thread.escalated"], "format": "standard"},
                           errors=errors or {}), status


def _secret_page(endpoint, secret: str, *, rotated: bool):
    response = render_template("escalation/secret.html", endpoint=endpoint, secret=secret, rotated=rotated)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/admin/webhooks", methods=["GET", "POST"])
@action
def webhooks():
    """Every endpoint, and the form to add one."""
    require(current_user, "webhooks.manage")
    if request.method == "GET":
        return _webhooks_page()
    values = _endpoint_values()
    try:
        endpoint, secret = endpoints.add_endpoint(
            by=acting_user(), url=values["url"], secret=values["secret"], fmt=values["format"],
            event_types=values["event_types"], personal_data=values["personal_data"],
            allow_private=values["allow_private"], description=values["description"],
            credentials=values["credentials"])
    except Invalid as exc:
        values["secret"] = ""
        return _webhooks_page(values, exc.errors, 400)
    return _secret_page(endpoint, secret, rotated=False)


def _endpoint_page(endpoint, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                   status: int = 200):
    try:
        log = queries.messages(endpoint_id=endpoint.id, cursor=request.args.get("cursor") or None, limit=25)
    except Invalid as exc:
        return bad_request(exc.errors)
    default_since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    return render_template("escalation/endpoint.html", endpoint=endpoint, log=log,
                           attempts=queries.attempts([m.id for m in log.items]), event_types=endpoints.EVENT_TYPES,
                           values=values or _endpoint_values(endpoint), errors=errors or {},
                           since=request.form.get("since", default_since), is_first=not request.args.get("cursor")
                           ), status


@bp.route("/admin/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@action
def endpoint(endpoint_id: int):
    """An endpoint's settings and its delivery log; POST saves the settings."""
    require(current_user, "webhooks.manage")
    found = endpoints.get_endpoint(endpoint_id)
    if request.method == "GET":
        return _endpoint_page(found)
    values = _endpoint_values()
    changes = dict(url=values["url"], description=values["description"], fmt=values["format"],
                   event_types=values["event_types"], personal_data=values["personal_data"],
                   allow_private=values["allow_private"])
    if values["credentials"].strip():
        changes["credentials"] = values["credentials"]
    elif request.form.get("clear_credentials") == "1":
        changes["credentials"] = ""
    try:
        endpoints.update_endpoint(found, by=acting_user(), **changes)
    except Invalid as exc:
        return _endpoint_page(found, values, exc.errors, 400)
    flash("Endpoint saved.", "success")
    return redirect(url_for("escalation.endpoint", endpoint_id=found.id))


@bp.post("/admin/webhooks/<int:endpoint_id>/active")
@action
def set_active(endpoint_id: int):
    require(current_user, "webhooks.manage")
    found = endpoints.get_endpoint(endpoint_id)
    active = request.form.get("active") == "1"
    endpoints.enable(found, by=acting_user(), active=active)
    flash("Endpoint enabled: new events go to it." if active else
          "Endpoint disabled: its pending messages give up and nothing new is sent.", "success")
    return redirect(url_for("escalation.endpoint", endpoint_id=endpoint_id))


@bp.post("/admin/webhooks/<int:endpoint_id>/rotate")
@action
def rotate(endpoint_id: int):
    require(current_user, "webhooks.manage")
    found, secret = endpoints.rotate_secret(endpoints.get_endpoint(endpoint_id), by=acting_user())
    return _secret_page(found, secret, rotated=True)


@bp.post("/admin/webhooks/<int:endpoint_id>/test")
@action
def send_test(endpoint_id: int):
    require(current_user, "webhooks.manage")
    message = endpoints.send_test(endpoints.get_endpoint(endpoint_id), by=acting_user())
    flash(f"Test event {message.id} is queued; its attempts appear in the log below.", "success")
    return redirect(url_for("escalation.endpoint", endpoint_id=endpoint_id, _anchor="log"))


def _parse_since(value: str) -> datetime | None:
    try:
        parsed = datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return parsed.replace(tzinfo=timezone.utc)


@bp.post("/admin/webhooks/<int:endpoint_id>/replay")
@action
def replay(endpoint_id: int):
    """Queue again every dead message to this endpoint created since a time (UTC)."""
    require(current_user, "webhooks.manage")
    found = endpoints.get_endpoint(endpoint_id)
    since = _parse_since(request.form.get("since", ""))
    if since is None:
        return _endpoint_page(found, errors={"since": "Give a date and time like 2026-11-23T09:30 (UTC)."},
                              status=400)
    if not found.active:
        return _endpoint_page(found, errors={"since": "Enable the endpoint before replaying to it."}, status=400)
    n = delivery.replay_failed(by=acting_user(), since=since, endpoint_id=found.id)
    flash(f"{n} failed {'message is' if n == 1 else 'messages are'} queued again." if n else
          "No failed messages since then.", "success" if n else "info")
    return redirect(url_for("escalation.endpoint", endpoint_id=endpoint_id, _anchor="log"))


@bp.get("/admin/webhooks/dead")
def dead():
    """Messages that gave up after their last retry, newest first."""
    require(current_user, "webhooks.manage")
    try:
        page = queries.dead_letters(cursor=request.args.get("cursor") or None)
    except Invalid as exc:
        return bad_request(exc.errors)
    return render_template("escalation/dead.html", page=page, attempts=queries.attempts([m.id for m in page.items]),
                           is_first=not request.args.get("cursor"))


# -- navigation --------------------------------------------------------------------------

def nav_badges() -> list[Markup]:
    """"Support" with the number of escalations that reached no help desk."""
    if not current_user.is_authenticated or not can(current_user, "escalation.view"):
        return []
    return [Markup(render_template("escalation/_nav_badge.html", count=queries.attention_count()))]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(thread_support, "thread_support")
    app.add_template_global(is_support_reply, "is_support_reply")
    hooks.provide(app, "thread_tools", thread_tools)
    hooks.provide(app, "nav_badges", nav_badges)
