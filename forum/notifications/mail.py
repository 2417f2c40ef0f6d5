"""E-mail: notifications (at once, coalesced, or in digests) and account mail (confirm
an address, reset a password), always sent by the worker, never inside a request.

flask-mailman does the sending. By default mail is written to files under
``DATA_DIR/mail`` so a laptop never sends anything by accident; ``MAIL_BACKEND=smtp``
with ``MAIL_SERVER`` and friends sends for real. A send that fails raises, so the job
retries with backoff and nothing is marked sent that wasn't.

Every notification mail carries a one-click unsubscribe link (signed, no login) and
the ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers (RFC 8058).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
from datetime import datetime, timedelta
from typing import Any, Iterator

import sqlalchemy as sa
from flask import Flask, current_app, render_template
from flask_mailman import EmailMultiAlternatives, Mail
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import selectinload

from ..db import utcnow, write_transaction
from ..extensions import db
from ..models import User
from . import kinds
from .models import Digest, EmailMode, EmailSetting, Notification

mail = Mail()

#: How long signed links stay good.
UNSUBSCRIBE_MAX_AGE = 90 * 24 * 3600
RESET_MAX_AGE = 3600
CONFIRM_MAX_AGE = 7 * 24 * 3600
PERIODS = {EmailMode.DAILY: timedelta(days=1), EmailMode.WEEKLY: timedelta(days=7)}
#: Items listed in one mail at most; the rest is "and N more" with a link.
MAX_ITEMS = 50
#: People one digest run mails at most; the next run (an hour later) takes the rest.
DIGEST_BATCH = 500


def configure(app: Flask) -> None:
    """Map the ``FORUM_MAIL_*`` settings onto flask-mailman's and start it."""
    security = str(app.config["MAIL_SECURITY"] or "").lower()
    app.config.setdefault("MAIL_USE_TLS", security == "starttls")
    app.config.setdefault("MAIL_USE_SSL", security == "ssl")
    app.config.setdefault("MAIL_DEFAULT_SENDER", app.config["MAIL_SENDER"])
    app.config.setdefault("MAIL_FILE_PATH", os.path.join(app.config["DATA_DIR"], "mail"))
    if app.config["MAIL_BACKEND"] == "file":
        os.makedirs(app.config["MAIL_FILE_PATH"], exist_ok=True)
    mail.init_app(app)


def outbox() -> list:
    """What the ``locmem`` backend kept (tests)."""
    return getattr(current_app.extensions["mailman"], "outbox", [])


# -- signed links ------------------------------------------------------------------------

def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"forum.{purpose}")


