"""Concurrent writers and indexers: nothing lost, nothing refused.

100 answers (ten per thread) are edited at once from eight threads while three
indexing workers drain the queue; then every edit must be searchable, in its own
thread, and no job may have failed on a lock. And a worker process killed in the
middle of its batches loses nothing: after a restart the index is complete.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from forum import ROOT
from forum.extensions import db
from forum.jobs import enqueue, worker
from forum.jobs.models import Job, JobStatus
from forum.models import Post, User
from forum.threads import services as threads
from search import indexing
from search.backends.base import SearchQuery
from tests import factories as f

from .conftest import index_now


def _found(word: str) -> list[str]:
    return indexing.backend().search(SearchQuery(text=word, limit=20)).keys


def test_a_hundred_concurrent_edits_are_all_searchable(app):
    with app.app_context():
        helpers = [f.user(f"helper{i}") for i in range(10)]
        answers: list[tuple[int, int, int]] = []  # (post, thread, author)
        for t in range(10):
            thread = f.thread(title=f"Sync problem number {t} with the shared team calendar")
            for i, helper in enumerate(helpers):
                post = threads.post_answer(thread, author=helper, body=f"First idea {t}-{i}: reconnect it.")
                answers.append((post.id, thread.id, helper.id))
        index_now()

    done = threading.Event()
    errors: list[BaseException] = []

    def edit(n: int) -> None:
        post_id, _thread_id, author_id = answers[n]
        with app.app_context():
            try:
                post, author = db.session.get(Post, post_id), db.session.get(User, author_id)
                threads.edit_post(post, by=author, body=f"Edited fix zq{n}x: clear the cache and reconnect.")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    def indexer() -> None:
        with app.app_context():
            while not done.is_set():
                if not worker.work_once():
                    time.sleep(0.02)
                db.session.remove()

    workers = [threading.Thread(target=indexer) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(edit, range(len(answers))))
    finally:
        done.set()
        for w in workers:
            w.join(timeout=60)
    assert errors == []

    with app.app_context():
        index_now()
        # Only the index's jobs: e-mail about the answers waits its minute, on purpose.
        failed = db.session.execute(sa.select(Job.kind, Job.last_error).where(
            Job.kind.startswith("search."),
            sa.or_(Job.status != JobStatus.DONE, Job.last_error.is_not(None)))).all()
        assert failed == []
        for n, (_post, thread_id, _author) in enumerate(answers):
            assert _found(f"zq{n}x") == [f"thread:{thread_id}"], n
        assert _found("first idea") == []


def test_killing_the_indexer_mid_batch_loses_nothing(make_app, database_url, tmp_path):
    data_dir = tmp_path / "data"
    app = make_app(SEARCH_BACKEND="whoosh", RATELIMIT_ENABLED=False, DATA_DIR=str(data_dir), JOB_LOCK_SECONDS=1)
    with app.app_context():
        indexing.backend().create_empty()
        made = [f.thread(title=f"Webhook retries number {n} arrive out of order") for n in range(60)]
        keys = [f"thread:{t.id}" for t in made]
        # Plenty of work, so the kill lands in the middle of it.
        for n in range(6000):
            enqueue(indexing.INDEX_JOB, {"key": keys[n % len(keys)]})
        db.session.commit()

    env = {**os.environ, "FORUM_DATABASE_URL": database_url, "FORUM_DATA_DIR": str(data_dir),
           "FORUM_SECRET_KEY": "test-secret", "FORUM_SEARCH_BACKEND": "whoosh", "FORUM_JOB_LOCK_SECONDS": "1",
           "FORUM_INSTANCE_PATH": str(tmp_path / "instance")}
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with app.app_context():
            deadline = time.monotonic() + 60
            # Wait until the worker has done some of it, then kill it without warning.
            while time.monotonic() < deadline:
                done = db.session.execute(sa.select(sa.func.count()).select_from(Job).where(
                    Job.status == JobStatus.DONE)).scalar_one()
                db.session.rollback()
                if done >= 200:
                    break
                time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    with app.app_context():
        left = db.session.execute(sa.select(sa.func.count()).select_from(Job).where(
            Job.status != JobStatus.DONE)).scalar_one()
        assert left > 0, "the worker finished before it was killed; the test proves nothing"
        time.sleep(1.1)  # the dead worker's claims expire
        index_now()
        assert db.session.execute(sa.select(sa.func.count()).select_from(Job).where(
            Job.status != JobStatus.DONE)).scalar_one() == 0
        found = indexing.backend().search(SearchQuery(text="webhook retries", limit=100)).keys
        assert sorted(found) == sorted(keys)
