"""Reputation: the points ledger, the rules table, privileges, badges, the leaderboard.

Listens to ``forum.events`` (votes, accepts, deletions) and writes ledger rows in the
same transaction; ``User.reputation`` is the cached sum. The forum reads only that
number and the privilege thresholds, through ``forum.permissions.can``. Depends on
``forum``; ``forum`` never imports this package.
"""
from __future__ import annotations

from flask import Flask

from . import models  # noqa: F401  (registers the tables on the shared metadata)


def init_app(app: Flask) -> None:
    """Attach reputation's listeners and pages to ``app``."""
    app.extensions["reputation"] = {"listeners": []}
