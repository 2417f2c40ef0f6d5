"""Content changes that moderators make, as steps of a caller's transaction.

Unlike the use cases in :mod:`forum.threads.services`, these don't open or commit a
transaction: a moderation decision, its audit row and its queue item must commit
together, so the caller (the moderation package, or a forum service) runs them
inside its own :func:`forum.db.write_transaction`. Each keeps the thread's
invariants: ``thread.state`` mirrors its question; ``answer_count`` and the
category and tag ``thread_count`` count visible posts only; an accepted answer is
always visible.
"""
from __future__ import annotations

import sqlalchemy as sa

from .. import events
from ..db import lock, utcnow
from ..errors import Invalid
from ..extensions import db
from ..markup import render
from ..models import Category, Post, PostState, Tag, Thread, ThreadStatus, User
from .services import _revision, _unaccept
from .validation import clean_body


def set_post_state(post: Post, state: PostState, *, by: User | None, reason: str = "") -> Post:
    """Move ``post`` to ``state`` (visible, queued, hidden or deleted), adjusting the
    counters that count visible posts and unaccepting an answer that stops being
    visible. ``by`` is None when the system acts (an automatic hide)."""
    thread = lock(Thread, post.thread_id)
    post = lock(Post, post.id)
    old = post.state
    if old == state:
        return post
    post.state = state
    if state == PostState.DELETED:
        post.deleted_at = utcnow()
    delta = int(state == PostState.VISIBLE) - int(old == PostState.VISIBLE)
    if post.is_question:
        thread.state = state
        if delta:
            db.session.execute(sa.update(Category).where(Category.id == thread.category_id)
                               .values(thread_count=Category.thread_count + delta))
            ids = [t.id for t in thread.tags]
            if ids:
                db.session.execute(sa.update(Tag).where(Tag.id.in_(ids)).values(thread_count=Tag.thread_count + delta))
    else:
        if delta:
            thread.answer_count = Thread.answer_count + delta
        if state != PostState.VISIBLE and thread.accepted_post_id == post.id:
            _unaccept(thread, post, by=by or post.author)
    if state == PostState.DELETED:
        events.emit(events.PostDeleted(post_id=post.id, thread_id=thread.id, author_id=post.author_id,
                                       by_id=by.id if by else post.author_id, is_question=post.is_question))
    events.emit(events.PostStateChanged(post_id=post.id, thread_id=thread.id, author_id=post.author_id,
                                        old=old.value, new=state.value, by_id=by.id if by else None,
                                        reason=reason[:500]))
    return post


def revise_post(post: Post, *, by: User, body: object, reason: str = "") -> Post:
    """Replace a post's body as a new public revision (a moderator's edit before
    approving it)."""
    errors: dict[str, str] = {}
    body = clean_body(body, errors)
    if errors:
        raise Invalid(errors)
    post = lock(Post, post.id)
    if body == post.body:
        return post
    post.body, post.body_html = body, render(body)
    post.edited_at, post.edited_by_id = utcnow(), by.id
    post.revision_count += 1
    _revision(post, by=by, reason=reason)
    events.emit(events.PostEdited(post_id=post.id, thread_id=post.thread_id, editor_id=by.id,
                                  revision=post.revision_count))
    return post


def set_locked(thread: Thread, locked: bool) -> Thread:
    """Lock or unlock a thread: a locked thread takes no new answers."""
    thread = lock(Thread, thread.id)
    thread.locked = locked
    return thread


def close_as_duplicate(thread: Thread, *, duplicate_of: Thread) -> Thread:
    """Close ``thread``, pointing readers at ``duplicate_of``."""
    if duplicate_of.id == thread.id:
        raise Invalid({"duplicate_of": "A thread can't duplicate itself."})
    if duplicate_of.state != PostState.VISIBLE:
        raise Invalid({"duplicate_of": "Pick a visible thread."})
    thread = lock(Thread, thread.id)
    thread.status = ThreadStatus.CLOSED
    thread.duplicate_of_id = duplicate_of.id
    return thread


def reopen(thread: Thread) -> Thread:
    """Reopen a closed thread: solved again if it has an accepted answer, else
    escalated if it went to the help desk, else open."""
    from ..escalation.models import Escalation

    thread = lock(Thread, thread.id)
    thread.duplicate_of_id = None
    if thread.accepted_post_id:
        thread.status = ThreadStatus.SOLVED
    elif db.session.execute(sa.select(Escalation.id).where(Escalation.thread_id == thread.id)).first():
        thread.status = ThreadStatus.ESCALATED
    else:
        thread.status = ThreadStatus.OPEN
    return thread
