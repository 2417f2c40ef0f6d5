"""What every page shares: the session user, security headers with a per-request CSP
nonce, error pages (problem documents under ``/api/``), template helpers."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from . import markup
from .db import Conflict, utcnow
from .errors import Forbidden, NotFound
from .extensions import db, login_manager
from .models import User
from .permissions import can


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Sessions carry ``id:version``; bumping the version revokes old cookies."""
    try:
        ident, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, ident)
    if user is None or user.session_version != version:
        return None
    return user


def wants_problem() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, title: str, detail: str = "", **extra) -> tuple:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def _error_page(status: int, title: str, detail: str):
    if wants_problem():
        return problem(status, title, detail)
    return render_template("errors/error.html", status=status, title=title, detail=detail), status


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _security_headers(response):
    nonce = csp_nonce()
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' https: data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html" and current_user and getattr(current_user, "is_authenticated", False):
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def time_tag(value: datetime | None) -> Markup:
    """``<time>`` with an absolute title and a short relative text ("3 h ago")."""
    if value is None:
        return Markup("")
    seconds = (utcnow() - value).total_seconds()
    if seconds < 60:
        text = "just now"
    elif seconds < 3600:
        text = f"{int(seconds // 60)} min ago"
    elif seconds < 86400:
        text = f"{int(seconds // 3600)} h ago"
    elif seconds < 86400 * 30:
        days = int(seconds // 86400)
        text = f"{days} day{'s' if days != 1 else ''} ago"
    else:
        text = value.strftime("%b %-d, %Y")
    iso = value.isoformat(timespec="seconds")
    return Markup(f'<time datetime="{iso}" title="{value:%Y-%m-%d %H:%M} UTC">{escape(text)}</time>')


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.unauthorized_handler
    def _unauthorized():
        from flask import flash, redirect, url_for

        if wants_problem() or request.accept_mimetypes.best == "application/json":
            return problem(401, "Unauthorized", "Log in to do this.")
        flash("Log in to continue.", "info")
        return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))

    app.after_request(_security_headers)
    app.jinja_env.filters["rendered"] = markup.as_markup
    app.jinja_env.filters["time"] = time_tag
    app.jinja_env.globals.update(csp_nonce=csp_nonce, site_name=lambda: app.config["SITE_NAME"])

    @app.context_processor
    def _helpers():
        return {"can": lambda action, target=None: can(current_user, action, target)}

    @app.errorhandler(Forbidden)
    def _forbidden(exc: Forbidden):
        if exc.status == 401 and not wants_problem():
            return login_manager.unauthorized()
        if exc.status == 404:
            return _error_page(404, "Not found", exc.reason)
        return _error_page(exc.status, "Forbidden", exc.reason)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        return _error_page(404, "Not found", "There is nothing here. It may have been moved or deleted.")

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict):
        return _error_page(409, "Conflict", "Someone else changed this at the same moment. Please try again.")

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        return _error_page(400, "Form expired",
                           "This form was open too long or came from elsewhere. Go back, reload, and submit again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        detail = {404: "There is nothing here. It may have been moved or deleted.",
                  413: "That was too large to accept."}.get(exc.code, exc.description or "")
        response = make_response(_error_page(exc.code or 500, exc.name, detail))
        # A 405 must name the allowed methods (RFC 9110); Werkzeug keeps them on the exception.
        allow = dict(exc.get_headers()).get("Allow")
        if allow:
            response.headers["Allow"] = allow
        return response
