"""Every main page renders well at phone and desktop widths.

Each page is screenshotted at both widths (into ``screenshots/``, git-ignored, for a
person to look at) and checked for what a screenshot can't show: no sideways
scrolling on a phone, one ``<main>`` and one ``<h1>``, a label for every control, and
no console errors or CSP violations.
"""
from __future__ import annotations

import pytest

from forum.accounts import services as accounts
from forum.models import Role
from forum.threads import services as threads
from tests import factories

from .conftest import DESKTOP, PHONE, SCREENSHOTS
from .people import PASSWORD

pytestmark = pytest.mark.browser

QUESTION_BODY = """\
Since the 4.2 upgrade, single sign-on fails for everyone in our workspace. The log says:

```
saml2.response: SignatureError: signature validation failed for https://idp.example.com/metadata/a-very-long-path-that-does-not-wrap
```

What we tried so far:

1. Re-uploading the IdP certificate
2. Clearing the session cookies

| Version | SSO works? |
|---------|------------|
| 4.1.9   | yes        |
| 4.2.0   | no         |

> Is the certificate format different now?
"""

ACCEPTED = """\
4.2 only accepts **SHA-256** signatures. In your IdP, switch the signing algorithm and
re-download the metadata:

```
Settings → Security → Signature algorithm → RSA-SHA256
```
"""

CONTROLS_WITHOUT_LABEL = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type) && !el.hidden)
  .filter(el => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')
                && !(el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
                && !el.closest('label'))
  .map(el => el.outerHTML.slice(0, 80))"""


@pytest.fixture
def community(live_app):
    """A small community with a solved thread worth looking at."""
    with live_app.app_context():
        alice = factories.user("alice")
        accounts.update_profile(alice, by=alice, display_name="Alice Martin",
                                about="Runs IT for a 40-person design studio.")
        bob = factories.user("bob", display_name="Bob Chen")
        mod = factories.user("maria", role=Role.MODERATOR, display_name="Maria Costa")
        category = factories.category("Single sign-on", "SAML, OIDC and directory sync.")
        thread = threads.ask(author=alice, title="SSO login fails with a signature error after upgrading to 4.2",
                             body=QUESTION_BODY, category_id=category.id, tags=["sso", "saml", "upgrade"])
        accepted = threads.post_answer(thread, author=mod, body=ACCEPTED)
        other = threads.post_answer(thread, author=bob, body="Did you restart the app after uploading the certificate?")
        threads.cast_vote(accepted, by=bob, value=1)
        threads.cast_vote(thread.question, by=bob, value=1)
        threads.cast_vote(other, by=alice, value=1)
        threads.accept_answer(accepted, by=alice)
        for n in range(3):
            factories.thread(bob, title=f"How do I export invoices for the {n + 1}. quarter as CSV?",
                             tags=["billing", "export"])
        return {"thread": f"/t/{thread.id}", "profile": "/u/alice"}


def _log_in(page) -> None:
    page.goto("/login")
    page.locator("#f-login").fill("alice")
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator(".user-menu").count() == 1


def _submit_ask_with_mistakes(page) -> None:
    page.goto("/ask")
    page.locator("#f-title").fill("Help")
    page.locator("#f-body").fill("It broke.")
    page.locator("#f-category").select_option(index=1)
    page.locator("#f-tags").fill("a, b, c, d, e, f")
    page.get_by_role("button", name="Post your question").click()
    page.wait_for_load_state()
    assert page.locator(".form-errors").count() == 1


def _check(page, problems, name: str, *, expected_status_errors: int = 0) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    where = f"{name} at {width}px"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{where} scrolls sideways by {overflow}px"
    assert page.locator("main").count() == 1, where
    assert page.locator("h1").count() == 1, where
    assert page.evaluate(CONTROLS_WITHOUT_LABEL) == [], where
    found = problems.take()
    # A rejected form answers 400, which Chromium logs about the document itself.
    status = [m for m in found if "status of 400" in m]
    assert len(status) == expected_status_errors and len(found) == len(status), f"{where}: {found}"


def test_pages_render_cleanly_on_phones_and_desktops(new_page, community):
    visitor, visitor_problems = new_page()
    page, problems = new_page()
    _log_in(page)
    problems.take()
    # One browser session resized, rather than one per width: half the set-up time.
    for viewport in (PHONE, DESKTOP):
        visitor.set_viewport_size(viewport)
        visitor.goto("/login")
        _check(visitor, visitor_problems, "login")

        page.set_viewport_size(viewport)
        for name, url in [("home", "/"), ("thread", community["thread"]), ("profile", community["profile"])]:
            page.goto(url)
            _check(page, problems, name)
        _submit_ask_with_mistakes(page)
        _check(page, problems, "ask-errors", expected_status_errors=1)
