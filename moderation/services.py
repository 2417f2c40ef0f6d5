"""Moderation use cases: flags, the review queue, moderator actions, suspensions.

Every action runs in one :func:`forum.db.write_transaction` and writes exactly one
audit row (:class:`~moderation.models.ModerationAction`) beside the change it made.
Content changes go through the forum's own steps (:mod:`forum.threads.moderation`);
this package never writes forum rows' invariants by hand. An action on an item that
was already decided raises :class:`forum.errors.Conflict` (HTTP 409) and writes
nothing, which is what a second moderator racing the first one gets.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable

import sqlalchemy as sa
from flask import current_app

from forum.db import lock, utcnow, write_transaction
from forum.errors import Conflict, Invalid, require
from forum.extensions import db
from forum.models import Post, PostState, Thread, User
from forum.permissions import can
from forum.threads import moderation as content

from .audit import audit, target_type
from .models import Flag, FlagReason, FlagStatus, ItemKind, ItemStatus, ReviewItem
from .sanctions import (DURATIONS, FOREVER, check_duration, silence_user, suspend_user, unsilence_user,
                        unsuspend_user)
from .sanctions import ends_at as _until
from .sanctions import sanction as _sanction

#: Suspensions live in :mod:`.sanctions`; this module is the one entry callers import.
__all__ = ["DURATIONS", "audit", "bulk_perform", "claim", "close_as_duplicate", "enqueue", "flag_post",
           "hold_post", "lock_thread", "pending_count", "perform", "queue_post", "reopen_thread",
           "silence_user", "suspend_user", "unclaim", "unlock_thread", "unsilence_user", "unsuspend_user"]

ITEM_ACTIONS = ("approve", "reject", "hide", "dismiss", "edit_approve", "suspend", "silence")
ALREADY_DECIDED = "This item was already decided."
#: Weight of a moderator's (or staff's) flag: Discourse's staff weight.
STAFF_FLAG_WEIGHT = 5


# -- the queue -----------------------------------------------------------------------

def enqueue(target: Post | User, *, kind: str, reason: str, score: int | None = None) -> ReviewItem:
    """Put ``target`` in the queue inside the caller's transaction, or reopen the
    item it already has (status back to pending): one item per target, ever."""
    kind_of_target = target_type(target)
    now = utcnow()
    item = db.session.execute(sa.select(ReviewItem).where(
        ReviewItem.target_type == kind_of_target, ReviewItem.target_id == target.id)
        .with_for_update(key_share=True)).scalar_one_or_none()
    if item is None:
        item = ReviewItem(target_type=kind_of_target, target_id=target.id, kind=ItemKind(kind), reason=reason[:200],
                          score=score or 0, created_at=now, updated_at=now)
        db.session.add(item)
        db.session.flush()
        return item
    if item.status != ItemStatus.PENDING:
        item.status = ItemStatus.PENDING
        item.times_reopened += 1
        item.kind = ItemKind(kind)
        item.reason = reason[:200]
        item.handled_by_id = item.handled_at = None
        item.claimed_by_id = item.claimed_at = None
    elif kind == "flagged" and item.kind == ItemKind.QUEUED:
        # A queued post that also draws flags stays queued: it is not public yet.
        pass
    if score is not None:
        item.score = score
    item.updated_at = now
    return item


def queue_post(post: Post, *, reason: str) -> ReviewItem:
    """Hold ``post`` for review (a spam check tripped): it becomes queued, invisible
    to everyone but its author and moderators, and gets a pending ``queued`` item.

    A use case with its own transaction; from inside one (a listener) use
    :func:`hold_post`."""
    with write_transaction():
        return hold_post(post, reason=reason)


def hold_post(post: Post, *, reason: str) -> ReviewItem:
    """:func:`queue_post` as a step of the caller's transaction."""
    if post.state == PostState.VISIBLE:
        post = content.set_post_state(post, PostState.QUEUED, by=None)
    item = enqueue(post, kind="queued", reason=reason)
    audit("queue", by=None, target=post, item=item, reason=reason, after={"state": post.state.value})
    return item


def pending_count() -> int:
    """How many items wait for a decision (the moderators' badge)."""
    return db.session.execute(sa.select(sa.func.count()).select_from(ReviewItem)
                              .where(ReviewItem.status == ItemStatus.PENDING)).scalar_one()


