"""Account use cases. Passwords are Argon2id hashes, rehashed on login when the
parameters change; tokens are stored as SHA-256 and shown once."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import events
from ..db import utcnow, write_transaction
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..models import ApiToken, Role, User  # noqa: F401  (User re-exported for tests)

_hasher = PasswordHasher()
# Verified against when no such user exists, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a real password")

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,28}[A-Za-z0-9]$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
TOKEN_PREFIX = "fpat_"
RESERVED = {"admin", "administrator", "moderator", "staff", "support", "system", "root", "api", "me"}
_CONTROL = dict.fromkeys([*(c for c in range(32) if chr(c) not in "\n\t"), 127])


def _storable(value: str | None) -> str:
    """``value`` as text every database accepts.

    PostgreSQL refuses NUL and no driver encodes a lone surrogate (JSON and
    command lines can carry both); either would turn a form into a 500."""
    return (value or "").encode("utf-8", "replace").decode("utf-8").translate(_CONTROL)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_username(username: str, errors: dict[str, str]) -> None:
    if not USERNAME_RE.match(username):
        errors["username"] = ("Usernames are 3 to 30 letters, digits, dots, dashes or underscores, "
                              "starting and ending with a letter or digit.")
    elif username.lower() in RESERVED:
        errors["username"] = "That username is reserved."
    elif db.session.execute(sa.select(User.id).where(User.username_key == username.lower())).first():
        errors["username"] = "That username is taken."


def _check_email(email: str, errors: dict[str, str], *, field: str = "email") -> None:
    if not EMAIL_RE.match(email) or len(email) > 254 or email != _storable(email):
        errors[field] = "Enter a valid e-mail address."
    elif db.session.execute(sa.select(User.id).where(User.email == email)).first():
        errors[field] = "That e-mail address is already registered."


def _check_password(password: str, errors: dict[str, str], *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        errors[field] = f"Use at least {MIN_PASSWORD} characters."
    elif len(password) > MAX_PASSWORD:
        errors[field] = f"Use at most {MAX_PASSWORD} characters."


def registration_errors(*, username: str, email: str, password: str, display_name: str = "") -> dict[str, str]:
    """Return what is wrong with these account details, field by field.

    The sign-up page uses it to report everything at once when it has a
    problem of its own (a mistyped confirmation) and so cannot register."""
    errors: dict[str, str] = {}
    _check_username((username or "").strip(), errors)
    _check_email(normalize_email(email), errors)
    _check_password(password or "", errors)
    if len(_storable(display_name).strip()) > 60:
        errors["display_name"] = "Display names are at most 60 characters."
    return errors


def register(*, username: str, email: str, password: str, display_name: str = "",
             role: Role = Role.MEMBER) -> User:
    """Create an account; raise :class:`Invalid` with every problem at once."""
    username = (username or "").strip()
    email = normalize_email(email)
    display_name = _storable(display_name).strip()
    errors = registration_errors(username=username, email=email, password=password, display_name=display_name)
    if errors:
        raise Invalid(errors)
    with write_transaction():
        user = User(username=username, username_key=username.lower(), email=email,
                    password_hash=_hasher.hash(password), display_name=display_name, role=role)
        db.session.add(user)
        db.session.flush()
        events.emit(events.UserRegistered(user_id=user.id))
    return user


def authenticate(login: str, password: str) -> User | None:
    """Return the user whose username or e-mail and password match, else None.

    Takes the same time whether or not the account exists."""
    login = (login or "").strip()
    if login != _storable(login):
        login = ""  # matches no account, and the dummy hash below still costs the same time
    user = db.session.execute(
        sa.select(User).where(sa.or_(User.username_key == login.lower(), User.email == normalize_email(login)))
    ).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        with write_transaction():
            db.session.get(User, user.id).password_hash = _hasher.hash(password)
    return user


def _verify(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def change_password(user: User, *, current: str, new: str) -> User:
    """Set a new password and revoke every other session."""
    errors: dict[str, str] = {}
    if not _verify(user, current):
        errors["current_password"] = "That is not your current password."
    _check_password(new or "", errors, field="new_password")
    if errors:
        raise Invalid(errors)
    return _set_password(user, new)


def reset_password(user: User, new: str, confirm: str) -> User:
    """Set a new password from a reset link: every other session ends, and the address
    counts as confirmed (whoever read the mail owns it)."""
    errors: dict[str, str] = {}
    _check_password(new or "", errors, field="new_password")
    if not errors and new != confirm:
        errors["confirm_password"] = "The two passwords do not match."
    if errors:
        raise Invalid(errors)
    return _set_password(user, new, confirmed=True)


def _set_password(user: User, new: str, *, confirmed: bool = False) -> User:
    with write_transaction():
        user = db.session.get(User, user.id)
        user.password_hash = _hasher.hash(new)
        user.session_version += 1
        if confirmed and user.email_confirmed_at is None:
            user.email_confirmed_at = utcnow()
    return user


def change_email(user: User, *, password: str, new_email: str) -> User:
    new_email = normalize_email(new_email)
    errors: dict[str, str] = {}
    if not _verify(user, password):
        errors["password"] = "That is not your current password."
    if new_email != user.email:
        _check_email(new_email, errors)
    if errors:
        raise Invalid(errors)
    with write_transaction():
        user = db.session.get(User, user.id)
        if user.email != new_email:
            user.email = new_email
            user.email_confirmed_at = None
    return user


def update_profile(user: User, *, by: User, display_name: str, about: str) -> User:
    require(by, "user.edit", user)
    display_name = _storable(display_name).strip()
    about = _storable(about).strip()
    errors: dict[str, str] = {}
    if len(display_name) > 60:
        errors["display_name"] = "Display names are at most 60 characters."
    if len(about) > 3000:
        errors["about"] = "Keep it under 3,000 characters."
    if errors:
        raise Invalid(errors)
    with write_transaction():
        user = db.session.get(User, user.id)
        user.display_name = display_name
        user.about = about
    return user


def log_out_everywhere(user: User) -> User:
    with write_transaction():
        user = db.session.get(User, user.id)
        user.session_version += 1
    return user


def set_role(user: User, role: Role) -> User:
    with write_transaction():
        user = db.session.get(User, user.id)
        user.role = role
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, *, name: str = "") -> tuple[ApiToken, str]:
    """Create a personal API token; return it and its plain text, shown only once."""
    name = _storable(name).strip()[:60] or "API token"
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        token = ApiToken(user_id=user.id, name=name, token_hash=_digest(plain), prefix=plain[:12])
        db.session.add(token)
    return token, plain


def revoke_token(token_id: int, *, by: User) -> ApiToken:
    # An id past the column's range would make the driver fail, not find nothing.
    if not 0 < token_id < 2**31:
        raise NotFound()
    with write_transaction():
        token = db.session.get(ApiToken, token_id)
        if token is None or token.revoked_at is not None:
            raise NotFound()
        require(by, "user.edit", token.user)
        token.revoked_at = utcnow()
    return token


def user_for_token(plain: str) -> User | None:
    """Return the active user owning ``plain``; None for unknown or revoked tokens."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200 or plain != _storable(plain):
        return None
    token = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == _digest(plain), ApiToken.revoked_at.is_(None))
    ).scalar_one_or_none()
    if token is None:
        return None
    now = utcnow()
    # Record use at most once a minute: a write per API call would be a hot spot.
    if token.last_used_at is None or token.last_used_at < now - timedelta(minutes=1):
        with write_transaction():
            db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token.user


def tokens_for(user: User) -> list[ApiToken]:
    """Return every token ``user`` ever created, newest first, revoked ones included."""
    return list(db.session.execute(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars())


def get_user(username: str) -> User | None:
    if not username or username != _storable(username):
        return None
    return db.session.execute(
        sa.select(User).where(User.username_key == (username or "").lower())
    ).scalar_one_or_none()
