"""Domain errors that services raise and views and the API translate.

``Invalid`` carries per-field messages so a form can show them beside what the user
typed, and the API can list them in a problem document.
"""
from __future__ import annotations

from .db import Conflict
from .permissions import Decision, can


class Invalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class Forbidden(Exception):
    def __init__(self, decision: Decision):
        super().__init__(decision.reason)
        self.reason = decision.reason
        self.status = decision.status


class NotFound(Exception):
    pass


def require(user, action: str, target=None) -> None:
    """Raise :class:`Forbidden` unless ``can(user, action, target)``."""
    decision = can(user, action, target)
    if not decision:
        raise Forbidden(decision)


__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "require"]
