"""Search in the browser: similar questions while asking, the header box, the filters."""
from __future__ import annotations

import re

import pytest

from forum.jobs import worker
from forum.threads import services as threads
from tests import factories

from .conftest import PHONE, SCREENSHOTS
from .people import PASSWORD

pytestmark = pytest.mark.browser

SOLVED_TITLE = "Sync stops after the laptop wakes from sleep"


@pytest.fixture
def live_app(make_app):
    """The browser app with an indexed community: one solved thread about sync."""
    app = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    with app.app_context():
        getting_started = factories.category("Getting started", "Installing, signing in and first steps.")
        ada, bob = factories.user("ada", display_name="Ada"), factories.user("bob", display_name="Bob")
        factories.user("carl", display_name="Carl")
        solved = factories.thread(ada, title=SOLVED_TITLE, tags=["sync"], category_obj=getting_started,
                                  body="Since the last update the sync icon stays grey after sleep. Ideas?")
        answer = factories.answer(solved, bob, body="Turn off *Pause sync on sleep* under Settings, Devices.")
        threads.accept_answer(answer, by=ada)
        factories.thread(bob, title="Laptop sync <b>stops</b> after sleep <img src=x onerror=alert(1)>",
                         category_obj=getting_started, body="Markup in a title is only text.")
        factories.thread(bob, title="Invoices are sent to the wrong e-mail address", category_obj=getting_started,
                         body="Our invoices still go to the old billing contact.")
        factories.thread(bob, title="Dark mode makes the booking page unreadable", category_obj=getting_started,
                         body="White text on a white background since the update.")
        worker.drain()
        worker.drain()
    return app


def _log_in(page, username: str) -> None:
    page.goto("/login")
    page.locator("#f-login").fill(username)
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator(".user-menu").count() == 1, page.url


def test_typing_a_question_suggests_the_solved_thread_and_opens_it(new_page):
    page, problems = new_page()
    _log_in(page, "carl")
    page.goto("/ask")
    similar = page.locator("#similar")
    # With scripts the suggestions come while typing; the round-trip button steps aside.
    assert not page.get_by_role("button", name="Check for similar questions").is_visible()
    assert not similar.locator(".similar-list").is_visible()

    page.locator("#f-title").press_sequentially("Sync stopped after my laptop woke up", delay=15)
    suggestion = similar.locator(".similar-item", has_text=SOLVED_TITLE)
    suggestion.wait_for()
    assert "✓ Solved" in suggestion.inner_text() and "1 answer" in suggestion.inner_text()
    assert similar.get_attribute("aria-live") == "polite" or \
        similar.locator("[aria-live=polite]").count() == 1
    # Titles are text, never markup.
    marked = similar.locator(".similar-item", has_text="<b>stops</b>")
    marked.wait_for()
    assert marked.locator("b, img").count() == 0
    link = suggestion.get_by_role("link")
    assert re.match(r"^/search/open\?log=\d+&key=thread:\d+$", link.get_attribute("href"))
    assert link.get_attribute("target") == "_blank"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "search-ask-suggestions.png"))

    # Keyboard reachable: Tab from the title lands on the first suggestion.
    page.locator("#f-title").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('similar-link')")

    with page.context.expect_page() as opened:
        link.click()
    thread_page = opened.value
    thread_page.wait_for_load_state()
    assert thread_page.locator("h1").inner_text().startswith(SOLVED_TITLE)
    assert re.search(r"/t/\d+/sync-stops-after", thread_page.url)
    # The form is untouched in the first tab.
    assert page.locator("#f-title").input_value() == "Sync stopped after my laptop woke up"

    # "None of these": the list goes away and the details field takes the focus.
    page.get_by_role("button", name="None of these: keep asking").click()
    assert not similar.locator(".similar-list").is_visible()
    assert page.evaluate("document.activeElement.id") == "f-body"
    assert problems.take() == []


def test_without_scripts_the_check_button_finds_it(new_page):
    page, problems = new_page(javascript=False)
    _log_in(page, "carl")
    page.goto("/ask")
    page.locator("#f-title").fill("Sync stopped after my laptop woke up")
    page.get_by_role("button", name="Check for similar questions").click()
    page.wait_for_load_state()
    suggestion = page.locator("#similar .similar-item", has_text=SOLVED_TITLE)
    assert "✓ Solved" in suggestion.inner_text()
    assert page.locator("#f-title").input_value() == "Sync stopped after my laptop woke up"
    assert problems.take() == []


def test_the_header_box_searches_and_highlights(new_page):
    page, problems = new_page()
    page.goto("/")
    # "/" jumps to the box from anywhere but a form field.
    page.locator("body").press("/")
    assert page.evaluate("document.activeElement.id") == "header-q"
    page.keyboard.type("laptop sleep")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=laptop\+sleep"))
    result = page.locator(".search-result", has_text=SOLVED_TITLE)
    assert result.locator("mark").count() >= 1
    assert "✓ Solved" in result.inner_text()
    assert re.search(r"\d+ results? for", page.locator("#search-summary").inner_text())
    assert page.locator("#f-q").input_value() == "laptop sleep"
    page.screenshot(path=str(SCREENSHOTS / "search-results.png"), full_page=True)

    # Picking a filter applies it at once, keeping the query.
    page.locator("#f-status").select_option("solved")
    page.wait_for_url(re.compile(r"status=solved"))
    assert "q=laptop+sleep" in page.url
    assert page.locator(".search-chip", has_text="solved only").count() == 1

    result.get_by_role("link", name=SOLVED_TITLE).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(SOLVED_TITLE)
    assert problems.take() == []


def test_on_a_phone_the_header_shows_a_search_icon(new_page):
    page, problems = new_page(viewport=PHONE)
    page.goto("/")
    assert not page.locator("#header-q").is_visible()
    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 120, "the header stays two rows"
    page.locator(".header-search-link").click()
    page.wait_for_url(re.compile(r"/search$"))
    assert page.evaluate("document.activeElement.id") == "f-q"
    page.locator("#f-q").fill("laptop sleep")
    page.locator("#f-q").press("Enter")
    page.wait_for_url(re.compile(r"q=laptop"))
    assert page.locator(".search-result mark").count() >= 1
    # The filters fold away on phones until asked for.
    assert not page.locator("#f-status").is_visible()
    page.get_by_role("button", name=re.compile("Filters and sort")).click()
    assert page.locator("#f-status").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "search-results-phone.png"), full_page=True)
    assert problems.take() == []