def claim(item: ReviewItem, *, by: User) -> ReviewItem:
    """Assign a pending item to ``by`` so others skip it; someone else's claim stands."""
    require(by, "moderation.act")
    with write_transaction():
        item = _locked_pending(item)
        if item.claimed_by_id not in (None, by.id):
            raise Conflict("Someone else claimed this item.")
        item.claimed_by_id, item.claimed_at = by.id, utcnow()
    return item


def unclaim(item: ReviewItem, *, by: User) -> ReviewItem:
    """Give a claimed item back to the queue."""
    require(by, "moderation.act")
    with write_transaction():
        item = _locked_pending(item)
        if item.claimed_by_id == by.id:
            item.claimed_by_id = item.claimed_at = None
    return item


def _locked_pending(item: ReviewItem) -> ReviewItem:
    # The row lock serialises two moderators deciding the same item: the second
    # one waits, then sees it decided.
    locked = lock(ReviewItem, item.id)
    if locked is None or locked.status != ItemStatus.PENDING:
        raise Conflict(ALREADY_DECIDED)
    return locked


# -- flags ---------------------------------------------------------------------------

def flag_weight(user: User) -> int:
    """1 + the flagger's trust bonus: +1 with the trusted-flags privilege; staff weigh more."""
    if user.is_moderator:
        return STAFF_FLAG_WEIGHT
    return 2 if can(user, "post.trusted_flag") else 1


def flag_post(post: Post, *, by: User, reason: str, note: str = "",
              duplicate_of: Thread | int | None = None) -> Flag:
    """Flag ``post``; its queue item's score becomes the sum of its pending flags'
    weights. Crossing ``HIDE_FLAG_SCORE`` (or a moderator's flag) hides the post until
    reviewed; ``SILENCE_AFTER_SPAM_FLAGGERS`` people flagging a new user's posts as
    spam silence that user pending review."""
    require(by, "post.flag", post)
    config = current_app.config
    errors: dict[str, str] = {}
    try:
        reason_ = FlagReason(reason)
    except ValueError:
        reason_ = None
        errors["reason"] = "Pick a reason."
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > 500:
        errors["note"] = "Keep the note under 500 characters."
    if reason_ == FlagReason.NEEDS_MODERATOR and not note:
        errors["note"] = "Tell the moderators what they should look at."
    original = None
    if reason_ == FlagReason.DUPLICATE:
        original = _thread(duplicate_of)
        if original is None or original.state != PostState.VISIBLE:
            errors["duplicate_of"] = "Link the thread this one duplicates."
        elif original.id == post.thread_id:
            errors["duplicate_of"] = "A thread can't duplicate itself."
    if errors:
        raise Invalid(errors)
    with write_transaction():
        post = lock(Post, post.id)
        require(by, "post.flag", post)
        if db.session.execute(sa.select(Flag.id).where(Flag.user_id == by.id, Flag.post_id == post.id)).first():
            raise Invalid({"reason": "You already flagged this post."})
        since = utcnow() - timedelta(days=1)
        used = db.session.execute(sa.select(sa.func.count()).select_from(Flag).where(
            Flag.user_id == by.id, Flag.created_at > since)).scalar_one()
        if used >= config["FLAGS_PER_DAY"] and not by.is_moderator:
            raise Invalid({"reason": f"You have used your {config['FLAGS_PER_DAY']} flags for today; "
                                     "try again tomorrow."})
        flag = Flag(post_id=post.id, user_id=by.id, reason=reason_, note=note, weight=flag_weight(by),
                    duplicate_of_id=original.id if original else None, created_at=utcnow())
        db.session.add(flag)
        db.session.flush()
        score = _flag_score(post.id)
        item = enqueue(post, kind="queued" if post.state == PostState.QUEUED else "flagged",
                       reason=f"Flagged: {reason_.value.replace('_', ' ')}", score=score)
        audit("flag", by=by, target=post, item=item, reason=note or reason_.value,
              after={"reason": reason_.value, "weight": flag.weight, "score": score})
        if post.state == PostState.VISIBLE and (score >= config["HIDE_FLAG_SCORE"] or by.is_moderator):
            content.set_post_state(post, PostState.HIDDEN, by=None,
                                   reason="Members flagged it; a moderator will review it soon.")
            audit("auto_hide", by=None, target=post, item=item,
                  reason=f"Hidden after flags (score {score}) until a moderator reviews it.",
                  before={"state": "visible"}, after={"state": "hidden"})
        if reason_ == FlagReason.SPAM:
            _maybe_silence(post.author)
    return flag


