"""Account pages: sign up, log in and out, public profiles, settings.

Every form posts to its own endpoint and redirects on success. A rejected form is
rendered again, with status 400, showing every value the user typed (passwords
excepted) beside its error.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import Invalid, NotFound
from ..permissions import can
from ..ratelimit import login_limit, register_limit
from ..threads import queries
from . import recovery, services

bp = Blueprint("accounts", __name__)

#: Session key holding a freshly created API token until the settings page shows it.
NEW_TOKEN_KEY = "accounts.new_token"
PROFILE_TABS = ("questions", "answers")
#: A field people never see (hidden by CSS and from screen readers) that form-filling
#: bots do fill; a sign-up that fills it is refused without saying why.
HONEYPOT = "homepage"


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None.

    Only relative paths are accepted, so a crafted ``?next=`` cannot send
    someone who just logged in to a look-alike site. Browsers read ``//host``
    and ``/\\host`` as other hosts, and ignore tabs and newlines inside URLs,
    so all of those are refused.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc:
        return None
    return target


def _next_url() -> str | None:
    return safe_next(request.form.get("next") or request.args.get("next"))


def _redirect_next():
    return redirect(_next_url() or url_for("threads.index"))


def _relogin(user) -> None:
    """Log ``user`` in again after their session version moved.

    Bumping the version revokes every cookie, this browser's included; issuing
    a fresh one keeps the person who made the change logged in here. A
    remember-me cookie is renewed only if this browser had one.
    """
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=cookie in request.cookies)


def _form(*names: str) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


# -- Sign up, log in, log out ------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@register_limit
def register():
    """Create an account and log in with it."""
    if current_user.is_authenticated:
        return _redirect_next()
    values = _form("username", "email", "display_name")
    errors: dict[str, str] = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        try:
            if request.form.get(HONEYPOT):
                raise Invalid({"_": "We could not create this account. Check the form and try again."})
            if password != request.form.get("confirm_password", ""):
                # Report the other fields too, so one round trip fixes everything.
                errors = services.registration_errors(password=password, **values)
                errors["confirm_password"] = "The two passwords do not match."
                raise Invalid(errors)
            user = services.register(password=password, **values)
        except Invalid as exc:
            errors = exc.errors
        else:
            login_user(user)
            recovery.send(user, "confirm")
            flash(f"Welcome, {user.name}! Your account is ready. We sent a link to {user.email} "
                  "to confirm the address.", "success")
            return _redirect_next()
    return render_template("accounts/register.html", values=values, errors=errors,
                           next=_next_url()), 400 if errors else 200


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    """Log in with a username or e-mail address and a password."""
    if current_user.is_authenticated:
        return _redirect_next()
    values = _form("login")
    values["remember"] = request.form.get("remember", "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        user = services.authenticate(values["login"], request.form.get("password", ""))
        if user is None:
            # One message for an unknown account and a wrong password alike.
            errors["login"] = "That username or e-mail and password do not match."
        else:
            login_user(user, remember=bool(values["remember"]))
            if user.is_suspended:
                flash(f"Your account is suspended until {user.suspended_until:%B %-d, %Y %H:%M} UTC. "
                      "You can read, but not post or vote.", "error")
            else:
                flash(f"Welcome back, {user.name}.", "success")
            return _redirect_next()
    return render_template("accounts/login.html", values=values, errors=errors,
                           next=_next_url()), 400 if errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out of this browser only (CSRF-protected like every POST)."""
    logout_user()
    flash("You have logged out.", "info")
    return redirect(url_for("threads.index"))


# -- Profiles -----------------------------------------------------------------

