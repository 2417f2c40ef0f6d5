"""JSON API v1 under ``/api/v1``: bearer tokens, problem documents, OpenAPI.

Owns the ``api`` blueprint. Every endpoint calls the same services and queries as
the pages (:mod:`forum.threads`, :mod:`forum.accounts`) and asks the same
``can()``; nothing here decides a domain rule of its own. Authentication is by
personal token only, never the session cookie, so CSRF does not apply and the
blueprint is exempt from it.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, Flask

# Ids the database can hold; larger ones in a path are simply not found.
from ..db import MAX_ID

__all__ = ["MAX_ID", "plugin_blueprint", "register"]


def plugin_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint for a plugin's endpoints under ``/api/v1``: token authentication
    and problem documents like the forum's own. Register it with :func:`register`."""
    from . import auth, problems

    bp = Blueprint(name, import_name, url_prefix="/api/v1")
    bp.before_request(auth.authenticate)
    problems.register(bp)
    return bp


def register(app: Flask, bp: Blueprint, openapi_part: Callable[[], dict[str, Any]]) -> None:
    """Serve a plugin's API blueprint (exempt from CSRF: tokens only) and add its part
    to the OpenAPI document."""
    from ..extensions import csrf
    from .openapi import extend

    csrf.exempt(bp)
    app.register_blueprint(bp)
    extend(app, openapi_part)


def init_app(app: Flask) -> None:
    from ..extensions import csrf
    from .views import bp

    csrf.exempt(bp)
    app.register_blueprint(bp)
