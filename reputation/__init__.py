"""Reputation: the points ledger, the rules table, privileges, badges, the leaderboard.

Listens to ``forum.events`` (votes, accepts, deletions) and writes ledger rows in the
same transaction; ``User.reputation`` is the cached sum. The forum reads only that
number and the privilege thresholds, through ``forum.permissions.can``. Depends on
``forum``; ``forum`` never imports this package. Grows in the reputation issue.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Attach reputation's listeners and pages to ``app``."""
    app.extensions["reputation"] = {"listeners": []}
