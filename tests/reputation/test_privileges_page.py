"""``/privileges``: what reputation unlocks and how far the viewer is."""
from __future__ import annotations

import re

from forum.models import Role
from reputation.rules import PRESETS, PRIVILEGE_LABELS
from tests import factories as f


def _row(html: str, key: str) -> str:
    match = re.search(rf'<tr id="privilege-{key}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, key
    return match.group(0)


def test_anonymous_visitors_see_every_threshold_of_the_preset(make_app):
    app = make_app(PRIVILEGES={})
    html = app.test_client().get("/privileges").text
    for key, label in PRIVILEGE_LABELS.items():
        row = _row(html, key)
        assert label.replace("'", "&#39;") in row
        assert f'<td class="num">{PRESETS["medium"][key]}</td>' in row
    assert "Log in" in html


def test_members_see_what_they_have_earned_and_what_is_left(make_app, auth):
    app = make_app(PRIVILEGES={"vote_down": 50})
    client = app.test_client()
    with app.app_context():
        user = f.user("carol")
        from forum.extensions import db
        from forum.models import User

        db.session.get(User, user.id).reputation = 20  # the cache, enough for this page
        db.session.commit()
    client.post("/login", data={"login": "carol", "password": f.PASSWORD})
    html = client.get("/privileges").text
    assert "Earned" in _row(html, "vote_up")  # medium: 8
    vote_down = _row(html, "vote_down")
    assert "Earned" not in vote_down and "30 to go" in vote_down  # the override wins over the preset


def test_moderators_have_every_privilege(make_app):
    app = make_app(PRIVILEGES={})
    client = app.test_client()
    with app.app_context():
        f.user("mona", role=Role.MODERATOR)
    client.post("/login", data={"login": "mona", "password": f.PASSWORD})
    html = client.get("/privileges").text
    assert all("Earned" in _row(html, key) for key in PRIVILEGE_LABELS)


def test_the_leaderboard_and_profiles_link_the_privileges(make_app):
    app = make_app()
    client = app.test_client()
    with app.app_context():
        f.user("dora")
    assert 'href="/privileges"' in client.get("/leaderboard").text
    assert 'href="/privileges"' in client.get("/u/dora").text
