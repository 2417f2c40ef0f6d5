"""Tell moderators when the review queue needs them.

A periodic job looks at the queue: when the pending items reach
``MODERATION_ALERT_QUEUE_SIZE``, or the longest-waiting one has waited
``MODERATION_ALERT_AGE_HOURS``, every moderator gets one ``queue`` notification.
Each condition tells them once per crossing: not again while it lasts, only after the
queue has come back under the threshold and crossed it anew (so a queue hovering at
20 does not ring every five minutes). Either setting at 0 turns its alert off.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from forum import jobs
from forum.db import aware, utcnow
from forum.extensions import db
from forum.models import Role, User
from forum.notifications.services import alert

from .models import ItemStatus, ReviewItem

JOB = "moderation.alerts"
#: Seconds between two looks at the queue.
CHECK_SECONDS = 300
SIZE_KEY = "moderation.queue_size"
AGE_KEY = "moderation.queue_age"


def _waiting_since():
    # A reopened item waits from its reopening, not from when it first came in.
    return sa.case((ReviewItem.times_reopened > 0, ReviewItem.updated_at), else_=ReviewItem.created_at)


def queue_state() -> tuple[int, Any]:
    """How many items are pending, and since when the oldest of them waits (one query)."""
    count, oldest = db.session.execute(sa.select(sa.func.count(), sa.func.min(_waiting_since()))
                                       .where(ReviewItem.status == ItemStatus.PENDING)).one()
    return count, aware(oldest) if oldest is not None else None


def moderators() -> list[int]:
    """Everyone who can work the queue (moderators, staff and admins)."""
    return list(db.session.execute(sa.select(User.id).where(User.role != Role.MEMBER).order_by(User.id)).scalars())


def check(_payload: dict[str, Any] | None = None) -> int:
    """Job: compare the queue with both thresholds; notify on each new crossing.
    Returns how many notifications it wrote."""
    config = current_app.config
    size_limit = int(config["MODERATION_ALERT_QUEUE_SIZE"])
    age_limit = float(config["MODERATION_ALERT_AGE_HOURS"])
    count, oldest = queue_state()
    told = 0
    if size_limit > 0:
        told += alert(SIZE_KEY, count >= size_limit, moderators(), "queue",
                      data={"title": f"The review queue holds {count} items (the alert is at {size_limit})",
                            "alert": "size", "count": count})
    if age_limit > 0:
        waited = utcnow() - oldest if oldest is not None else timedelta(0)
        hours = int(waited.total_seconds() // 3600)
        told += alert(AGE_KEY, waited >= timedelta(hours=age_limit), moderators(), "queue",
                      data={"title": f"An item has waited {hours} hours in the review queue", "alert": "age",
                            "hours": hours})
    return told


def init_app(app: Flask) -> None:
    jobs.handler(app, JOB, check)
    jobs.periodic(app, JOB, CHECK_SECONDS)
