"""JSON API v1 under ``/api/v1``: bearer tokens, problem documents, OpenAPI.

Owns the ``api`` blueprint. Every endpoint calls the same services and queries as
the pages (:mod:`forum.threads`, :mod:`forum.accounts`) and asks the same
``can()``; nothing here decides a domain rule of its own. Authentication is by
personal token only, never the session cookie, so CSRF does not apply and the
blueprint is exempt from it.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from .views import bp

    csrf.exempt(bp)
    app.register_blueprint(bp)
