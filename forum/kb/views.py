"""The knowledge base's pages."""
from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import current_user

from ..errors import require
from . import services

bp = Blueprint("kb", __name__, url_prefix="/kb")


@bp.get("/<slug>")
def article(slug: str):
    """An article: the summary first, then the body, feedback and related threads."""
    found = services.get_article(slug)
    require(current_user, "kb.read", found)
    return render_template("kb/article.html", article=found)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
