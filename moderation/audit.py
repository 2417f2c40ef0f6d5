"""The audit log writer: one row for every moderation action, in the action's transaction."""
from __future__ import annotations

from typing import Any

from forum.db import utcnow
from forum.extensions import db
from forum.models import Post, Thread, User

from .models import ModerationAction, ReviewItem


def audit(action: str, *, by: User | None, target: Post | Thread | User, reason: str = "",
          item: ReviewItem | None = None, before: dict[str, Any] | None = None,
          after: dict[str, Any] | None = None) -> ModerationAction:
    """Write one audit row in the caller's transaction. ``by`` None means the system."""
    row = ModerationAction(actor_id=by.id if by else None, action=action, target_type=target_type(target),
                           target_id=target.id, review_item_id=item.id if item else None,
                           reason=(reason or "")[:2000], before=before, after=after, created_at=utcnow())
    db.session.add(row)
    return row


def target_type(target: Any) -> str:
    return {Post: "post", Thread: "thread", User: "user"}[type(target)]
