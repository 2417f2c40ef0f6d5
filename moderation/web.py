"""Moderation's pages: flagging a post, the review queue, the audit log.

Views are thin: parse, authorize through :func:`forum.permissions.can`, call one
service from :mod:`moderation.services`, redirect (POST/redirect/GET). Every action
also answers JSON when a script asks for it (``Accept: application/json``), which is
how ``static/js/moderation.js`` decides an item in one keypress. The forum's
templates know nothing of moderation: this module provides their ``post_actions``,
``thread_tools``, ``profile_panels`` and ``nav_badges`` hooks (:mod:`forum.hooks`).
"""
from __future__ import annotations

from flask import Blueprint, Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from forum import hooks
from forum.db import Conflict
from forum.errors import Invalid, NotFound, require
from forum.accounts.services import get_user
from forum.models import Post, Thread, User
from forum.permissions import can
from forum.threads.actions import (acting_user, action, post_url, readable_post, readable_thread, thread_url,
                                   wants_json)

from . import api, queries, services

bp = Blueprint("moderation", __name__)

DECIDED = "This item was already decided; the queue has moved on."
ITEM_ACTIONS = ("approve", "reject", "hide", "dismiss", "edit_approve", "suspend", "silence")
THREAD_ACTIONS = ("lock", "close_duplicate")
BULK_ACTIONS = ("approve", "reject", "dismiss")
MESSAGES = {
    "approve": "Approved.", "reject": "Rejected: the post is deleted.", "hide": "Hidden.",
    "dismiss": "Flags dismissed: no violation.", "edit_approve": "Edited and approved.",
    "suspend": "The author is suspended.", "silence": "The author is silenced.",
    "lock": "Thread locked.", "close_duplicate": "Thread closed as a duplicate.",
}


# -- Flagging ------------------------------------------------------------------------

def _flag_form_values() -> dict[str, str]:
    return {k: (request.form.get(k) or "").strip() for k in ("reason", "note", "duplicate")}


