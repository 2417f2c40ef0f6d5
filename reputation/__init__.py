"""Reputation: the points ledger, the rules table, privileges, badges, the leaderboard.

Listens to ``forum.events`` (votes, accepts, deletions, new posts) and writes ledger
rows and badges in the same transaction; ``User.reputation`` is the cached sum. The
forum reads only that number and the privilege thresholds (``PRIVILEGES``, computed
here from the preset and overrides), through ``forum.permissions.can``. Depends on
``forum``; ``forum`` never imports this package.
"""
from __future__ import annotations

from flask import Flask

from . import cli, listeners, models, rules, web  # noqa: F401  (models registers the tables)


def init_app(app: Flask) -> None:
    """Attach reputation's rules, privileges, listeners and commands to ``app``."""
    app.extensions["reputation"] = {"listeners": []}
    rules.configure(app)
    listeners.register(app)
    cli.init_app(app)
    web.init_app(app)
