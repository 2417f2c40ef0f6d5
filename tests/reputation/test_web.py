"""Reputation's pages: badges, leaderboard, the ledger, and the profile panels."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from forum.extensions import db
from forum.models import Post, User
from forum.threads import services as threads
from reputation.badges import BADGES
from tests import factories as f

from .community import build, days_ago, move


@pytest.fixture
def world(app):
    """The community, as ids: the requests run in their own sessions."""
    with app.app_context():
        return SimpleNamespace(**{name: obj.id for name, obj in vars(build()).items()})


def _get(model, ident):
    return db.session.get(model, ident)


def test_the_main_navigation_links_the_leaderboard_and_the_leaderboard_the_badges(client, world):
    html = client.get("/").text
    assert re.search(r'<nav class="main-nav".*href="/leaderboard"', html, re.S)
    assert re.search(r'href="/leaderboard" aria-current="page"', client.get("/leaderboard").text)
    assert 'href="/badges"' in client.get("/leaderboard").text


def test_the_badges_page_lists_every_badge_and_who_earned_it(client, world):
    response = client.get("/badges")
    assert response.status_code == 200
    html = response.text
    for badge in BADGES.values():
        assert f'id="badge-{badge.key}"' in html and badge.name in html
    solver = html.split('id="badge-first_accepted"')[1].split("</li>\n  \n")[0]
    assert 'href="/u/bob"' in solver
    assert "Nobody has earned this yet." in html.split('id="badge-accepted_50"')[1]


def test_the_leaderboard_has_period_tabs_and_ranks_by_reputation_gained(app, client, world):
    with app.app_context():
        move(_get(User, world.bob), days_ago(400))
    html = client.get("/leaderboard?period=all").text
    assert re.search(r'period=month"\s*>This month', html)
    assert re.search(r'href="/leaderboard\?period=all"\s+aria-current="page"', html)
    rows = re.findall(r'<a href="/u/(\w+)">', html.split("<tbody>")[1])
    assert rows == ["bob", "dave", "alice"]
    assert "+35" in html
    week = client.get("/leaderboard").text
    assert 'href="/u/bob"' not in week.split("<main")[1]
    assert 'href="/u/dave"' in week


def test_the_leaderboard_filters_by_category(client, world):
    html = client.get("/leaderboard?period=all&category=accounts").text
    body = html.split("<tbody>")[1]
    assert 'href="/u/dave"' in body and 'href="/u/bob"' not in body
    assert '<option value="accounts" selected>' in html
    assert "· Accounts" in html


def test_the_leaderboard_says_so_when_nobody_gained_anything(client, world):
    f_html = client.get("/leaderboard?category=billing&period=month").text
    assert "<tbody>" in f_html  # sanity: this month has Bob
    with client.application.app_context():
        f.category("Empty corner")
    html = client.get("/leaderboard?category=empty-corner").text
    assert "Nobody has gained reputation" in html


@pytest.mark.parametrize(("query", "status"), [
    ("period=year", 400), ("period=%00", 400), ("category=nope", 404), ("category=" + "x" * 500, 404),
])
def test_bad_leaderboard_links_answer_cleanly(client, world, query, status):
    assert client.get(f"/leaderboard?{query}").status_code == status


def test_the_ledger_page_links_each_row_to_its_post(client, world):
    html = client.get("/u/bob/reputation").text
    assert "Reputation of bob" in html
    assert html.count("Answer voted up") == 2 and "Answer accepted" in html
    assert re.search(rf'href="/t/{world.invoices}/[a-z-]+#post-{world.fix}">Invoice shows', html)
    assert client.get("/u/nobody/reputation").status_code == 404
    assert client.get("/u/bob/reputation?cursor=broken").status_code == 400


def test_the_ledger_page_pages_without_gaps(app, client, world):
    with app.app_context():
        for _ in range(31):
            threads.cast_vote(_get(Post, world.fix), by=f.user(), value=1)
    first = client.get("/u/bob/reputation").text
    assert first.count('class="rep-delta') == 30
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).text
    assert second.count('class="rep-delta') == 34 - 30
    assert 'rel="next"' not in second and "Newest" in second


def test_the_ledger_hides_posts_the_viewer_may_not_see(app, client, world):
    with app.app_context():
        threads.delete_post(_get(Post, world.fix), by=_get(User, world.bob))
    html = client.get("/u/bob/reputation").text
    assert "Invoice shows the wrong currency" not in html
    assert "Not available" in html and "Post deleted" in html


def test_the_profile_shows_the_reputation_panel_with_the_chart(client, world):
    html = client.get("/u/bob").text
    svg = re.search(r"<svg class=\"rep-chart\".*?</svg>", html, re.S).group()
    root = ET.fromstring(svg)
    assert root.find("{http://www.w3.org/2000/svg}title").text == "bob's reputation over time"
    assert root.get("role") == "img"
    assert "Show the figures" in html  # the chart's numbers as a table
    panel = html.split('id="rep-title"')[1].split("</section>")[0]
    assert "<strong>36</strong>" in panel
    assert panel.count('class="rep-delta') == 3 and "+15" in panel
    assert 'href="/u/bob/reputation"' in panel
    assert "Solver" in html and "Helper" in html  # badges in the sidebar
    assert 'href="/tags/invoices"' in html.split('id="top-tags-title"')[1]


def test_a_profile_without_history_explains_how_to_earn(client, world):
    with client.application.app_context():
        f.user("newcomer")
    html = client.get("/u/newcomer").text
    assert "No reputation changes yet." in html and "No badges yet." in html
    assert 'style="' not in html
