"""Search backends: :mod:`.whoosh_backend` (the default) and :mod:`.postgres_backend`."""
from __future__ import annotations

import os

from flask import Flask

from .base import Backend, IndexUnavailable

__all__ = ["Backend", "IndexUnavailable", "make"]


def make(app: Flask) -> Backend:
    """The backend ``SEARCH_BACKEND`` names, checked against the database."""
    name = app.config["SEARCH_BACKEND"]
    if name == "whoosh":
        from .whoosh_backend import WhooshBackend

        return WhooshBackend(os.path.join(app.config["DATA_DIR"], "search"),
                             writer_timeout=float(app.config["SEARCH_WRITER_TIMEOUT"]))
    if name == "postgres":
        if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            raise RuntimeError("FORUM_SEARCH_BACKEND=postgres needs FORUM_DATABASE_URL to be a PostgreSQL database")
        from .postgres_backend import PostgresBackend

        return PostgresBackend()
    raise RuntimeError(f"FORUM_SEARCH_BACKEND must be whoosh or postgres, not {name!r}")
