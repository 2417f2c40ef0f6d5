"""Accounts: registration, login, profiles, settings, API tokens, operator commands."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import cli, views

    app.register_blueprint(views.bp)
    cli.init_app(app)
