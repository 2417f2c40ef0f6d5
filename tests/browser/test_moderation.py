"""A moderator clears a flag from the keyboard, and the audit log shows it."""
from __future__ import annotations

import pytest

from forum.models import Role
from tests import factories

from .conftest import SCREENSHOTS
from .people import PASSWORD, answer_article


@pytest.fixture
def live_app(make_app):
    """The browser app with a small community's thresholds: everyone may flag."""
    app = make_app(WTF_CSRF_ENABLED=True, PRIVILEGES={"vote_up": 1, "vote_down": 1, "flag": 1,
                                                      "post_without_review": 1, "trusted_flags": 100})
    with app.app_context():
        factories.category("Getting started", "Installing, signing in and first steps.")
    return app


def _log_in(page, username: str) -> None:
    page.goto("/login")
    page.locator("#f-login").fill(username)
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator(".user-menu").count() == 1, page.url


def _community(app):
    with app.app_context():
        factories.user("mona", role=Role.MODERATOR, display_name="Mona Moderator")
        factories.user("flo", display_name="Flo Flagger")
        author = factories.user("sellerbob", display_name="Seller Bob")
        asker = factories.user("ada", display_name="Ada")
        thread = factories.thread(asker, title="Sync stops after the laptop wakes from sleep",
                                  body="Since the last update the sync icon stays grey after sleep. Ideas?")
        factories.answer(thread, author, body="**Best prices** on replica watches: visit cheap-watches dot example!")
        factories.answer(thread, asker, body="Turning Wi-Fi off and on again brings it back for me.")
        return thread.id


def test_a_flag_is_decided_from_the_keyboard_and_audited(live_app, new_page):
    thread_id = _community(live_app)

    member, member_problems = new_page()
    _log_in(member, "flo")
    member.goto(f"/t/{thread_id}")
    spam = answer_article(member, "replica watches")
    spam.locator(".flag-control > summary").click()
    spam.get_by_label("Spam").check()
    spam.get_by_role("button", name="Flag answer").click()
    member.wait_for_load_state()
    assert "the moderators will look at this post" in member.locator(".flash").inner_text()
    assert "You flagged this" in answer_article(member, "replica watches").inner_text()
    assert member_problems.take() == []

    mod, problems = new_page()
    _log_in(mod, "mona")
    assert mod.locator(".nav-review .count-badge").inner_text() == "1"
    mod.goto("/review")
    items = mod.locator(".review-item")
    assert items.count() == 1
    assert "replica watches" in items.first.inner_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    mod.screenshot(path=str(SCREENSHOTS / "moderation-review.png"), full_page=True)

    # Keyboard only from here: help, move, decide.
    mod.locator("body").press("?")
    assert mod.get_by_role("dialog", name="Keyboard shortcuts").is_visible()
    mod.keyboard.press("Escape")
    assert not mod.locator("#shortcuts").is_visible()
    mod.keyboard.press("j")
    assert mod.evaluate("document.activeElement.classList.contains('review-item')")
    mod.keyboard.press("r")
    mod.locator(".review-item").first.wait_for(state="detached")
    mod.locator("#review-status", has_text="deleted").wait_for(state="attached")
    assert mod.locator("[data-review-done]").is_visible()

    mod.goto("/admin/audit")
    row = mod.locator(".audit-table tbody tr").first
    assert "Mona Moderator" in row.inner_text()
    assert "reject" in (row.get_attribute("data-action") or "")
    mod.screenshot(path=str(SCREENSHOTS / "moderation-audit.png"), full_page=True)

    # The flagger sees the outcome on the thread.
    member.goto(f"/t/{thread_id}")
    assert member.locator(".post", has_text="replica watches").count() == 0
    assert problems.take() == []
