"""@mentions link to profiles on this site: they are not the outside links that new
members may post only a few of, nor spam."""
from __future__ import annotations

from forum.models import PostState
from tests import factories as f


def test_a_new_member_may_mention_several_people(make_app):
    app = make_app(NEW_USER_MAX_LINKS=1, PRIVILEGES={"post_links": 1000, "vote_up": 1, "vote_down": 1},
                   NEW_USER_REVIEW_POSTS=0)
    with app.app_context():
        for name in ("bob", "carol", "dave"):
            f.user(name)
        nora = f.user("nora")
        thread = f.thread(nora, body="@bob @carol @dave: has anyone seen invoices in the wrong currency?")
        assert thread.question.state == PostState.VISIBLE
        assert thread.question.body_html.count('href="/u/') == 3