def _thread(value: Thread | int | None) -> Thread | None:
    if isinstance(value, Thread):
        return value
    try:
        return db.session.get(Thread, int(value)) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _flag_score(post_id: int) -> int:
    return db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(Flag.weight), 0)).where(
        Flag.post_id == post_id, Flag.status == FlagStatus.PENDING)).scalar_one()


def _maybe_silence(author: User) -> None:
    # Only new users: someone trusted to post without review is not silenced by a mob.
    if author.is_moderator or can(author, "post.skip_review") or author.is_silenced:
        return
    flaggers = db.session.execute(sa.select(sa.func.count(sa.distinct(Flag.user_id))).join(Post).where(
        Post.author_id == author.id, Flag.reason == FlagReason.SPAM, Flag.status == FlagStatus.PENDING)).scalar_one()
    if flaggers < current_app.config["SILENCE_AFTER_SPAM_FLAGGERS"]:
        return
    author = lock(User, author.id)
    reason = "Several people flagged your posts as spam; a moderator will review your account."
    item = enqueue(author, kind="suspect_user", reason=f"{flaggers} people flagged spam")
    _sanction(author, "silence", FOREVER, reason, by=None, item=item, action="auto_silence")


# -- deciding queue items ------------------------------------------------------------

def perform(item: ReviewItem, action: str, *, by: User, reason: str = "", **kw: Any) -> ReviewItem:
    """Decide ``item`` with one of :data:`ITEM_ACTIONS`: the single entry point the
    queue page, its keyboard shortcuts and the API share.

    ``approve`` makes the post visible (or lifts a suspect user's silence);
    ``reject`` deletes the post (or suspends the suspect user for good);
    ``hide`` hides the post; ``dismiss`` finds no violation (a hidden post shows
    again); ``edit_approve`` takes ``body=``; ``suspend`` and ``silence`` take
    ``duration=`` and reject the post as well. Flags on the post learn the outcome.
    """
    if action not in ITEM_ACTIONS:
        raise Invalid({"action": f"Unknown action {action!r}."})
    require(by, "moderation.act")
    reason = (reason or "").strip()
    if action in ("suspend", "silence"):
        check_duration(kw.get("duration"))
        if not reason:
            raise Invalid({"reason": "Say why: the user will see it."})
    with write_transaction():
        item = _locked_pending(item)
        target = db.session.get(Post if item.target_type == "post" else User, item.target_id)
        require(by, "moderation.act", target)
        if item.target_type == "user":
            _perform_on_user(item, target, action, by=by, reason=reason, duration=kw.get("duration"))
        else:
            _perform_on_post(item, target, action, by=by, reason=reason, **kw)
        item.handled_by_id, item.handled_at = by.id, utcnow()
        item.updated_at = item.handled_at
    return item


STATUS_AFTER = {"approve": ItemStatus.APPROVED, "edit_approve": ItemStatus.APPROVED,
                "reject": ItemStatus.REJECTED, "hide": ItemStatus.REJECTED, "suspend": ItemStatus.REJECTED,
                "silence": ItemStatus.REJECTED, "dismiss": ItemStatus.IGNORED}


def _perform_on_post(item: ReviewItem, post: Post, action: str, *, by: User, reason: str, **kw: Any) -> None:
    before = {"state": post.state.value}
    if action == "dismiss" and post.state == PostState.QUEUED:
        raise Invalid({"action": "A queued post needs a decision: approve or reject it."})
    if action in ("suspend", "silence"):
        author = post.author
        require(by, "user.suspend", author)
        _sanction(lock(User, author.id), action, _until(kw.get("duration")), reason, by=by, item=item,
                  post_state=(post, before))
        content.set_post_state(post, PostState.DELETED, by=by, reason=reason)
    else:
        if action == "edit_approve":
            content.revise_post(post, by=by, body=kw.get("body"), reason=reason or "Edited in review")
        new_state = {"approve": PostState.VISIBLE, "edit_approve": PostState.VISIBLE, "reject": PostState.DELETED,
                     "hide": PostState.HIDDEN, "dismiss": PostState.VISIBLE}[action]
        if post.state == PostState.DELETED and new_state != PostState.DELETED:
            raise Invalid({"action": "This post was deleted; reject or dismiss its flags."}) \
                if action != "dismiss" else None
        if post.state != PostState.DELETED:
            content.set_post_state(post, new_state, by=by, reason=reason)
        audit(action, by=by, target=post, item=item, reason=reason, before=before, after={"state": post.state.value})
    item.status = STATUS_AFTER[action]
    agreed = action in ("reject", "hide", "suspend", "silence")
    db.session.execute(sa.update(Flag).where(Flag.post_id == post.id, Flag.status == FlagStatus.PENDING).values(
        status=FlagStatus.AGREED if agreed else FlagStatus.DISAGREED, handled_at=utcnow(), handled_by_id=by.id))
    item.score = 0


