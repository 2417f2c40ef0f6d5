"""Who hears about what: forum events turned into notifications, inside the event's
own transaction. Plugins notify for their own facts (badges, the review queue) by
calling :func:`forum.notifications.notify`.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app

from .. import events
from ..extensions import db
from ..markup import mentions
from ..models import Post, PostState, Role, Thread, User
from .models import Notification, WatchKind
from .services import auto_watch, notify, notify_many, watchers


#: Kinds that announce a post to people other than its author.
ANNOUNCED = ("answer", "new_thread", "mention")


def _thread(thread_id: int) -> Thread | None:
    return db.session.get(Thread, thread_id)


def _mention(post: Post, thread: Thread, actor: User | None) -> None:
    """Tell each existing person ``@mentioned`` in ``post`` (outside code) who can read
    it and was not told about this post yet: an edit tells only the newly mentioned.
    Members who still need review may mention ``NEW_USER_MAX_MENTIONS`` people per
    post, edits included (mention spam)."""
    names = mentions(post.body)
    if not names or actor is None:
        return
    from ..permissions import can

    keys = list(dict.fromkeys(n.lower() for n in names))
    found = {u.username_key: u for u in db.session.execute(
        sa.select(User).where(User.username_key.in_(keys))).scalars()}
    told = set(db.session.execute(sa.select(Notification.user_id).where(
        Notification.kind == "mention", Notification.post_id == post.id)).scalars())
    people = [found[k] for k in keys if k in found and found[k].id not in (post.author_id, actor.id)]
    new = [u for u in people if u.id not in told]
    limit = current_app.config["NEW_USER_MAX_MENTIONS"]
    if limit >= 0 and not can(actor, "post.skip_review"):
        new = new[:max(0, limit - len(told))]
    readers = [u.id for u in new if can(u, "post.read", post) and can(u, "thread.read", thread)]
    notify_many(readers, "mention", actor_id=actor.id, thread=thread, post_id=post.id)


def _readers(thread: Thread, user_ids: list[int]) -> list[int]:
    """Those of ``user_ids`` who may read ``thread`` (all of them while it is visible)."""
    if thread.state == PostState.VISIBLE or not user_ids:
        return user_ids
    from ..permissions import can

    users = db.session.execute(sa.select(User).where(User.id.in_(user_ids))).scalars()
    return sorted(u.id for u in users if can(u, "thread.read", thread))


def _announce(post: Post) -> None:
    """A post became visible: answers reach the thread's watchers, questions the
    category's and tags' watchers; mentions reach the mentioned."""
    thread = _thread(post.thread_id)
    author = db.session.get(User, post.author_id)
    if thread is None or author is None or post.state != PostState.VISIBLE:
        return
    if post.is_question:
        notify_many(_readers(thread, watchers(thread, via=(WatchKind.CATEGORY, WatchKind.TAG))), "new_thread",
                    actor_id=author.id, thread=thread, post_id=post.id)
    else:
        notify_many(_readers(thread, watchers(thread)), "answer", actor_id=author.id, thread=thread,
                    post_id=post.id)
    _mention(post, thread, author)


def _retract(post_id: int) -> None:
    """A post was held for review right after it was written (a spam check): take back
    the news of it that nobody has seen or been mailed yet. Approving it announces it
    again."""
    db.session.execute(sa.delete(Notification).where(
        Notification.post_id == post_id, Notification.kind.in_(ANNOUNCED), Notification.read_at.is_(None),
        Notification.emailed_at.is_(None)))


def on_post_created(event: events.PostCreated) -> None:
    auto_watch(event.author_id, event.thread_id, "asked" if event.is_question else "answered")
    post = db.session.get(Post, event.post_id)
    if post is not None:
        _announce(post)


def on_post_edited(event: events.PostEdited) -> None:
    post = db.session.get(Post, event.post_id)
    thread = _thread(event.thread_id)
    if post is not None and thread is not None and post.state == PostState.VISIBLE:
        _mention(post, thread, db.session.get(User, event.editor_id))


def on_accepted(event: events.AnswerAccepted) -> None:
    notify(event.answer_author_id, "accepted", actor_id=event.by_id, thread=_thread(event.thread_id),
           post_id=event.post_id)


def on_state_changed(event: events.PostStateChanged) -> None:
    thread = _thread(event.thread_id)
    data = {"reason": event.reason} if event.reason else {}
    if event.old == PostState.VISIBLE.value and event.new == PostState.QUEUED.value:
        _retract(event.post_id)
    elif event.new == PostState.HIDDEN.value and event.old == PostState.VISIBLE.value:
        notify(event.author_id, "post_hidden", actor_id=event.by_id, thread=thread, post_id=event.post_id, data=data)
    elif event.old == PostState.QUEUED.value and event.new == PostState.VISIBLE.value:
        notify(event.author_id, "post_approved", actor_id=event.by_id, thread=thread, post_id=event.post_id)
        post = db.session.get(Post, event.post_id)
        if post is not None:
            _announce(post)
    elif event.new == PostState.DELETED.value and event.by_id is not None and event.by_id != event.author_id:
        notify(event.author_id, "post_rejected", actor_id=event.by_id, thread=thread, post_id=event.post_id,
               data=data)


def on_sanctioned(event: events.UserSanctioned) -> None:
    if event.until is not None:
        notify(event.user_id, "sanction", actor_id=event.by_id,
               data={"kind": event.kind, "until": event.until.isoformat(), "reason": event.reason})


def on_escalated(event: events.ThreadEscalated) -> None:
    notify(event.asker_id, "escalation", actor_id=event.by_id, thread=_thread(event.thread_id),
           data={"status": "escalated", "trigger": event.trigger})


def on_ticket(event: events.TicketStatusChanged) -> None:
    notify(event.asker_id, "escalation", thread=_thread(event.thread_id), post_id=event.reply_post_id,
           data={"status": event.new})


def on_last_call(event: events.EscalationLastCall) -> None:
    thread = _thread(event.thread_id)
    if thread is not None:
        notify_many([event.asker_id, *watchers(thread)], "last_call", thread=thread,
                    data={"due_at": event.due_at.isoformat()})


def on_published(event: events.ArticlePublished) -> None:
    if event.credited_user_id is None:
        return
    from ..kb.models import Article

    article = db.session.get(Article, event.article_id)
    if article is not None:
        notify(event.credited_user_id, "kb_promoted", actor_id=event.by_id, post_id=event.source_post_id,
               thread=_thread(article.source_thread_id) if article.source_thread_id else None,
               data={"slug": article.slug, "article": article.title})


def on_dead_webhook(event: events.WebhookDead) -> None:
    admins = db.session.execute(sa.select(User.id).where(User.role == Role.ADMIN)).scalars()
    notify_many(admins, "queue", data={"title": "A webhook delivery failed for good",
                                       "message_id": event.message_id, "endpoint_id": event.endpoint_id})


def init_app(app: Flask) -> None:
    for event_type, fn in ((events.PostCreated, on_post_created), (events.PostEdited, on_post_edited),
                           (events.AnswerAccepted, on_accepted), (events.PostStateChanged, on_state_changed),
                           (events.UserSanctioned, on_sanctioned), (events.ThreadEscalated, on_escalated),
                           (events.TicketStatusChanged, on_ticket), (events.EscalationLastCall, on_last_call),
                           (events.ArticlePublished, on_published), (events.WebhookDead, on_dead_webhook)):
        events.listen(app, event_type, fn)
