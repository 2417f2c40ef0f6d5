"""``flask search reindex`` and ``flask search check``."""
from __future__ import annotations

import os

import sqlalchemy as sa

from forum.extensions import db
from forum.models import Thread
from search import indexing
from search.backends.base import SearchQuery
from tests import factories as f

from .conftest import index_now


def _found(text: str) -> list[str]:
    return indexing.backend().search(SearchQuery(text=text, limit=20)).keys


def test_reindex_builds_everything_and_reports_throughput(app, runner, backend_name):
    with app.app_context():
        ids = [f.thread(title=f"Embedded booking widget number {n} is cut off").id for n in range(7)]
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 7 documents" in result.output and "docs/s" in result.output
    with app.app_context():
        assert sorted(_found("booking widget")) == sorted(f"thread:{i}" for i in ids)
        if backend_name == "whoosh":
            # One live directory: the swap removed the one it replaced.
            root = indexing.backend().root
            assert len([n for n in os.listdir(root) if n.startswith("index-")]) == 1


def test_check_finds_missing_stale_and_extra_documents_and_repairs_them(app, runner):
    with app.app_context():
        kept = f.thread(title="Payment failed with a card that works elsewhere")
        renamed = f.thread(title="Booking page shows the wrong logo")
        removed = f.thread(title="Zapier trigger fires twice per booking")
        index_now()
        # Drift behind the indexer's back: a new thread, a changed title, a vanished thread.
        missing = f.thread(title="Apple calendar subscription stopped updating")
        db.session.execute(sa.update(Thread).where(Thread.id == renamed.id).values(title="Booking page favicon"))
        db.session.execute(sa.delete(Thread).where(Thread.id == removed.id))
        db.session.commit()
        if indexing.backend().transactional:
            # PostgreSQL wrote the new thread with its change; take it out to see it found missing.
            db.session.execute(sa.text("delete from search_documents where object_id = :i"), {"i": missing.id})
            db.session.commit()
        ids = (kept.id, renamed.id, removed.id, missing.id)

    report = runner.invoke(args=["search", "check", "--no-repair"])
    assert report.exit_code == 1
    assert "1 missing, 1 stale, 1 that should not be there" in report.output
    assert f"thread:{ids[3]}" in report.output and f"thread:{ids[1]}" in report.output

    repaired = runner.invoke(args=["search", "check"])
    assert repaired.exit_code == 0 and "Repaired 3 documents" in repaired.output
    with app.app_context():
        assert _found("favicon") == [f"thread:{ids[1]}"]
        assert _found("zapier") == []
        assert _found("apple subscription") == [f"thread:{ids[3]}"]
    clean = runner.invoke(args=["search", "check", "--no-repair"])
    assert clean.exit_code == 0 and "0 missing, 0 stale, 0 that should not be there" in clean.output