@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
@action
def flag(post_id: int):
    """Flag a post for the moderators: a reason, a note, a link for duplicates."""
    post = readable_post(post_id)
    require(current_user, "post.flag", post)
    values = _flag_form_values() if request.method == "POST" else {"reason": "", "note": "", "duplicate": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            duplicate_of = None
            if values["reason"] == "duplicate":
                duplicate_of = queries.thread_by_reference(values["duplicate"])
                if duplicate_of is None:
                    raise Invalid({"duplicate": "Paste the link (or the number) of the earlier thread."})
            services.flag_post(post, by=acting_user(), reason=values["reason"], note=values["note"],
                               duplicate_of=duplicate_of)
        except Invalid as exc:
            if wants_json():
                raise
            errors = exc.errors
        else:
            message = "Thanks: the moderators will look at this post. You'll see the outcome here."
            if wants_json():
                return jsonify(message=message), 201
            flash(message, "success")
            return redirect(post_url(post))
    status = 422 if errors else 200
    return render_template("moderation/flag.html", post=post, values=values, errors=errors,
                           reasons=queries.REASONS, help=queries.REASON_HELP), status


def post_actions(post: Post) -> list[Markup]:
    """The flag control under a post, and the viewer's own flag's outcome.

    The viewer's flags for the whole thread are loaded once per request, so a page
    of answers costs one query, not one per answer.
    """
    if not current_user.is_authenticated:
        return []
    cache = g.setdefault("_moderation_my_flags", {})
    if post.thread_id not in cache:
        cache[post.thread_id] = queries.my_flags_in_thread(post.thread_id, current_user)
    mine = cache[post.thread_id].get(post.id)
    if mine is None and not can(current_user, "post.flag", post):
        return []
    return [Markup(render_template("moderation/_flag_control.html", post=post, mine=mine,
                                   reasons=queries.REASONS, help=queries.REASON_HELP))]


def nav_badges() -> list[Markup]:
    """A "Review" link with the number of pending items, for people who review."""
    if not current_user.is_authenticated or not can(current_user, "review.access"):
        return []
    return [Markup(render_template("moderation/_nav_badge.html", count=services.pending_count()))]


# -- The queue -----------------------------------------------------------------------

@bp.get("/review")
def review():
    """The one queue: flagged and queued posts, suspect users, best-scored first."""
    require(current_user, "review.access")
    try:
        filters = queries.parse_queue_filters(request.args)
    except Invalid as exc:
        return render_template("moderation/review.html", errors=exc.errors, page=None, filters=dict(request.args),
                               **_choices()), 400
    page = queries.queue(**filters)
    query_args = {k: v for k, v in filters.items() if v and k != "page"}
    return render_template("moderation/review.html", page=page, filters=filters, errors={}, query_args=query_args,
                           can_act=bool(can(current_user, "moderation.act")), **_choices())


def _choices() -> dict:
    return {"kinds": queries.KINDS, "reasons": queries.REASONS, "sorts": queries.SORTS,
            "durations": queries.DURATIONS, "statuses": queries.STATUSES}


def _item_or_404(item_id: int):
    item = queries.get_item(item_id)
    if item is None:
        raise NotFound()
    return item


def _back():
    target = request.form.get("next") or ""
    # Only a path on this site: never an address someone slipped into the form.
    if not target.startswith("/review") or target.startswith("//"):
        target = url_for("moderation.review")
    return redirect(target)


def _decided(message: str = DECIDED):
    if wants_json():
        return jsonify(error=message), 409
    flash(message, "info")
    return _back()


@bp.post("/review/<int:item_id>/claim")
@action
def claim(item_id: int):
    """Take an item so other moderators skip it; claiming again releases nothing."""
    item = _item_or_404(item_id)
    require(current_user, "moderation.act", item)
    try:
        services.claim(item, by=acting_user())
    except Conflict:
        return _decided("Someone else claimed or decided this item first.")
    if wants_json():
        return jsonify(item=item.id, claimed_by=current_user.username)
    flash("Claimed: other moderators see it is yours.", "success")
    return _back()


@bp.post("/review/<int:item_id>")
@action
def decide(item_id: int):
    """Decide one item: ``action`` is an item action or a thread action."""
    item = _item_or_404(item_id)
    name = request.form.get("action") or ""
    reason = (request.form.get("reason") or "").strip()
    if name not in ITEM_ACTIONS + THREAD_ACTIONS:
        raise Invalid({"action": "Choose an action from the item's buttons."})
    require(current_user, "moderation.act", item)
    try:
        if name in THREAD_ACTIONS:
            _thread_action(item, name, reason)
        else:
            kw = {}
            if name in ("suspend", "silence"):
                kw["duration"] = request.form.get("duration") or "24h"
            if name == "edit_approve":
                kw["body"] = request.form.get("body") or ""
            services.perform(item, name, by=acting_user(), reason=reason, **kw)
    except Conflict:
        return _decided()
    if wants_json():
        return jsonify(item=item.id, action=name, status=queries.value(item.status), message=MESSAGES[name])
    flash(MESSAGES[name], "success")
    return _back()


def _thread_action(item, name: str, reason: str) -> None:
    post = queries.entries([item])[0].post
    if post is None:
        raise Invalid({"action": "This item is not a post; there is no thread to change."})
    if name == "lock":
        services.lock_thread(post.thread, by=acting_user(), reason=reason)
        return
    original = queries.thread_by_reference(request.form.get("duplicate") or "")
    if original is None:
        raise Invalid({"duplicate": "Paste the link (or the number) of the thread this one duplicates."})
    services.close_as_duplicate(post.thread, duplicate_of=original, by=acting_user(), reason=reason)


@bp.post("/review/bulk")
@action
def bulk():
    """Approve, reject or dismiss every selected item at once."""
    require(current_user, "moderation.act")
    name = request.form.get("action") or ""
    if name not in BULK_ACTIONS:
        raise Invalid({"action": "Bulk actions are approve, reject and dismiss."})
    ids = [int(i) for i in request.form.getlist("item") if i.isdigit() and len(i) < 18]
    items = [i for i in (queries.get_item(n) for n in ids[:200]) if i is not None]
    if not items:
        if wants_json():
            return jsonify(error="Select at least one item."), 400
        flash("Select at least one item first.", "info")
        return _back()
    done = services.bulk_perform(items, name, by=acting_user(), reason=(request.form.get("reason") or "").strip())
    count = len(done) if isinstance(done, (list, tuple)) else len(items)
    message = f"{MESSAGES[name].rstrip('.')}: {count} item{'s' if count != 1 else ''}."
    if wants_json():
        return jsonify(count=count, items=[i.id for i in items], message=message)
    flash(message, "success")
    return _back()


# -- Threads: lock, close as duplicate, reopen ---------------------------------------

THREAD_TOOL_ACTIONS = {
    "lock": ("thread.lock", "Thread locked: it takes no new answers."),
    "unlock": ("thread.lock", "Thread unlocked."),
    "close_duplicate": ("thread.close", "Thread closed as a duplicate."),
    "reopen": ("thread.close", "Thread reopened."),
}


def thread_tools(thread: Thread) -> list[Markup]:
    """The moderation card in a thread's sidebar, for people who may lock or close it."""
    if not current_user.is_authenticated:
        return []
    allowed = {name: bool(can(current_user, permission, thread))
               for name, (permission, _message) in THREAD_TOOL_ACTIONS.items()}
    if not any(allowed.values()):
        return []
    return [Markup(render_template("moderation/_thread_tools.html", thread=thread, allowed=allowed))]


@bp.post("/t/<int:thread_id>/moderate")
@action
def moderate_thread(thread_id: int):
    """Lock, unlock, close as a duplicate of another thread, or reopen."""
    thread = readable_thread(thread_id)
    name = request.form.get("action") or ""
    if name not in THREAD_TOOL_ACTIONS:
        raise Invalid({"action": "Choose lock, unlock, close as duplicate or reopen."})
    permission, message = THREAD_TOOL_ACTIONS[name]
    require(current_user, permission, thread)
    reason = (request.form.get("reason") or "").strip()
    by = acting_user()
    try:
        if name == "close_duplicate":
            original = queries.thread_by_reference(request.form.get("duplicate") or "")
            if original is None:
                raise Invalid({"duplicate": "Paste the link (or the number) of the thread this one duplicates."})
            services.close_as_duplicate(thread, duplicate_of=original, by=by, reason=reason)
        else:
            {"lock": services.lock_thread, "unlock": services.unlock_thread,
             "reopen": services.reopen_thread}[name](thread, by=by, reason=reason)
    except Invalid as exc:
        if wants_json():
            raise
        flash(" ".join(exc.errors.values()), "error")
        return redirect(thread_url(thread))
    except Conflict as exc:
        if wants_json():
            return jsonify(error=str(exc)), 409
        flash(str(exc), "info")
        return redirect(thread_url(thread))
    if wants_json():
        return jsonify(thread=thread.id, action=name, message=message)
    flash(message, "success")
    return redirect(thread_url(thread))


# -- Users: suspend, silence, lift ---------------------------------------------------

SANCTIONS = {
    "suspend": "suspended", "silence": "silenced", "unsuspend": "no longer suspended",
    "unsilence": "no longer silenced",
}


def profile_panels(user: User, where: str = "content") -> list[Markup]:
    """On a profile's sidebar, for moderators: the account's standing and sanctions."""
    if where != "sidebar" or not current_user.is_authenticated or not can(current_user, "moderation.audit"):
        return []
    return [Markup(render_template("moderation/_profile_panel.html", user=user,
                                   history=queries.author_histories([user]).get(user.id),
                                   can_sanction=bool(can(current_user, "user.suspend", user))))]


@bp.route("/u/<username>/moderate", methods=["GET", "POST"])
@action
def moderate_user(username: str):
    """A member's moderation record, and the form to suspend, silence or lift either."""
    user = get_user(username)
    if user is None:
        raise NotFound()
    require(current_user, "moderation.audit")
    values = {"action": "suspend", "duration": "24h", "reason": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        require(current_user, "user.suspend", user)
        values = {k: (request.form.get(k) or "").strip() for k in values}
        name = values["action"]
        try:
            if name not in SANCTIONS:
                raise Invalid({"action": "Choose suspend, silence, unsuspend or unsilence."})
            if name in ("suspend", "silence"):
                fn = services.suspend_user if name == "suspend" else services.silence_user
                fn(user, by=acting_user(), duration=values["duration"], reason=values["reason"])
            else:
                fn = services.unsuspend_user if name == "unsuspend" else services.unsilence_user
                fn(user, by=acting_user(), reason=values["reason"])
        except Invalid as exc:
            if wants_json():
                raise
            errors = exc.errors
        except Conflict as exc:
            if wants_json():
                return jsonify(error=str(exc)), 409
            errors = {"action": str(exc)}
        else:
            message = f"{user.name} is {SANCTIONS[name]}."
            if wants_json():
                return jsonify(user=user.username, action=name, message=message)
            flash(message, "success")
            return redirect(url_for("moderation.moderate_user", username=user.username))
    return render_template("moderation/user.html", user=user, values=values, errors=errors,
                           durations=queries.DURATIONS,
                           history=queries.author_histories([user]).get(user.id),
                           record=queries.audit_log(user=user.username, per_page=20).items,
                           can_sanction=bool(can(current_user, "user.suspend", user)),
                           refusal=can(current_user, "user.suspend", user).reason), 422 if errors else 200


# -- The audit log -------------------------------------------------------------------

@bp.get("/admin/audit")
def audit():
    """Every moderation action, newest first, filterable by who, what, whom and when."""
    require(current_user, "moderation.audit")
    try:
        filters = queries.parse_audit_filters(request.args)
    except Invalid as exc:
        return render_template("moderation/audit.html", page=None, errors=exc.errors, filters=dict(request.args),
                               actions=queries.audit_actions()), 400
    query_args = {k: str(v) for k, v in filters.items() if v and k != "page"}
    return render_template("moderation/audit.html", page=queries.audit_log(**filters), errors={}, query_args=query_args,
                           filters=filters, actions=queries.audit_actions())


def init_app(app: Flask) -> None:
    """Register the pages, the API and the template hooks."""
    app.register_blueprint(bp)
    api.init_app(app)
    hooks.provide(app, "post_actions", post_actions)
    hooks.provide(app, "nav_badges", nav_badges)
    hooks.provide(app, "thread_tools", thread_tools)
    hooks.provide(app, "profile_panels", profile_panels)
    app.add_template_filter(queries.reason_label, "flag_reason")
    app.add_template_filter(queries.action_label, "moderation_action")
    app.add_template_filter(queries.since_label, "account_age")
    app.add_template_filter(queries.value, "enum_value")
