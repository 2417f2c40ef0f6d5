"""Reputation's pages and the pieces it adds to the forum's pages.

The ``reputation`` blueprint serves the badges page, the leaderboard and each
member's full ledger. The forum's templates know nothing of reputation: this module
provides their ``profile_panels`` and ``nav_links`` hooks (:mod:`forum.hooks`), so the
forum renders without this package and never imports it.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from forum import hooks
from forum.accounts.services import get_user
from forum.errors import Invalid, NotFound
from forum.models import Post, User
from forum.threads import queries as forum_queries
from forum.threads.actions import bad_request

from . import api, badges, charts, queries, rules
from .models import ReputationEvent

bp = Blueprint("reputation", __name__)

PERIOD_TABS = {"week": "This week", "month": "This month", "all": "All time"}
LEDGER_PAGE = 30
PROFILE_LEDGER_ROWS = 10


def _user_or_404(username: str) -> User:
    user = get_user(username)
    if user is None:
        raise NotFound()
    return user


@dataclass
class LedgerRow:
    event: ReputationEvent
    label: str
    post: Post | None


def ledger_rows(events: list[ReputationEvent]) -> list[LedgerRow]:
    return [LedgerRow(e, queries.reason_label(e.reason), queries.readable_post(e, current_user)) for e in events]


@bp.get("/badges")
def badge_index():
    """Every badge, what earns it, and who earned it lately."""
    catalogue = badges_catalogue()
    holders = queries.badge_holders([b.key for b in catalogue])
    return render_template("reputation/badges.html", catalogue=catalogue, holders=holders)


@bp.get("/leaderboard")
def leaderboard():
    """Who gained the most reputation this week, this month or ever, optionally
    in one category."""
    period = request.args.get("period") or "week"
    if period not in PERIOD_TABS:
        return bad_request({"period": "Choose this week, this month or all time."})
    category = None
    if slug := request.args.get("category"):
        category = forum_queries.get_category_by_slug(slug[:60])
        if category is None:
            raise NotFound()
    return render_template("reputation/leaderboard.html", period=period, periods=PERIOD_TABS,
                           category=category, categories=forum_queries.categories(),
                           since=queries.period_start(period),
                           leaders=queries.leaderboard(period, category=category))


@bp.get("/u/<username>/reputation")
def ledger(username: str):
    """A member's whole ledger, newest first, a page at a time."""
    user = _user_or_404(username)
    cursor = request.args.get("cursor") or None
    try:
        page = queries.ledger_page(user, cursor=cursor[:200] if cursor else None, limit=LEDGER_PAGE)
    except Invalid as exc:
        return bad_request(exc.errors)
    return render_template("reputation/ledger.html", user=user, rows=ledger_rows(page.items),
                           next_cursor=page.next_cursor, is_first=cursor is None)


@dataclass
class PrivilegeRow:
    key: str
    label: str
    needs: int
    #: Whether the viewer has it: by reputation, or by role (moderators have them all).
    has: bool
    #: How far the viewer is, 0-100, for the progress bar.
    progress: int


@bp.get("/privileges")
def privileges():
    """What reputation unlocks, and how far the viewer is from each privilege."""
    thresholds = current_app.config["PRIVILEGES"]
    user = current_user if current_user.is_authenticated else None
    rows = []
    for key, label in rules.PRIVILEGE_LABELS.items():
        needs = thresholds.get(key, 1)
        rep = user.reputation if user else 0
        has = bool(user) and (user.is_moderator or rep >= needs)
        rows.append(PrivilegeRow(key, label, needs, has, 100 if has else min(99, rep * 100 // max(needs, 1))))
    rows.sort(key=lambda r: (r.needs, r.label))
    return render_template("reputation/privileges.html", rows=rows, viewer=user)


# -- Pieces for the forum's templates ---------------------------------------------

def badges_catalogue() -> list[badges.Badge]:
    return list(badges.BADGES.values())


def profile_panels(user: User, where: str = "content") -> list[Markup]:
    """The reputation panels of ``user``'s profile: the chart and the latest ledger
    rows in the main column (``where="content"``); badges and top tags in the sidebar."""
    if where == "content":
        points = queries.history(user)
        recent = queries.ledger_page(user, limit=PROFILE_LEDGER_ROWS)
        return [Markup(render_template(
            "reputation/_profile_panel.html", user=user, points=points,
            chart=charts.reputation_chart(points, label=f"{user.name}'s reputation over time"),
            rows=ledger_rows(recent.items), more=recent.next_cursor is not None))]
    if where == "sidebar":
        definitions = badges.BADGES
        earned = [(definitions.get(b.badge), b) for b in queries.badges_of(user)]
        return [Markup(render_template("reputation/_profile_sidebar.html", user=user,
                                       earned=[(d, b) for d, b in earned if d is not None],
                                       tags=queries.top_tags(user)))]
    return []


def nav_links() -> list[tuple[str, str, str]]:
    """(endpoint, label, url) for the main navigation."""
    # Badges and privileges are a click away from the leaderboard; the header stays short.
    return [("reputation.leaderboard", "Leaderboard", url_for("reputation.leaderboard"))]


def init_app(app: Flask) -> None:
    """Register the pages, the API endpoints and the template hooks."""
    app.register_blueprint(bp)
    api.init_app(app)
    hooks.provide(app, "profile_panels", profile_panels)
    hooks.provide(app, "nav_links", nav_links)
    app.add_template_filter(queries.reason_label, "reason_label")
