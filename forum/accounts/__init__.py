"""Accounts: registration, login, profiles, settings, API tokens, operator commands."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import cli, recovery, views

    app.register_blueprint(views.bp)
    app.register_blueprint(recovery.bp)
    cli.init_app(app)
