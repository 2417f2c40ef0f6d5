"""The one permission policy: ``can(user, action, target)``.

Views, API endpoints and templates all ask here; nothing else decides. A decision is
truthy when allowed and carries the reason when not, so pages can explain what a
person needs ("Vote down needs 125 reputation") instead of hiding it silently.

Roles rank member < moderator < staff < admin. Reputation privileges come from the
``PRIVILEGES`` thresholds in config (the reputation package sets the presets).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app
from flask_login import AnonymousUserMixin

from .db import utcnow
from .models import Post, PostState, Role, Thread, ThreadStatus, User


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    #: HTTP status a refused request answers: 401 asks to log in, 403 forbids.
    status: int = 403

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
LOGIN = Decision(False, "Log in to do this.", 401)


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


def _user(user: Any) -> User | None:
    if user is None or isinstance(user, AnonymousUserMixin) or not getattr(user, "is_authenticated", False):
        return None
    return user


def _active(user: User | None) -> Decision:
    if user is None:
        return LOGIN
    if user.is_suspended:
        return _deny(_sanction_message("suspended", user.suspended_until, user.suspension_reason))
    return ALLOW


def _can_post(user: User | None) -> Decision:
    """Active and not silenced: silenced people read, vote and flag, but don't write."""
    if not (d := _active(user)):
        return d
    if user.is_silenced:
        return _deny(_sanction_message("silenced", user.silenced_until, user.suspension_reason))
    return ALLOW


def _sanction_message(what: str, until, reason: str) -> str:
    # The year 9999 is how a permanent sanction is stored.
    when = "permanently" if until.year >= 9999 else f"until {until:%Y-%m-%d %H:%M} UTC"
    return f"Your account is {what} {when}" + (f": {reason}" if reason else ".")


def _privilege(user: User, name: str, label: str) -> Decision:
    need = current_app.config["PRIVILEGES"].get(name, 1)
    if user.is_moderator or user.reputation >= need:
        return ALLOW
    return _deny(f"{label} needs {need} reputation.")


def _role(user: User | None, role: Role, what: str) -> Decision:
    if user is None:
        return LOGIN
    if user.has_role(role):
        return ALLOW
    return _deny(f"Only {role.value}s and above can {what}.")


# Each rule: (user or None, target) -> Decision.
def _read_post(user: User | None, post: Post) -> Decision:
    if post.state == PostState.VISIBLE:
        return ALLOW
    if user is not None and (user.is_moderator or (post.author_id == user.id and post.state != PostState.DELETED)):
        return ALLOW
    return Decision(False, "This post is not available.", 404)


def _read_thread(user: User | None, thread: Thread) -> Decision:
    if thread.state == PostState.VISIBLE:
        return ALLOW
    if user is not None and (user.is_moderator or (thread.author_id == user.id and thread.state != PostState.DELETED)):
        return ALLOW
    return Decision(False, "This thread is not available.", 404)


def _ask(user: User | None, _target: Any) -> Decision:
    return _can_post(user)


def _answer(user: User | None, thread: Thread) -> Decision:
    if not (d := _can_post(user)):
        return d
    if thread.locked and not user.is_moderator:
        return _deny("This thread is locked.")
    if thread.status == ThreadStatus.CLOSED and not user.is_moderator:
        return _deny("This thread is closed: it no longer takes answers.")
    return ALLOW


def _edit_post(user: User | None, post: Post) -> Decision:
    if not (d := _can_post(user)):
        return d
    if post.is_deleted:
        return _deny("Deleted posts can't be edited.")
    if post.author_id == user.id or user.is_moderator:
        return ALLOW
    need = current_app.config["PRIVILEGES"].get("edit_others", 1)
    if user.reputation >= need and post.is_visible:
        return ALLOW
    return _deny(f"You can only edit your own posts: editing others' posts needs {need} reputation.")


def _flag(user: User | None, post: Post) -> Decision:
    if not (d := _active(user)):
        return d
    if post.author_id == user.id:
        return _deny("You can't flag your own post.")
    if post.is_deleted:
        return _deny("Deleted posts can't be flagged.")
    return _privilege(user, "flag", "Flagging posts")


