"""JSON API v1 under ``/api/v1``: bearer tokens, problem documents, OpenAPI."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
