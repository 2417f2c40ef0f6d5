"""The thread pages: lists, the thread page, asking, answering, editing, history."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Post, PostState, Role, Thread
from forum.threads import services as s
from tests import factories as f

from .conftest import flashes


def _html(response) -> str:
    return response.get_data(as_text=True)


# --- lists -------------------------------------------------------------------------

@pytest.mark.parametrize("view", ["latest", "newest", "unanswered", "unsolved"])
def test_every_list_view_renders_with_its_tab_marked(client, world, view):
    response = client.get(f"/?view={view}")
    html = _html(response)
    assert response.status_code == 200
    label = {"latest": "Latest activity", "newest": "Newest", "unanswered": "Unanswered", "unsolved": "Unsolved"}[view]
    assert re.search(rf'aria-current="page">{label}</a>', html)


def test_the_home_page_lists_threads_with_their_figures(client, world):
    html = _html(client.get("/"))
    assert "Login fails after the upgrade" in html
    assert f'href="{world.url}"' in html
    assert 'href="/tags/sso"' in html and 'href="/c/login"' in html
    assert "<strong>1</strong> answer" in html
    assert "Ask a question" in html and "Popular tags" in html


def test_a_solved_thread_highlights_its_answer_count(app, client, world):
    with app.app_context():
        s.accept_answer(db.session.get(Post, world.answer), by=db.session.get(Thread, world.thread).author)
    assert "stat-answers has-accepted" in _html(client.get("/"))


def test_unanswered_lists_only_threads_without_answers(app, client, world):
    with app.app_context():
        f.thread(title="Nobody has answered this yet")
    html = _html(client.get("/?view=unanswered"))
    assert "Nobody has answered this yet" in html and "Login fails after the upgrade" not in html


@pytest.mark.parametrize("query", ["cursor=nonsense", "cursor=%00%ff", "cursor=WzEsMl0", "view=best"])
def test_a_broken_list_link_is_a_400_page_not_a_500(client, world, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert "first page" in _html(response) or "Unknown list" in _html(response)


def test_the_category_page_shows_its_description_and_threads(app, client, world):
    with app.app_context():
        f.thread(title="A thread in another category")
    html = _html(client.get(f"/c/{world.category_slug}"))
    assert "Signing in, SSO and passwords." in html
    assert "Login fails after the upgrade" in html and "another category" not in html


def test_unknown_category_and_tag_are_404(client, world):
    assert client.get("/c/nope").status_code == 404
    assert client.get("/tags/nope").status_code == 404


def test_the_tag_page_lists_its_threads_and_redirects_unnormalised_names(client, world):
    response = client.get("/tags/sso")
    assert response.status_code == 200 and "Login fails after the upgrade" in _html(response)
    response = client.get("/tags/SSO")
    assert response.status_code == 301 and response.headers["Location"].endswith("/tags/sso")


def test_the_tags_and_categories_indexes_show_counts(client, world):
    tags = _html(client.get("/tags"))
    assert 'href="/tags/sso"' in tags and "× 1" in tags
    cats = _html(client.get("/categories"))
    assert "Signing in, SSO and passwords." in cats and "1 question" in cats


# --- the thread page -------------------------------------------------------------------

def test_short_and_wrong_thread_addresses_move_permanently_to_the_canonical_one(client, world):
    for path in (f"/t/{world.thread}", f"/t/{world.thread}/old-title", f"/t/{world.thread}/x?slug=a&anchor=b"):
        response = client.get(path)
        assert response.status_code == 301
        assert response.headers["Location"].split("?")[0] == world.url


def test_the_thread_page_shows_question_answers_and_authors(client, world):
    response = client.get(world.url)
    html = _html(response)
    assert response.status_code == 200
    assert "<strong>error 42</strong>" in html
    assert "Clear the SSO cache" in html
    assert "1 answer" in html
    assert 'href="/u/alice"' in html and 'href="/u/bob"' in html
    assert "Log in to answer" in html


@pytest.mark.parametrize("path", ["/t/999", "/t/999/x", "/t/99999999999999", "/posts/999/edit", "/posts/999/revisions"])
def test_unknown_ids_are_404(client, world, login, path):
    login("alice")
    assert client.get(path).status_code == 404


def test_the_accepted_answer_comes_first_and_is_marked(app, client, world, login):
    with app.app_context():
        thread = db.session.get(Thread, world.thread)
        late = f.answer(thread, body="Upgrade the identity provider plugin.")
        s.cast_vote(db.session.get(Post, world.answer), by=f.user(), value=1)
        s.accept_answer(late, by=thread.author)
        late_id = late.id
    login("alice")
    html = _html(client.get(world.url))
    assert html.index(f'id="post-{late_id}"') < html.index(f'id="post-{world.answer}"')
    article = re.search(rf'<article class="([^"]*)"\s+id="post-{late_id}"', html)
    assert "is-accepted" in article.group(1)
    assert "accepted-mark" in html and "Unaccept" in html
    assert "already has an accepted answer" in html


def test_the_viewers_vote_is_pressed_and_own_posts_cannot_be_voted(app, client, world, login):
    with app.app_context():
        s.cast_vote(db.session.get(Post, world.answer), by=db.session.get(Thread, world.thread).author, value=1)
    login("alice")
    html = _html(client.get(world.url))
    answer = html[html.index(f'id="post-{world.answer}"'):]
    up = re.search(r'<button type="submit" class="vote-up"[^>]*>', answer).group(0)
    assert 'aria-pressed="true"' in up and 'value="0"' in up
    question = html[html.index(f'id="post-{world.question}"'):html.index(f'id="post-{world.answer}"')]
    up = re.search(r'<button type="submit" class="vote-up"[^>]*>', question).group(0)
    assert "disabled" in up and "your own post" in up


def test_deleted_answers_are_hidden_from_people_but_shown_to_moderators(app, client, world, login):
    with app.app_context():
        s.delete_post(db.session.get(Post, world.answer), by=db.session.get(Post, world.answer).author)
        f.user("mod", role=Role.MODERATOR)
    html = _html(client.get(world.url))
    assert "Clear the SSO cache" not in html and "0 answers" in html
    login("mod")
    html = _html(client.get(world.url))
    assert "Clear the SSO cache" in html and "This post is deleted" in html


def test_queued_posts_are_visible_to_their_author_with_a_notice(app, client, world, login):
    with app.app_context():
        db.session.execute(sa.update(Post).where(Post.id == world.answer).values(state=PostState.QUEUED))
        db.session.commit()
    assert "Clear the SSO cache" not in _html(client.get(world.url))
    login("bob")
    html = _html(client.get(world.url))
    assert "Clear the SSO cache" in html and "waiting for review" in html


def test_a_deleted_question_makes_the_thread_404_for_people(app, client, world, login):
    with app.app_context():
        thread = db.session.get(Thread, world.thread)
        s.delete_post(thread.question, by=f.user("boss", role=Role.MODERATOR))
    assert client.get(world.url).status_code == 404
    login("alice")
    assert client.get(world.url).status_code == 404
    assert "Login fails" not in _html(client.get("/"))


def test_locked_threads_show_a_notice_instead_of_the_answer_form(app, client, world, login):
    with app.app_context():
        db.session.execute(sa.update(Thread).where(Thread.id == world.thread).values(locked=True))
        db.session.commit()
    login("carol")
    html = _html(client.get(world.url))
    assert "This thread is locked" in html and 'action="/t/%d/answers"' % world.thread not in html


# --- answering -----------------------------------------------------------------------------

def test_answering_redirects_to_the_new_answer(app, client, world, login):
    login("carol")
    response = client.post(f"/t/{world.thread}/answers", data={"body": "Reinstall the SSO plugin, it fixed it for me."})
    assert response.status_code == 302
    with app.app_context():
        post = db.session.execute(sa.select(Post).where(Post.author_id == world.carol)).scalar_one()
    assert response.headers["Location"] == f"{world.url}#post-{post.id}"


def test_a_rejected_answer_keeps_every_character_typed(client, world, login):
    login("carol")
    body = "x" * 30_001
    response = client.post(f"/t/{world.thread}/answers", data={"body": body})
    assert response.status_code == 400
    html = _html(response)
    assert body in html and "at most 30,000 characters" in html


def test_the_answer_preview_button_renders_without_saving(app, client, world, login):
    login("carol")
    response = client.post(f"/t/{world.thread}/answers", data={"body": "Use **bold** <script>x</script>", "preview": "1"})
    html = _html(response)
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html and "<script>x" not in html
    with app.app_context():
        assert db.session.execute(sa.select(Post).where(Post.author_id == world.carol)).first() is None


def test_anonymous_answers_go_to_the_login_page(client, world):
    response = client.post(f"/t/{world.thread}/answers", data={"body": "I am not logged in at all."})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- asking ------------------------------------------------------------------------------------

def test_asking_needs_a_login(client, world):
    response = client.get("/ask")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_ask_form_is_prefilled_from_the_query_string(client, world, login):
    login("carol")
    html = _html(client.get("/ask?title=Printer+on+fire"))
    assert 'value="Printer on fire"' in html
    assert "Up to 5" in html and 'name="category"' in html


def test_asking_redirects_to_the_new_thread(app, client, world, login):
    login("carol")
    response = client.post("/ask", data={"title": "How do I export my invoices?", "body": "I need them as CSV.",
                                         "category": str(world.category), "tags": "billing, Export"})
    assert response.status_code == 302
    with app.app_context():
        thread = db.session.execute(sa.select(Thread).where(Thread.author_id == world.carol)).scalar_one()
        assert [t.name for t in thread.tags] == ["billing", "export"]
    assert response.headers["Location"] == f"/t/{thread.id}/how-do-i-export-my-invoices"
    assert flashes(client)[-1] == "Your question is posted."


def test_an_invalid_question_is_shown_again_with_everything_typed(client, world, login):
    login("carol")
    data = {"title": "short", "body": "A body <b>that</b> is long enough.", "category": str(world.category),
            "tags": "one, two, three, four, five, six"}
    response = client.post("/ask", data=data)
    html = _html(response)
    assert response.status_code == 400
    assert 'value="short"' in html and "A body &lt;b&gt;that&lt;/b&gt; is long enough." in html
    assert 'value="one, two, three, four, five, six"' in html
    assert re.search(rf'<option value="{world.category}" selected>', html)
    assert "Titles need at least" in html and "at most 5 tags" in html


def test_odd_ask_input_never_500s(client, world, login):
    login("carol")
    for data in ({}, {"category": "9" * 40}, {"title": "\x00\x01", "body": "\x00" * 20, "tags": ",,,"}):
        assert client.post("/ask", data=data).status_code == 400
    broken_utf8 = b"title=%ff%fe%fd&body=%c3%28%80%80%80%80%80%80%80%80%80%80%80%80%80&category=1"
    response = client.post("/ask", data=broken_utf8, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_the_ask_preview_uses_the_real_renderer(client, world, login):
    login("carol")
    response = client.post("/ask", data={"title": "Title kept here", "body": "[a](javascript:alert(1)) `x`",
                                         "preview": "1"})
    html = _html(response)
    assert response.status_code == 200 and 'value="Title kept here"' in html
    assert "<code>x</code>" in html and "javascript:" not in html.split('class="preview')[1].split("</section>")[0]


# --- editing and history ------------------------------------------------------------------------

def test_the_edit_form_is_prefilled_and_others_get_403(client, world, login):
    login("alice")
    html = _html(client.get(f"/posts/{world.question}/edit"))
    assert 'value="Login fails after the upgrade"' in html and 'value="sso"' in html and "Edit summary" in html
    assert client.get(f"/posts/{world.answer}/edit").status_code == 403
    assert client.post(f"/posts/{world.answer}/edit", data={"body": "Vandalised by someone else"}).status_code == 403


def test_editing_saves_a_revision_and_redirects_to_the_post(app, client, world, login):
    login("bob")
    response = client.post(f"/posts/{world.answer}/edit",
                           data={"body": "Clear the SSO cache.\nThen log in again.", "reason": "split lines"})
    assert response.status_code == 302 and response.headers["Location"] == f"{world.url}#post-{world.answer}"
    with app.app_context():
        assert db.session.get(Post, world.answer).revision_count == 2


def test_an_invalid_edit_keeps_the_input(client, world, login):
    login("alice")
    response = client.post(f"/posts/{world.question}/edit",
                           data={"title": "A new title that is fine", "body": "short", "tags": "a, b",
                                 "category": str(world.category), "reason": "my reason"})
    html = _html(response)
    assert response.status_code == 400
    assert 'value="A new title that is fine"' in html and 'value="my reason"' in html and ">short</textarea>" in html


def test_the_history_shows_every_revision_with_a_diff(app, client, world, login):
    with app.app_context():
        q = db.session.get(Post, world.question)
        s.edit_post(q, by=q.author, body="Since 2.3 I get **error 42** when logging in.\nOnly with SSO <img>.",
                    title="Login fails with SSO after the upgrade", tags="sso, upgrade", reason="more detail")
    html = _html(client.get(f"/posts/{world.question}/revisions"))
    assert "Revision 2" in html and "Revision 1" in html and html.index("Revision 2") < html.index("Revision 1")
    assert "more detail" in html
    assert "<ins><span class=\"sr-only\">added: </span><span aria-hidden=\"true\">+ </span>Only with SSO &lt;img&gt;.</ins>" in html
    assert "<del><span class=\"sr-only\">removed: </span>Login fails after the upgrade</del>" in html
    assert 'upgrade</ins>' in html


def test_the_history_is_public_but_not_for_deleted_posts(app, client, world):
    assert client.get(f"/posts/{world.answer}/revisions").status_code == 200
    with app.app_context():
        a = db.session.get(Post, world.answer)
        s.delete_post(a, by=a.author)
    assert client.get(f"/posts/{world.answer}/revisions").status_code == 404


def test_the_thread_page_lists_more_threads_from_its_category(client, ctx):
    from tests import factories as fac

    cat = fac.category("Billing")
    here = fac.thread(title="Invoice shows the wrong company name", category_obj=cat)
    other = fac.thread(title="How do I change the card we pay with", category_obj=cat)
    elsewhere = fac.thread(title="Calendar sync stopped this morning")
    html = client.get(f"/t/{here.id}", follow_redirects=True).get_data(as_text=True)
    sidebar = html[html.index('aria-label="About this thread"'):]
    assert "More in Billing" in sidebar
    assert other.title in sidebar
    assert elsewhere.title not in sidebar
    assert sidebar.count(here.title) == 0