def _earned(name: str, label: str) -> Callable[[User | None, Any], Decision]:
    """A rule that needs only an active account and the privilege ``name``."""
    def rule(user: User | None, _target: Any) -> Decision:
        if not (d := _active(user)):
            return d
        return _privilege(user, name, label)

    return rule


def _delete_post(user: User | None, post: Post) -> Decision:
    if not (d := _active(user)):
        return d
    if post.is_deleted:
        return _deny("This post is already deleted.")
    if user.is_moderator:
        return ALLOW
    if post.author_id != user.id:
        return _deny("You can only delete your own posts.")
    if post.is_question and post.thread.answer_count > 0:
        return _deny("A question with answers can't be deleted; ask a moderator.")
    return ALLOW


def _vote(direction: str) -> Callable[[User | None, Post], Decision]:
    name, label = ("vote_up", "Vote up") if direction == "up" else ("vote_down", "Vote down")

    def rule(user: User | None, post: Post) -> Decision:
        if not (d := _active(user)):
            return d
        if post.author_id == user.id:
            return _deny("You can't vote on your own post.")
        if not post.is_visible:
            return _deny("You can only vote on visible posts.")
        return _privilege(user, name, label)

    return rule


def _unvote(user: User | None, post: Post) -> Decision:
    # Retracting needs no privilege: someone who lost reputation can still undo a vote.
    if not (d := _active(user)):
        return d
    return ALLOW if post.author_id != user.id else _deny("You can't vote on your own post.")


def _accept(user: User | None, post: Post) -> Decision:
    if not (d := _active(user)):
        return d
    if post.is_question:
        return _deny("Only answers can be accepted.")
    if not post.is_visible:
        return _deny("Only visible answers can be accepted.")
    if post.thread.author_id == user.id or user.is_staff or user.is_moderator:
        return ALLOW
    return _deny("Only the person who asked can accept an answer.")


def _suspend(user: User | None, target: User | None) -> Decision:
    """Moderators sanction members; only admins sanction staff roles; nobody themselves."""
    if not (d := _role(user, Role.MODERATOR, "suspend or silence people")):
        return d
    if not (d := _active(user)):
        return d
    if target is None:
        return ALLOW
    if target.id == user.id:
        return _deny("You can't suspend or silence yourself.")
    if target.is_moderator and not user.has_role(Role.ADMIN):
        return _deny("Only admins can suspend or silence moderators, staff and admins.")
    return ALLOW


def _moderate(user: User | None, _target: Any) -> Decision:
    if not (d := _role(user, Role.MODERATOR, "moderate")):
        return d
    return _active(user)


def _decide(user: User | None, target: Any) -> Decision:
    """Moderators decide review items, but not about their own posts or account:
    another moderator does (admins, the last resort, may)."""
    if not (d := _moderate(user, target)):
        return d
    subject = target.author_id if isinstance(target, Post) else target.id if isinstance(target, User) else None
    if subject == user.id and not user.has_role(Role.ADMIN):
        return _deny("Another moderator decides items about your own posts or account.")
    return ALLOW


def _edit_profile(user: User | None, target: User) -> Decision:
    if user is None:
        return LOGIN
    if user.id == target.id or user.has_role(Role.ADMIN):
        return ALLOW
    return _deny("You can only change your own account.")


def _read_article(user: User | None, article: Any) -> Decision:
    # Drafts and archived articles are for staff: a missing page to everyone else.
    if article is None or getattr(article.status, "value", article.status) == "published":
        return ALLOW
    if user is not None and user.is_staff:
        return ALLOW
    return Decision(False, "This article is not available.", 404)


def _write_article(user: User | None, _article: Any) -> Decision:
    if not (d := _role(user, Role.STAFF, "write knowledge-base articles")):
        return d
    return _active(user)


def _promote(user: User | None, post: Post) -> Decision:
    if not (d := _write_article(user, None)):
        return d
    if post.is_question:
        return _deny("Only answers can be promoted to the knowledge base.")
    if not post.is_visible:
        return _deny("Only visible answers can be promoted.")
    return ALLOW


def _answer_with_article(user: User | None, thread: Thread) -> Decision:
    if not (d := _role(user, Role.MODERATOR, "answer with a knowledge-base article")):
        return d
    return _answer(user, thread)


