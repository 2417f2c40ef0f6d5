"""A flood: 500 answers from a fresh account through the real pages.

The posting limit turns most of them away with 429 (text kept, nothing created), what
gets through waits in the review queue where nobody else can see it, nothing answers
500, and one bulk reject clears the lot.
"""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from forum.extensions import db
from forum.models import Post, PostState, Role, User
from moderation import services
from moderation.models import ItemStatus, ReviewItem
from tests import factories

FLOOD = 500
LIMIT = 10


def test_a_flood_from_a_fresh_account_is_throttled_queued_and_cleared(make_app):
    app = make_app(NEW_USER_POST_RATE=f"{LIMIT} per hour", POST_RATE="30 per hour", NEW_USER_REVIEW_POSTS=3,
                   PRIVILEGES={"vote_up": 1, "vote_down": 1, "post_without_review": 1000})
    with app.app_context():
        thread = factories.thread(factories.staff("sam"))
        thread_id, path = thread.id, f"/t/{thread.id}/answers"
        spammer_session = factories.user("fresh.account").get_id()
        moderator_id = factories.user("mod", role=Role.MODERATOR).id

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = spammer_session
    statuses = Counter()
    for n in range(FLOOD):
        response = client.post(path, data={"body": f"Buy now at the best casino in town, offer number {n}!"})
        statuses[response.status_code] += 1
        if response.status_code == 429:
            assert response.headers["Retry-After"].isdigit()
    assert statuses == {302: LIMIT, 429: FLOOD - LIMIT}, statuses

    with app.app_context():
        spammer = db.session.execute(sa.select(User).where(User.username == "fresh.account")).scalar_one()
        posts = list(db.session.execute(sa.select(Post).where(Post.author_id == spammer.id)).scalars())
        assert len(posts) == LIMIT
        assert {p.state for p in posts} == {PostState.QUEUED}
        assert services.pending_count() == LIMIT
        items = list(db.session.execute(sa.select(ReviewItem).where(
            ReviewItem.target_type == "post", ReviewItem.target_id.in_([p.id for p in posts]))).scalars())
        assert len(items) == LIMIT and {i.status for i in items} == {ItemStatus.PENDING}

    # Nobody else sees any of it.
    page = app.test_client().get(f"/t/{thread_id}").get_data(as_text=True)
    assert "best casino in town" not in page

    with app.app_context():
        items = list(db.session.execute(sa.select(ReviewItem).where(ReviewItem.status == ItemStatus.PENDING))
                     .scalars())
        decided = services.bulk_perform(items, "reject", by=db.session.get(User, moderator_id), reason="Spam flood")
        assert len(decided) == LIMIT
        assert services.pending_count() == 0
        states = set(db.session.execute(sa.select(Post.state).where(Post.author_id == spammer.id)).scalars())
        assert PostState.VISIBLE not in states and PostState.QUEUED not in states