def _perform_on_user(item: ReviewItem, user: User, action: str, *, by: User, reason: str, duration: Any) -> None:
    require(by, "user.suspend", user)
    user = lock(User, user.id)
    if action in ("approve", "dismiss"):
        _sanction(user, "silence", None, "", by=by, item=item, action="unsilence", note=reason)
    elif action in ("reject", "suspend"):
        until = FOREVER if action == "reject" else _until(duration)
        _sanction(user, "suspend", until, reason or "Spam account.", by=by, item=item)
    elif action == "silence":
        _sanction(user, "silence", _until(duration), reason, by=by, item=item)
    else:
        raise Invalid({"action": "Users can be approved, rejected, suspended, silenced or dismissed."})
    item.status = STATUS_AFTER[action]


def bulk_perform(items: Iterable[ReviewItem], action: str, *, by: User, reason: str = "") -> list[ReviewItem]:
    """Decide several items with one action, each in its own transaction; items
    another moderator decided meanwhile (or that refuse the action) are skipped.
    Returns the items this call decided."""
    if action not in ("approve", "reject", "dismiss", "hide"):
        raise Invalid({"action": "Bulk actions are approve, reject, hide and dismiss."})
    done = []
    for item in items:
        try:
            done.append(perform(item, action, by=by, reason=reason))
        except (Conflict, Invalid):
            continue
    return done


# -- threads -------------------------------------------------------------------------

def lock_thread(thread: Thread, *, by: User, reason: str = "") -> Thread:
    """Lock ``thread``: no new answers until it is unlocked."""
    return _thread_action(thread, "lock", by=by, reason=reason, permission="thread.lock",
                          step=lambda t: content.set_locked(t, True), field="locked")


def unlock_thread(thread: Thread, *, by: User, reason: str = "") -> Thread:
    """Unlock ``thread``."""
    return _thread_action(thread, "unlock", by=by, reason=reason, permission="thread.lock",
                          step=lambda t: content.set_locked(t, False), field="locked")


def close_as_duplicate(thread: Thread, *, duplicate_of: Thread | int, by: User, reason: str = "") -> Thread:
    """Close ``thread`` as a duplicate of ``duplicate_of``; the thread links to it."""
    original = _thread(duplicate_of)
    if original is None:
        raise Invalid({"duplicate_of": "Link the thread this one duplicates."})
    return _thread_action(thread, "close_duplicate", by=by, reason=reason, permission="thread.close",
                          step=lambda t: content.close_as_duplicate(t, duplicate_of=original), field="status")


def reopen_thread(thread: Thread, *, by: User, reason: str = "") -> Thread:
    """Reopen a closed thread."""
    return _thread_action(thread, "reopen", by=by, reason=reason, permission="thread.close",
                          step=content.reopen, field="status")


def _thread_action(thread: Thread, action: str, *, by: User, reason: str, permission: str, step, field: str) -> Thread:
    require(by, permission, thread)
    with write_transaction():
        thread = lock(Thread, thread.id)
        before = _thread_fields(thread)
        thread = step(thread)
        after = _thread_fields(thread)
        if after == before:
            raise Conflict(f"Nothing to do: the thread is already {_describe(after, field)}.")
        audit(action, by=by, target=thread, reason=(reason or "").strip(), before=before, after=after)
    return thread


def _thread_fields(thread: Thread) -> dict[str, Any]:
    return {"locked": bool(thread.locked), "status": thread.status.value, "duplicate_of_id": thread.duplicate_of_id}


def _describe(fields: dict[str, Any], field: str) -> str:
    if field == "locked":
        return "locked" if fields["locked"] else "unlocked"
    return fields["status"]