def _article_feedback(user: User | None, article: Any) -> Decision:
    # Anyone who can read a published article may say whether it helped, logged in or not.
    if getattr(article.status, "value", article.status) != "published":
        return _deny("Feedback is for published articles.")
    if user is not None and user.is_suspended:
        return _active(user)
    return ALLOW


def _request_help(user: User | None, thread: Thread) -> Decision:
    """The asker's "I still need help": their own open, visible thread that has
    answers, or has waited ``ESCALATE_ASKER_WAIT_HOURS`` without one."""
    if not (d := _active(user)):
        return d
    if thread.author_id != user.id:
        return _deny("Only the person who asked can ask support for help with this thread.")
    if thread.state != PostState.VISIBLE:
        return _deny("This thread is not visible yet.")
    if thread.status != ThreadStatus.OPEN or thread.accepted_post_id is not None:
        return _deny("Only open threads without an accepted answer go to support.")
    if thread.answer_count == 0:
        hours = current_app.config["ESCALATE_ASKER_WAIT_HOURS"]
        waited = (utcnow() - thread.created_at).total_seconds() / 3600
        if waited < hours:
            return _deny(f"Give the community a chance: you can ask support once someone has answered, "
                         f"or {hours:g} hours after asking.")
    return ALLOW


def _escalate(user: User | None, thread: Thread) -> Decision:
    if not (d := _role(user, Role.MODERATOR, "escalate threads to support")):
        return d
    if not (d := _active(user)):
        return d
    if thread.state == PostState.DELETED:
        return _deny("Deleted threads can't be escalated.")
    return ALLOW


def _escalation_status(user: User | None, thread: Thread) -> Decision:
    """Who sees that a thread went to support and the ticket's status: the asker and
    moderators and above (the public does not, by default)."""
    if user is not None and (user.is_moderator or thread.author_id == user.id):
        return ALLOW
    if current_app.config["ESCALATION_STATUS_PUBLIC"] and thread.state == PostState.VISIBLE:
        return ALLOW
    return Decision(False, "This is visible to the asker and staff only.", 403 if user else 401)


RULES: dict[str, Callable[[User | None, Any], Decision]] = {
    "thread.read": _read_thread,
    "post.read": _read_post,
    "thread.create": _ask,
    "thread.answer": _answer,
    "post.edit": _edit_post,
    "post.delete": _delete_post,
    "post.vote_up": _vote("up"),
    "post.vote_down": _vote("down"),
    "post.unvote": _unvote,
    "post.accept": _accept,
    "post.flag": _flag,
    # Enforced by the thread services (links) and by the moderation issue (the rest).
    "post.links": _earned("post_links", "Posting links freely"),
    "post.skip_review": _earned("post_without_review", "Posting without review"),
    "post.trusted_flag": _earned("trusted_flags", "Trusted flags"),
    "thread.close": _earned("close_reopen", "Closing and reopening threads"),
    "thread.lock": _moderate,
    # The queue shows hidden and queued posts: moderators and above only.
    "review.access": _moderate,
    "moderation.act": _decide,
    "moderation.audit": _moderate,
    "user.suspend": _suspend,
    "user.edit": _edit_profile,
    "kb.read": _read_article,
    "kb.write": _write_article,
    "kb.promote": _promote,
    "kb.answer_with": _answer_with_article,
    "kb.feedback": _article_feedback,
    "category.manage": lambda user, _t: _role(user, Role.STAFF, "manage categories"),
    "jobs.manage": lambda user, _t: _role(user, Role.ADMIN, "manage jobs"),
    "escalation.request": _request_help,
    "escalation.create": _escalate,
    "escalation.status": _escalation_status,
    # The queue of escalated threads, their deliveries and the support figures.
    "escalation.view": _moderate,
    "webhooks.manage": lambda user, _t: _role(user, Role.ADMIN, "manage webhook endpoints"),
    # Watching, muting, reading one's notifications and choosing e-mails: any account,
    # suspended ones included (they still hear why).
    "notifications.manage": lambda user, _t: LOGIN if user is None else ALLOW,
}


def can(user: Any, action: str, target: Any = None) -> Decision:
    """Decide whether ``user`` (a User, anonymous, or None) may do ``action`` on ``target``."""
    try:
        rule = RULES[action]
    except KeyError:
        raise LookupError(f"unknown action {action!r}") from None
    return rule(_user(user), target)
