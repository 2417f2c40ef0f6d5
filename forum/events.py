"""Facts the forum announces, and the listeners other packages attach to them.

Services call :func:`emit` inside their transaction; listeners run synchronously in
that same transaction and may only add rows (ledger entries, queue items, jobs).
Anything outside the database happens later, in the job worker.

Listeners are registered per app (``events.listen(app, PostCreated, fn)``) from each
package's ``init_app``, so ``forum`` never imports the packages that listen to it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from flask import Flask, current_app

Listener = Callable[[Any], None]
_KEY = "forum.events"


@dataclass(frozen=True)
class UserRegistered:
    user_id: int


@dataclass(frozen=True)
class ThreadCreated:
    thread_id: int
    question_id: int
    author_id: int


@dataclass(frozen=True)
class PostCreated:
    post_id: int
    thread_id: int
    author_id: int
    is_question: bool


@dataclass(frozen=True)
class PostEdited:
    post_id: int
    thread_id: int
    editor_id: int
    revision: int


@dataclass(frozen=True)
class PostDeleted:
    post_id: int
    thread_id: int
    author_id: int
    by_id: int
    is_question: bool


@dataclass(frozen=True)
class VoteCast:
    """A vote moved from ``old`` to ``new`` (each -1, 0 or 1)."""

    post_id: int
    thread_id: int
    post_author_id: int
    voter_id: int
    is_question: bool
    old: int
    new: int
    vote_id: int | None


@dataclass(frozen=True)
class AnswerAccepted:
    thread_id: int
    post_id: int
    answer_author_id: int
    asker_id: int
    by_id: int
    #: The answer this one replaced, if the asker switched.
    previous_post_id: int | None


@dataclass(frozen=True)
class AnswerUnaccepted:
    thread_id: int
    post_id: int
    answer_author_id: int
    asker_id: int
    by_id: int


@dataclass(frozen=True)
class PostStateChanged:
    """A post moved between visible, queued, hidden and deleted (moderation, mostly).
    ``by_id`` is None when the system acted on its own (an automatic hide)."""

    post_id: int
    thread_id: int
    author_id: int
    old: str
    new: str
    by_id: int | None
    #: What the moderator told the author, if anything.
    reason: str = ""


@dataclass(frozen=True)
class UserSanctioned:
    """A user was suspended, silenced, or had either lifted (``until`` None)."""

    user_id: int
    kind: str
    until: datetime | None
    reason: str
    by_id: int | None


@dataclass(frozen=True)
class ArticleChanged:
    """A knowledge-base article was written, edited, published or archived."""

    article_id: int


@dataclass(frozen=True)
class ArticlePublished:
    """An article went live for the first time; ``credited_user_id`` wrote the
    community answer it came from, if it came from one."""

    article_id: int
    #: Who published it, and who wrote (or promoted) it.
    by_id: int
    author_id: int
    credited_user_id: int | None
    source_post_id: int | None


@dataclass(frozen=True)
class ThreadEscalated:
    """A thread went to the help desk. ``trigger`` is ``asker``, ``staff`` or ``auto``;
    ``by_id`` is None for the automatic sweep."""

    thread_id: int
    escalation_id: int
    asker_id: int
    trigger: str
    by_id: int | None


@dataclass(frozen=True)
class EscalationLastCall:
    """A thread will be escalated at ``due_at`` unless an answer is accepted first:
    its watchers should hear about it."""

    thread_id: int
    asker_id: int
    due_at: datetime


@dataclass(frozen=True)
class TicketStatusChanged:
    """The help desk reported a new status for an escalated thread's ticket."""

    escalation_id: int
    thread_id: int
    asker_id: int
    old: str | None
    new: str
    reply_post_id: int | None


@dataclass(frozen=True)
class WebhookDead:
    """A webhook message used up its retries (or its endpoint went away): staff must act."""

    message_id: str
    endpoint_id: int
    escalation_id: int | None


EVENT_TYPES = (UserRegistered, ThreadCreated, PostCreated, PostEdited, PostDeleted, VoteCast,
               AnswerAccepted, AnswerUnaccepted, PostStateChanged, UserSanctioned, ArticleChanged, ArticlePublished,
               ThreadEscalated, EscalationLastCall, TicketStatusChanged, WebhookDead)


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = defaultdict(list)


def listen(app: Flask, event_type: type, listener: Listener) -> None:
    """Call ``listener(event)`` whenever an event of ``event_type`` is emitted in ``app``."""
    app.extensions[_KEY][event_type].append(listener)


def emit(event: Any) -> None:
    """Announce ``event`` to the current app's listeners, in the caller's transaction."""
    for listener in current_app.extensions[_KEY].get(type(event), ()):
        listener(event)
