"""Account e-mail: confirm an address, and reset a forgotten password.

Links are signed and expire (see :mod:`forum.notifications.mail`): a confirmation
link names the address it confirms, so it dies when the address changes; a reset link
carries a stamp of the current password hash, so it works once. "Forgot your
password?" answers the same whether or not the address has an account, and the mail
itself is sent by the worker.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user

from .. import jobs
from ..db import utcnow, write_transaction
from ..errors import Invalid
from ..extensions import db
from ..models import User
from ..ratelimit import login_limit
from . import services

bp = Blueprint("recovery", __name__)

ACCOUNT_JOB = "mail.account"


def send(user: User, what: str) -> None:
    """Queue the confirmation or reset mail for ``user`` (in its own transaction)."""
    with write_transaction():
        jobs.enqueue(ACCOUNT_JOB, {"user_id": user.id, "what": what})


@bp.route("/forgot", methods=["GET", "POST"])
@login_limit
def forgot():
    email = request.form.get("email", "").strip()
    if request.method == "POST":
        if not email or "@" not in email or len(email) > 254:
            return render_template("accounts/forgot.html", email=email,
                                   errors={"email": "Enter the e-mail address of your account."}), 400
        user = db.session.execute(sa.select(User).where(
            User.email == services.normalize_email(email))).scalar_one_or_none()
        if user is not None:
            send(user, "reset")
        # The same page whether or not there is such an account.
        return render_template("accounts/forgot.html", email=email, sent=True, errors={})
    return render_template("accounts/forgot.html", email=email, errors={})


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    from ..notifications.mail import BadToken, check_reset

    try:
        user = check_reset(token)
    except BadToken as exc:
        return render_template("accounts/reset.html", bad=exc.reason, errors={}), 400
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            user = services.reset_password(user, new=request.form.get("new_password", ""),
                                           confirm=request.form.get("confirm_password", ""))
        except Invalid as exc:
            errors = exc.errors
        else:
            login_user(user)
            flash("Your password is changed, and you are logged in. Other sessions were logged out.", "success")
            return redirect(url_for("threads.index"))
    return render_template("accounts/reset.html", token=token, user=user, errors=errors), 400 if errors else 200


@bp.get("/confirm/<token>")
def confirm(token: str):
    from ..notifications.mail import BadToken, check_confirm

    try:
        user = check_confirm(token)
    except BadToken as exc:
        return render_template("accounts/confirmed.html", bad=exc.reason), 400
    if user.email_confirmed_at is None:
        with write_transaction():
            db.session.get(User, user.id).email_confirmed_at = utcnow()
    return render_template("accounts/confirmed.html", user=user)


@bp.post("/settings/email/confirm")
@login_required
def resend_confirmation():
    if current_user.email_confirmed_at is not None:
        flash("Your address is already confirmed.", "info")
    else:
        send(current_user, "confirm")
        flash(f"We sent a confirmation link to {current_user.email}.", "success")
    return redirect(url_for("accounts.settings"))
