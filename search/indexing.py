"""Keeping the index in step with the database.

Forum events mark keys dirty in the current transaction. With Whoosh, each dirty key
becomes a ``search.index`` job in the same transaction (the jobs outbox): the job
exists if and only if the change committed, and the worker, the index's one writer,
applies the claimed jobs as one batch. With PostgreSQL the documents are rewritten
just before the transaction commits, inside it.

Either way the document is read from the database *after* the writer's lock is
taken, so it is never older than the change that caused the job: no lost updates,
whatever order the jobs run in.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from forum import events, jobs
from forum.extensions import db
from forum.jobs.models import Job, JobStatus

from . import documents
from .backends.base import Backend, IndexUnavailable

log = logging.getLogger(__name__)

INDEX_JOB = "search.index"
REBUILD_JOB = "search.rebuild"
_DIRTY = "search_dirty"


def backend() -> Backend:
    return current_app.extensions["search"]["backend"]


def mark(key: str) -> None:
    """Note that ``key`` changed in the current transaction."""
    dirty: set[str] = db.session.info.setdefault(_DIRTY, set())
    if key in dirty:
        return
    dirty.add(key)
    if not backend().transactional:
        jobs.enqueue(INDEX_JOB, {"key": key})


def _thread(event: Any) -> None:
    mark(documents.key("thread", event.thread_id))


def _question_vote(event: events.VoteCast) -> None:
    # An answer's votes don't change its thread's document; the question's score does.
    if event.is_question:
        _thread(event)


LISTENS: dict[type, Callable[[Any], None]] = {
    events.ThreadCreated: _thread,
    events.PostCreated: _thread,
    events.PostEdited: _thread,
    events.PostDeleted: _thread,
    events.PostStateChanged: _thread,
    events.AnswerAccepted: _thread,
    events.AnswerUnaccepted: _thread,
    events.VoteCast: _question_vote,
}


def index_batch(payloads: list[dict[str, Any]]) -> None:
    """The batch job handler: bring every claimed key up to date in one index commit."""
    keys = [p["key"] for p in payloads if isinstance(p.get("key"), str)]
    try:
        backend().apply(keys, documents.build)
    except IndexUnavailable:
        # Nothing to update: make sure a rebuild is coming (in this job's transaction);
        # it reads the database afresh, so it includes these keys.
        _enqueue_rebuild()


def rebuild_job(_payload: dict[str, Any]) -> None:
    rebuild()


def rebuild(progress=None) -> int:
    """Rebuild the whole index from the database; returns the number of documents."""
    b = backend()

    def batches():
        for keys in documents.every_key():
            docs, _gone = documents.build(keys)
            yield docs

    return b.rebuild(batches(), progress)


def request_rebuild() -> bool:
    """Queue one rebuild unless one is already waiting; returns whether it queued one.
    Its own short transaction, so a read-only request can call it."""
    from forum.db import write_transaction

    with write_transaction():
        return _enqueue_rebuild()


def _enqueue_rebuild() -> bool:
    waiting = db.session.execute(sa.select(Job.id).where(
        Job.kind == REBUILD_JOB, Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING])).limit(1)).first()
    if waiting:
        return False
    jobs.enqueue(REBUILD_JOB, {})
    return True


def _before_commit(session: Session) -> None:
    dirty = session.info.get(_DIRTY)
    if not dirty or not has_app_context() or "search" not in current_app.extensions:
        return
    b = backend()
    if b.transactional:
        session.info[_DIRTY] = set()
        b.apply(sorted(dirty), documents.build)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_DIRTY, None)


def init_app(app: Flask) -> None:
    for event_type, fn in LISTENS.items():
        events.listen(app, event_type, fn)
    jobs.batch_handler(app, INDEX_JOB, index_batch)
    jobs.handler(app, REBUILD_JOB, rebuild_job)
    if not sa.event.contains(Session, "before_commit", _before_commit):
        sa.event.listen(Session, "before_commit", _before_commit)
        sa.event.listen(Session, "after_commit", _forget)
        sa.event.listen(Session, "after_rollback", _forget)