@bp.route("/u/<username>")
def profile(username: str):
    """A member's public page: who they are and what they posted."""
    user = services.get_user(username)
    if user is None:
        raise NotFound()
    tab = request.args.get("tab", "questions")
    if tab not in PROFILE_TABS:
        tab = "questions"
    posts = [post for post in queries.recent_posts(user, kind=tab)
             if can(current_user, "thread.read", post.thread)]
    about = [para.splitlines() for para in user.about.replace("\r\n", "\n").split("\n\n") if para.strip()]
    return render_template("accounts/profile.html", user=user, stats=queries.profile_stats(user),
                           tab=tab, posts=posts, about=about)


# -- Settings -----------------------------------------------------------------

def _settings_page(form: str | None = None, values: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None):
    """Render the settings page; ``form`` names the section being re-shown with errors."""
    forms = {
        "profile": {"display_name": current_user.display_name, "about": current_user.about},
        "email": {"email": current_user.email},
        "password": {},
        "token": {"name": ""},
    }
    if form:
        forms[form] = values or {}
    new_token = session.pop(NEW_TOKEN_KEY, None)
    tokens = services.tokens_for(current_user)
    if not new_token or new_token.get("id") not in {t.id for t in tokens}:
        new_token = None
    status = 400 if errors else 200
    return render_template("accounts/settings.html", forms=forms, failed=form, errors=errors or {},
                           tokens=tokens, new_token=new_token), status


def _to_settings(section: str):
    return redirect(url_for("accounts.settings", _anchor=section))


@bp.route("/settings")
@login_required
def settings():
    """Profile, e-mail, password, API tokens and sessions, one form each."""
    return _settings_page()


@bp.route("/settings/profile", methods=["POST"])
@login_required
def update_profile():
    values = _form("display_name", "about")
    try:
        services.update_profile(current_user, by=current_user, **values)
    except Invalid as exc:
        return _settings_page("profile", values, exc.errors)
    flash("Your profile is saved.", "success")
    return _to_settings("profile")


@bp.route("/settings/email", methods=["POST"])
@login_required
def change_email():
    values = _form("email")
    before = current_user.email
    try:
        user = services.change_email(current_user, password=request.form.get("password", ""),
                                     new_email=values["email"])
    except Invalid as exc:
        return _settings_page("email", values, exc.errors)
    if user.email != before:
        recovery.send(user, "confirm")
        flash(f"Your e-mail address is changed. We sent a link to {user.email} to confirm it.", "success")
        return _to_settings("email")
    flash("Your e-mail address is changed.", "success")
    return _to_settings("email")


@bp.route("/settings/password", methods=["POST"])
@login_required
def change_password():
    new = request.form.get("new_password", "")
    try:
        if new != request.form.get("confirm_password", ""):
            raise Invalid({"confirm_password": "The two new passwords do not match."})
        user = services.change_password(current_user, current=request.form.get("current_password", ""), new=new)
    except Invalid as exc:
        return _settings_page("password", {}, exc.errors)
    _relogin(user)
    flash("Your password is changed. Every other browser has been logged out.", "success")
    return _to_settings("password")


@bp.route("/settings/tokens", methods=["POST"])
@login_required
def create_token():
    """Create an API token and show it once.

    The plain token travels to the next page in the session rather than in the
    URL (which ends up in history, logs and Referer headers), so the page can
    still be reloaded without creating another token. The settings page pops
    it, so it lives in the signed, HttpOnly cookie for a single request.
    """
    token, plain = services.create_token(current_user, name=request.form.get("name", ""))
    session[NEW_TOKEN_KEY] = {"id": token.id, "name": token.name, "plain": plain}
    flash("Token created. Copy it now: it will not be shown again.", "success")
    return _to_settings("tokens")


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = services.revoke_token(token_id, by=current_user)
    flash(f"Token “{token.name}” is revoked.", "success")
    return _to_settings("tokens")


@bp.route("/settings/sessions/revoke", methods=["POST"])
@login_required
def log_out_elsewhere():
    """Revoke every session except this one."""
    _relogin(services.log_out_everywhere(current_user))
    flash("Every other browser and device has been logged out.", "success")
    return _to_settings("sessions")
