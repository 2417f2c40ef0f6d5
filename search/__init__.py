"""Search: the backends (Whoosh by default, PostgreSQL full-text), indexing, queries.

Listens to ``forum.events`` and enqueues index jobs in the same transaction; the
job worker is the index's only writer. Results are ids hydrated from the database in
rank order. Depends on ``forum``; ``forum`` never imports this package. Grows in the
search issue.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Attach search's listeners, job handlers and pages to ``app``."""
    app.extensions["search"] = {"listeners": []}
