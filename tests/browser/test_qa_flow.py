"""The forum's core loop as two people live it: ask, answer, vote, accept, solved."""
from __future__ import annotations

import pytest

from .people import answer, answer_article, ask, sign_up

pytestmark = pytest.mark.browser

QUESTION = "Sign-in link expires before I can click it"
DETAILS = ("The e-mail with the sign-in link arrives after about ten minutes, and by then "
           "the link says it has expired. What can I do?")
REPLY = "Links last fifteen minutes. Ask for a new one and open it on the same device."


def _two_people_and_an_answer(new_page, *, javascript: bool):
    asker, asker_problems = new_page(javascript=javascript)
    helper, helper_problems = new_page(javascript=javascript)
    sign_up(asker, "alice", display_name="Alice Asker")
    sign_up(helper, "bob")
    thread_url = ask(asker, title=QUESTION, body=DETAILS, tags="login, email")
    answer(helper, thread_url, REPLY)
    assert answer_article(helper, "fifteen minutes").count() == 1
    asker.goto(thread_url)
    return asker, thread_url, [asker_problems, helper_problems]


def _assert_solved(page):
    assert "Solved" in page.locator("h1").inner_text()
    first = page.locator(".answers article.post").first
    assert "is-accepted" in first.get_attribute("class")
    assert "fifteen minutes" in first.locator(".post-body").inner_text()
    assert first.locator(".accepted-mark").is_visible()
    assert page.locator(".answers article.post.is-accepted").count() == 1


def _assert_the_answerer_earned(page):
    """Bob's profile shows the accept: +15 in the ledger, 1 + 10 + 15 in all, and the chart."""
    page.goto("/u/bob")
    panel = page.locator(".rep-panel")
    assert panel.locator(".rep-total strong").inner_text() == "26"
    accepted = panel.locator("tbody tr", has_text="Answer accepted")
    assert accepted.locator(".rep-delta").inner_text() == "+15"
    assert "Sign-in link expires" in accepted.locator("a").inner_text()
    chart = panel.locator("svg.rep-chart[role=img]")
    assert chart.is_visible()
    assert chart.locator("title").text_content() == "bob's reputation over time"
    assert "to 26 on" in chart.locator("desc").text_content()


def test_people_ask_answer_vote_and_accept_with_javascript(new_page):
    page, thread_url, problems = _two_people_and_an_answer(new_page, javascript=True)
    reply = answer_article(page, "fifteen minutes")
    assert reply.locator(".score").inner_text() == "0"

    # A marker on window survives only if the vote does not reload the page.
    page.evaluate("window.__stillHere = 'yes'")
    reply.locator("button.vote-up").click()
    page.wait_for_function(
        "() => document.querySelector('.answers article.post .score').textContent.trim() === '1'")
    assert page.evaluate("window.__stillHere") == "yes"
    assert reply.locator("button.vote-up").get_attribute("aria-pressed") == "true"

    reply.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    _assert_solved(page)
    # The vote was stored, not only drawn.
    page.reload()
    assert answer_article(page, "fifteen minutes").locator(".score").inner_text() == "1"
    _assert_the_answerer_earned(page)
    assert [m for p in problems for m in p.take()] == []


def test_the_same_flow_works_without_javascript(new_page):
    page, thread_url, problems = _two_people_and_an_answer(new_page, javascript=False)
    reply = answer_article(page, "fifteen minutes")

    reply.locator("button.vote-up").click()
    page.wait_for_load_state()
    reply = answer_article(page, "fifteen minutes")
    assert reply.locator(".score").inner_text() == "1"
    assert reply.locator("button.vote-up").get_attribute("aria-pressed") == "true"

    reply.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    _assert_solved(page)
    _assert_the_answerer_earned(page)
    assert [m for p in problems for m in p.take()] == []
