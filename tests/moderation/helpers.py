"""Shared builders for the moderation tests."""
from __future__ import annotations

import sqlalchemy as sa

from forum.extensions import db
from forum.models import Role
from moderation.models import ModerationAction, ReviewItem
from tests import factories

#: Privileges pinned low, except the review queue: "a member" may flag but not review.
PRIVILEGES = {"vote_up": 1, "vote_down": 1, "flag": 1, "post_without_review": 1, "trusted_flags": 500,
              "close_reopen": 3000}


def moderator(name: str | None = None):
    return factories.user(name, role=Role.MODERATOR)


def item_for(post) -> ReviewItem:
    return db.session.execute(sa.select(ReviewItem).where(
        ReviewItem.target_type == "post", ReviewItem.target_id == post.id)).scalar_one()


def audit_rows(action: str | None = None) -> list[ModerationAction]:
    query = sa.select(ModerationAction).order_by(ModerationAction.id)
    if action:
        query = query.where(ModerationAction.action == action)
    return list(db.session.execute(query).scalars())