def _password_stamp(user: User) -> str:
    """Changes whenever the password does: a reset link works once."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def unsubscribe_token(user: User, kind: str = "*") -> str:
    return _serializer("unsubscribe").dumps({"u": user.id, "k": kind})


def reset_token(user: User) -> str:
    return _serializer("reset").dumps({"u": user.id, "p": _password_stamp(user)})


def confirm_token(user: User) -> str:
    return _serializer("confirm").dumps({"u": user.id, "e": user.email})


class BadToken(Exception):
    """The link is tampered with, expired or already used; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _load(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        data = _serializer(purpose).loads(str(token)[:500], max_age=max_age)
    except SignatureExpired:
        raise BadToken("This link has expired.") from None
    except BadSignature:
        raise BadToken("This link is not valid.") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise BadToken("This link is not valid.")
    return data


def _user(data: dict[str, Any]) -> User:
    user = db.session.get(User, data["u"])
    if user is None:
        raise BadToken("This link is not valid.")
    return user


def check_unsubscribe(token: str) -> tuple[User, str]:
    data = _load("unsubscribe", token, UNSUBSCRIBE_MAX_AGE)
    kind = data.get("k")
    if kind != "*" and kind not in kinds.KINDS:
        raise BadToken("This link is not valid.")
    return _user(data), kind


def check_reset(token: str) -> User:
    data = _load("reset", token, RESET_MAX_AGE)
    user = _user(data)
    if data.get("p") != _password_stamp(user):
        raise BadToken("This link was already used. Ask for a new one if you still need it.")
    return user


def check_confirm(token: str) -> User:
    data = _load("confirm", token, CONFIRM_MAX_AGE)
    user = _user(data)
    if data.get("e") != user.email:
        raise BadToken("This link is for an address you no longer use.")
    return user


def unsubscribe(user: User, kind: str) -> list[str]:
    """Turn off e-mail for ``kind`` (or every optional kind); returns the kinds changed."""
    names = [k.name for k in kinds.KINDS.values() if k.optional] if kind == "*" else [kind]
    names = [n for n in names if kinds.get(n).optional]
    with write_transaction():
        for name in names:
            setting = db.session.get(EmailSetting, (user.id, name))
            if setting is None:
                db.session.add(EmailSetting(user_id=user.id, kind=name, mode=EmailMode.OFF))
            else:
                setting.mode = EmailMode.OFF
    return names


# -- building and sending ----------------------------------------------------------------

def _url(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def _send(user: User, subject: str, template: str, context: dict[str, Any], *, unsubscribe_kind: str | None) -> None:
    site = current_app.config["SITE_NAME"]
    headers: dict[str, str] = {}
    context = dict(context, user=user, site=site, url=_url)
    if unsubscribe_kind is not None:
        link = _url(f"/unsubscribe/{unsubscribe_token(user, unsubscribe_kind)}")
        context["unsubscribe_url"] = link
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    message = EmailMultiAlternatives(f"[{site}] {subject}", text, to=[user.email], headers=headers)
    message.attach_alternative(html, "text/html")
    message.send()


def _due(user_id: int, modes: set[EmailMode]):
    """The person's notifications not yet e-mailed whose kind they get in ``modes``,
    oldest first, with what the mail shows loaded. On PostgreSQL the rows stay locked
    (``SKIP LOCKED``) until the caller commits, so two workers never mail one twice."""
    from .services import mode_clause

    q = (sa.select(Notification)
         .outerjoin(EmailSetting, sa.and_(EmailSetting.user_id == Notification.user_id,
                                          EmailSetting.kind == Notification.kind))
         .where(Notification.user_id == user_id, Notification.emailed_at.is_(None),
                mode_clause().in_([m.value for m in modes]))
         .options(selectinload(Notification.actor), selectinload(Notification.thread),
                  selectinload(Notification.post))
         .order_by(Notification.created_at, Notification.id))
    if db.session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(of=Notification, skip_locked=True)
    return db.session.execute(q).scalars().all()


def _worth_sending(user: User, n: Notification) -> bool:
    """Unread, and (for news of a post) about a post the person may still read: a post
    hidden or removed since is not mailed around."""
    if n.read_at is not None:
        return False
    if n.kind in ("answer", "mention", "new_thread") and n.post is not None:
        from ..permissions import can

        return can(user, "post.read", n.post)
    return True


@contextlib.contextmanager
def _recording() -> Iterator[None]:
    """Where what was sent is written down. On PostgreSQL: in the transaction that
    holds the rows' locks since :func:`_due`, so no other worker takes them meanwhile.
    On SQLite (one worker): in a fresh immediate transaction, because a read
    transaction that starts writing fails with "database is locked" when anyone wrote
    since it began."""
    if db.session.get_bind().dialect.name == "postgresql":
        yield
        db.session.commit()
    else:
        with write_transaction():
            yield


def _mark(ids: list[int], when: datetime) -> None:
    if ids:
        db.session.execute(sa.update(Notification).where(Notification.id.in_(ids), Notification.emailed_at.is_(None))
                           .values(emailed_at=when))


def send_instant(payload: dict[str, Any]) -> None:
    """Job: mail everything instant this person has waiting, as one message. Several
    jobs for one burst find nothing left after the first, and send nothing.

    The rows are marked only after the message went out: an SMTP failure raises, the
    job retries later, and nothing is lost (a crash between sending and marking could
    send one message twice; never none)."""
    user = db.session.get(User, int(payload.get("user_id", 0)))
    if user is None:
        return
    waiting = _due(user.id, {EmailMode.INSTANT})
    items = [n for n in waiting if _worth_sending(user, n)]
    if items:
        shown = items[:MAX_ITEMS]
        only = items[0].kind if len({n.kind for n in items}) == 1 else "*"
        _send(user, _subject(items), "notifications",
              {"items": shown, "more": len(items) - len(shown), "kinds": kinds.KINDS},
              unsubscribe_kind=only if only == "*" or kinds.get(only).optional else "*")
    ids = [n.id for n in waiting]  # before the commit below expires the rows
    with _recording():
        _mark(ids, utcnow())


def _subject(items: list[Notification]) -> str:
    if len(items) == 1:
        n = items[0]
        return kinds.get(n.kind).label + (f": {n.data.get('title')}" if n.data.get("title") else "")
    threads = {n.thread_id for n in items if n.thread_id}
    if len(threads) == 1 and len(items) == sum(1 for n in items if n.thread_id) and items[0].data.get("title"):
        return f"{len(items)} updates on “{items[0].data['title']}”"
    return f"{len(items)} new notifications"


def _digest_candidates(mode: EmailMode, now, limit: int) -> list[int]:
    """People with something waiting for their ``mode`` digest whose last one is a
    period old, in one query."""
    from .services import mode_clause

    recent = sa.select(Digest.user_id).where(Digest.mode == mode, Digest.sent_at > now - PERIODS[mode])
    return list(db.session.execute(
        sa.select(Notification.user_id)
        .outerjoin(EmailSetting, sa.and_(EmailSetting.user_id == Notification.user_id,
                                         EmailSetting.kind == Notification.kind))
        .where(Notification.emailed_at.is_(None), mode_clause() == mode.value,
               Notification.user_id.not_in(recent))
        .group_by(Notification.user_id).order_by(sa.func.min(Notification.created_at), Notification.user_id)
        .limit(limit)).scalars())


def _stamp(user_id: int, mode: EmailMode, when: datetime) -> None:
    row = db.session.get(Digest, (user_id, mode))
    if row is None:
        db.session.add(Digest(user_id=user_id, mode=mode, sent_at=when))
    else:
        row.sent_at = when


def send_digests(_payload: dict[str, Any] | None = None) -> int:
    """Job (periodic): one digest per person per period with the unread items they have
    not been mailed, each item once. Read items are dropped from it (and never mailed
    later). A fixed number of queries per person, and ``DIGEST_BATCH`` people per run:
    the next run takes the rest."""
    now = utcnow()
    sent = 0
    budget = DIGEST_BATCH
    for mode in PERIODS:
        for user_id in _digest_candidates(mode, now, budget):
            budget -= 1
            user = db.session.get(User, user_id)
            items = _due(user_id, {mode}) if user is not None else []
            unread = [n for n in items if _worth_sending(user, n)]
            if unread:
                label = "daily" if mode == EmailMode.DAILY else "weekly"
                _send(user, f"Your {label} summary: {len(unread)} update{'s' if len(unread) != 1 else ''}",
                      "digest", {"items": unread[:MAX_ITEMS], "more": max(0, len(unread) - MAX_ITEMS),
                                 "kinds": kinds.KINDS, "period": label}, unsubscribe_kind="*")
                sent += 1
            ids = [n.id for n in items]  # before the commit below expires the rows
            with _recording():
                _mark(ids, now)
                if unread:
                    _stamp(user_id, mode, now)
        if budget <= 0:
            break
    db.session.commit()
    return sent


def send_account_mail(payload: dict[str, Any]) -> None:
    """Job: ``{"user_id", "what": "confirm" | "reset"}``; the link is made when sending."""
    user = db.session.get(User, int(payload.get("user_id", 0)))
    if user is None:
        return
    what = payload.get("what")
    if what == "confirm":
        link = _url(f"/confirm/{confirm_token(user)}")
        _send(user, "Confirm your e-mail address", "confirm", {"link": link}, unsubscribe_kind=None)
    elif what == "reset":
        link = _url(f"/reset/{reset_token(user)}")
        _send(user, "Reset your password", "reset", {"link": link, "hours": RESET_MAX_AGE // 3600},
              unsubscribe_kind=None)
    db.session.commit()
