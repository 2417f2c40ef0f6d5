"""What a person does in the browser, step by step, through the real forms."""
from __future__ import annotations

PASSWORD = "correct horse battery"


def sign_up(page, username: str, *, display_name: str = "") -> None:
    """Create an account through the sign-up form; the browser is then logged in."""
    page.goto("/register")
    page.locator("#f-username").fill(username)
    page.locator("#f-email").fill(f"{username}@example.com")
    if display_name:
        page.locator("#f-display_name").fill(display_name)
    page.locator("#f-password").fill(PASSWORD)
    page.locator("#f-confirm_password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_load_state()
    assert page.locator(".user-menu").count() == 1, f"sign-up failed for {username}: {page.url}"


def ask(page, *, title: str, body: str, category: str = "Getting started", tags: str = "") -> str:
    """Ask a question through the form; returns the new thread's address."""
    page.goto("/ask")
    page.locator("#f-title").fill(title)
    page.locator("#f-body").fill(body)
    page.locator("#f-category").select_option(label=category)
    if tags:
        page.locator("#f-tags").fill(tags)
    page.get_by_role("button", name="Post your question").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(title), page.url
    return page.url


def answer(page, thread_url: str, body: str) -> None:
    page.goto(thread_url)
    page.locator("#answer #f-body").fill(body)
    page.get_by_role("button", name="Post your answer").click()
    page.wait_for_load_state()


def answer_article(page, text: str):
    """The answer whose body contains ``text``."""
    return page.locator(".answers article.post").filter(has=page.locator(".post-body", has_text=text))
