"""Extensions, created unbound and bound to an app in :func:`forum.create_app`."""
from __future__ import annotations

import flask_limiter
from flask import Flask, current_app, has_app_context, request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic can alter them, SQLite batch mode included.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter whose counters and on/off switch belong to each app.

    The stock extension keeps its storage on the extension object, so the last app
    bound would count for every app in the process: two apps in one server or one
    test run would share, and leak, their counts. :meth:`init_app` files the storage
    under ``app.extensions`` and the properties read the current app's. The limits
    themselves live in :mod:`forum.ratelimit`.
    """

    _KEY = "forum.ratelimit"

    def init_app(self, app: Flask) -> None:
        if not app.config.get("RATELIMIT_ENABLED", True):
            app.extensions[self._KEY] = None
            return
        super().init_app(app)
        app.extensions[self._KEY] = (self._storage, self._limiter)

    def _state(self) -> tuple:
        if has_app_context():
            return current_app.extensions.get(self._KEY) or ()
        return ()

    @property
    def enabled(self) -> bool:  # type: ignore[override]
        if has_app_context() and self._KEY in current_app.extensions:
            return current_app.extensions[self._KEY] is not None
        return self._enabled_default

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled_default = value

    @property
    def storage(self):
        state = self._state()
        return state[0] if state else super().storage

    @property
    def limiter(self):
        state = self._state()
        return state[1] if state else super().limiter


def remote_address() -> str:
    """The client's address; behind a reverse proxy, wrap the app in ProxyFix first."""
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=remote_address, strategy="fixed-window")
