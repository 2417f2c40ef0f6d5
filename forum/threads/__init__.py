"""Threads: asking, answering, editing with revisions, voting, accepting answers,
categories and tags; the lists and the thread page."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import cli, views

    app.register_blueprint(views.bp)
    cli.init_app(app)
