"""Notifications in the browser: a mention picked from the editor's suggestions reaches
the person, who sees the bell's count and lands on the post; watch buttons and
"Mark read" work with and without JavaScript."""
from __future__ import annotations

import re

import pytest

from forum.extensions import db
from forum.jobs import worker
from forum.models import Post, Thread
from tests import factories

from .conftest import PHONE
from .people import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, username: str) -> None:
    page.goto("/login")
    page.locator("#f-login").fill(username)
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator(".user-menu").count() == 1, page.url


@pytest.fixture
def thread_url(live_app):
    """Alice asked; Bobby (not Bob) answered, so he comes first among "@bo..."."""
    with live_app.app_context():
        alice = factories.user("alice", display_name="Alice Asker")
        factories.user("bob", display_name="Bob Builder")
        factories.user("carol")
        bobby = factories.user("bobby", display_name="Roberta Tables")
        thread = factories.thread(alice, title="Invoices show dollars instead of euros",
                                  body="Since the upgrade every invoice is in US dollars.")
        factories.answer(thread, bobby, body="Check the workspace currency under Settings.")
        return f"/t/{thread.id}"


def bell_count(page) -> str:
    badge = page.locator(".nav-bell .count-badge")
    return badge.inner_text() if badge.count() else ""


def test_a_mention_picked_from_the_suggestions_reaches_the_person_and_the_post(new_page, live_app, thread_url):
    carol, carol_problems = new_page()
    log_in(carol, "carol")
    carol.goto(thread_url)
    body = carol.locator("#answer #f-body")
    body.click()
    body.press_sequentially("Same here. @bo", delay=30)

    listbox = carol.get_by_role("listbox", name="People to mention")
    listbox.wait_for()
    options = listbox.get_by_role("option")
    # Bobby answered in this thread, so he comes first; then the others, by name.
    assert options.nth(0).inner_text().startswith("B\n@bobby") or "@bobby" in options.nth(0).inner_text()
    assert "@bob" in options.nth(1).inner_text() and "Bob Builder" in options.nth(1).inner_text()
    assert body.get_attribute("aria-expanded") == "true"
    assert body.get_attribute("aria-controls") == listbox.get_attribute("id")
    assert body.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")

    body.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    assert body.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    body.press("Enter")
    assert body.input_value() == "Same here. @bob "
    assert listbox.is_hidden() and body.get_attribute("aria-expanded") == "false"

    # Escape closes a list without choosing; the mouse picks too.
    body.press_sequentially("and @ali", delay=30)
    listbox.wait_for()
    body.press("Escape")
    assert listbox.is_hidden() and body.input_value() == "Same here. @bob and @ali"
    body.press("Backspace")
    listbox.wait_for()
    listbox.get_by_role("option", name=re.compile("@alice")).click()
    assert body.input_value() == "Same here. @bob and @alice "
    body.press_sequentially("it is per workspace.", delay=5)

    carol.get_by_role("button", name="Post your answer").click()
    carol.wait_for_load_state()
    posted = carol.locator(".answers article.post", has_text="per workspace")
    assert posted.locator("a[href='/u/bob']").inner_text() == "@bob"

    with live_app.app_context():
        worker.drain()
        post_id = db.session.query(Post.id).filter(Post.body.contains("per workspace")).scalar()

    bob, bob_problems = new_page()
    log_in(bob, "bob")
    assert bell_count(bob) == "1"
    assert bob.locator(".nav-bell").get_attribute("data-unread") == "1"
    bob.locator(".nav-bell").click()
    bob.wait_for_load_state()
    assert bob.url.endswith("/notifications")
    row = bob.locator(".notification.is-unread")
    assert row.count() == 1 and "carol mentioned you in" in row.inner_text()
    row.get_by_role("link").click()
    bob.wait_for_load_state()
    assert bob.url.endswith(f"#post-{post_id}")
    target = bob.locator(f"#post-{post_id}")
    assert target.is_visible() and "per workspace" in target.inner_text()
    assert target.evaluate("el => { const r = el.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }")
    # Opening it marked it read.
    assert bell_count(bob) == ""
    assert carol_problems.take() == [] and bob_problems.take() == []


def test_watch_buttons_and_mark_read_work_without_a_reload(new_page, live_app, thread_url):
    with live_app.app_context():
        thread = db.session.get(Thread, int(thread_url.rsplit("/", 1)[1]))
        factories.answer(thread, factories.user("dave"), body="Also check the invoice template.")
        factories.answer(thread, db.session.query(factories.accounts.User).filter_by(username="bobby").one(),
                         body="And the customer's own currency setting.")
    page, problems = new_page()
    log_in(page, "alice")
    assert bell_count(page) == "3"
    page.goto(thread_url)
    page.evaluate("window.__stillHere = 'yes'")
    box = page.locator(".watch-box")
    assert box.get_by_role("button", name="Watching").get_attribute("aria-pressed") == "true"
    box.get_by_role("button", name="Muted").click()
    page.wait_for_function("() => document.querySelector('.watch-box [value=muted]').getAttribute('aria-pressed') === 'true'")
    assert box.get_by_role("button", name="Watching").get_attribute("aria-pressed") == "false"
    assert "never hear about this thread" in box.locator(".watch-state").inner_text()
    assert page.evaluate("window.__stillHere") == "yes"
    page.reload()
    assert page.locator(".watch-box [value=muted]").get_attribute("aria-pressed") == "true"

    page.goto("/notifications")
    page.evaluate("window.__stillHere = 'yes'")
    row = page.locator(".notification.is-unread")
    assert row.count() == 1 and "3 new answers" in row.inner_text()
    row.get_by_role("button", name=re.compile("Mark read")).click()
    page.wait_for_function("() => !document.querySelector('.notification.is-unread')")
    assert bell_count(page) == ""
    assert page.locator("[data-unread-summary]").inner_text() == "You're all caught up."
    assert page.evaluate("window.__stillHere") == "yes"
    assert problems.take() == []


def test_without_javascript_the_forms_still_work(new_page, live_app, thread_url):
    page, problems = new_page(javascript=False)
    log_in(page, "bobby")
    page.goto(thread_url)
    page.locator(".watch-box").get_by_role("button", name="Muted").click()
    page.wait_for_load_state()
    assert page.locator(".watch-box [value=muted]").get_attribute("aria-pressed") == "true"
    assert "Muted" in page.locator(".flash").inner_text()
    # The editor is a plain textarea: no listbox, nothing in the way.
    page.locator("#answer #f-body").fill("@bob see above")
    assert page.locator("[role=listbox]").count() == 0
    assert problems.take() == []


def test_the_bell_is_in_sight_on_a_phone(new_page, live_app, thread_url):
    page, problems = new_page(viewport=PHONE)
    log_in(page, "bobby")
    with live_app.app_context():
        thread = db.session.get(Thread, int(thread_url.rsplit("/", 1)[1]))
        factories.answer(thread, factories.user("erin"), body="Works for me after switching the currency.")
    page.reload()
    bell = page.locator(".nav-bell")
    assert bell.is_visible() and bell_count(page) != ""
    box = bell.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("""() => { const b = document.querySelector('.nav-bell').getBoundingClientRect();
        return document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2).closest('.nav-bell') !== null; }""")
    assert problems.take() == []
