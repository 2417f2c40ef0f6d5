"""Thread pages."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("threads", __name__)
