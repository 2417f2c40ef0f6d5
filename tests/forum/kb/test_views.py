"""The knowledge base's pages: the index, articles, feedback, staff editing, history,
the review list, and its parts of the thread page (promote, the "now an article"
note, link cards, linked articles, answering with an article)."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.db import utcnow
from forum.extensions import db
from forum.kb import services
from forum.kb.models import Article, ArticleFeedback, ArticleRevision, ArticleStatus
from forum.models import Post, Role, Thread
from forum.threads import services as threads
from reputation.models import ReputationEvent
from tests import factories as f
from tests.conftest import csrf_token

SUMMARY = "Clear the single sign-on cache, then log in again; the error goes away."
BODY = "1. Open **Settings → Security**.\n2. Press *Clear SSO cache*.\n3. Log in again."
ANSWER = ("Clear the SSO cache under Settings, then Security. Then log in again and the error 42 "
          "goes away. It comes back only if the identity provider rotates its keys.")


def _html(response) -> str:
    return response.get_data(as_text=True)


def _flashes(client) -> list[str]:
    """The messages waiting to be shown, taken (as the next page would take them)."""
    with client.session_transaction() as session:
        return [message for _category, message in session.pop("_flashes", [])]


@pytest.fixture
def kb(app):
    """Sam on staff, Mona a moderator; Alice asked in Login, Bob's answer was accepted,
    Carol is another member. One published article, one draft."""
    with app.app_context():
        sam = f.user("sam", role=Role.STAFF, display_name="Sam Staff")
        mona = f.user("mona", role=Role.MODERATOR)
        alice, bob, carol = f.user("alice"), f.user("bob", display_name="Bob Ortiz"), f.user("carol")
        login = f.category("Login", description="Signing in, SSO and passwords.")
        thread = f.thread(alice, title="Login fails with error 42 after the upgrade", tags=["sso"],
                          category_obj=login, body="Since 2.3 I get **error 42** when logging in with SSO.")
        answer = f.answer(thread, bob, body=ANSWER)
        threads.accept_answer(answer, by=alice)
        other = f.thread(carol, title="SSO login loops back to the sign-in page", tags=["sso"], category_obj=login,
                         body="After the redirect I land on the sign-in page again.")
        guide = services.publish(services.create(
            by=sam, title="Clear the single sign-on cache", summary=SUMMARY, body=BODY, category_id=login.id,
            tags=["sso"]), by=sam)
        draft = services.create(by=sam, title="Rotate the identity provider's keys",
                                summary="Upload the new certificate first, then switch; sessions survive.",
                                body="Steps for rotating keys without logging everyone out.",
                                category_id=login.id, tags=["sso"])
        return SimpleNamespace(sam=sam.id, mona=mona.id, alice=alice.id, bob=bob.id, carol=carol.id,
                               category=login.id, thread=thread.id, answer=answer.id, other=other.id,
                               guide=guide.slug, draft=draft.slug, thread_url=f"/t/{thread.id}")


@pytest.fixture
def as_user(app, client, auth):
    """``as_user("sam")`` logs the client in as that user; ``as_user(None)`` logs out."""

    def login(username: str | None):
        with client.session_transaction() as session:
            session.clear()
        if username is not None:
            with app.app_context():
                user = db.session.execute(sa.select(f.accounts.User).where(
                    f.accounts.User.username == username)).scalar_one()
            auth.login_as(user)
        return client

    return login


def _thread_page(client, thread_id: int) -> str:
    response = client.get(f"/t/{thread_id}", follow_redirects=True)
    assert response.status_code == 200
    return _html(response)


def _article(app, slug: str) -> Article:
    with app.app_context():
        article = db.session.execute(sa.select(Article).where(Article.slug == slug)).scalar_one()
        db.session.expunge(article)
        return article


def _edit_form(**changes) -> dict[str, str]:
    form = {"title": "Clear the single sign-on cache", "slug": "", "summary": SUMMARY, "body": BODY,
            "category": "", "tags": "sso", "reason": ""}
    form.update(changes)
    return form


# -- reading ---------------------------------------------------------------------------

def test_the_index_lists_published_articles_by_category(app, client, kb):
    html = _html(client.get("/kb"))
    assert "Clear the single sign-on cache" in html and SUMMARY in html
    assert "Login" in html and 'href="/kb?category=login"' in html
    assert "Rotate the identity provider" not in html
    assert 'action="/search"' in html and 'name="kind" value="article"' in html
    assert "New article" not in html and "Needs review" not in html and "Drafts" not in html


def test_the_index_ranks_the_most_viewed_and_most_helpful(app, client, kb):
    with app.app_context():
        sam = db.session.get(f.accounts.User, kb.sam)
        login = db.session.get(f.Category, kb.category)
        second = services.publish(services.create(
            by=sam, title="Reset a forgotten password", summary="Use “Forgot password” on the sign-in page.",
            body="The link in the e-mail works for an hour.", category_id=login.id), by=sam)
        db.session.execute(sa.update(Article).where(Article.id == second.id).values(views=90, helpful=1))
        db.session.execute(sa.update(Article).where(Article.slug == kb.guide).values(views=10, helpful=7,
                                                                                      unhelpful=1))
        db.session.commit()
    html = _html(client.get("/kb"))
    viewed = html[html.index("Most viewed"):html.index("Most helpful")]
    helpful = html[html.index("Most helpful"):]
    assert viewed.index("Reset a forgotten password") < viewed.index("Clear the single sign-on cache")
    assert "90 views" in viewed
    assert helpful.index("Clear the single sign-on cache") < helpful.index("Reset a forgotten password")
    assert "7 of 8 found it helpful" in helpful


def test_the_index_shows_one_category_in_full_and_404s_an_unknown_one(client, kb):
    html = _html(client.get("/kb?category=login"))
    assert "Clear the single sign-on cache" in html and 'aria-current="page">Login<' in html
    assert client.get("/kb?category=nope").status_code == 404


def test_staff_see_drafts_new_article_and_the_review_link_on_the_index(as_user, kb):
    html = _html(as_user("sam").get("/kb"))
    assert "New article" in html and 'href="/kb/new' in html
    assert "Drafts" in html and "Rotate the identity provider" in html
    assert 'href="/kb/review"' in html


def test_an_article_puts_the_summary_first_and_shows_its_facts(client, kb):
    html = _html(client.get(f"/kb/{kb.guide}"))
    assert html.index(SUMMARY) < html.index("Clear SSO cache")
    assert "Short answer" in html and "Last reviewed" in html
    assert 'href="/tags/sso"' in html and 'href="/kb?category=login"' in html
    assert "Did this answer your question?" in html
    assert re.search(r'href="/ask\?title=Clear\+the\+single\+sign-on\+cache&amp;category=\d+"', html)
    assert "Still need help?" in html
    # Related questions: same tags and category.
    assert "SSO login loops back to the sign-in page" in html
    assert "Manage" not in html and f"/kb/{kb.guide}/edit" not in html


@pytest.mark.parametrize("who", [None, "carol", "mona"])
@pytest.mark.parametrize("status", ["draft", "archived"])
def test_drafts_and_archived_articles_are_missing_to_everyone_but_staff(app, as_user, kb, who, status):
    slug = kb.draft
    if status == "archived":
        with app.app_context():
            services.archive(services.get_article(kb.guide), by=db.session.get(f.accounts.User, kb.sam))
        slug = kb.guide
    client = as_user(who)
    assert client.get(f"/kb/{slug}").status_code == 404
    assert client.post(f"/kb/{slug}/feedback", data={"helpful": "yes"}).status_code == 404
    assert slug not in _html(client.get("/kb"))


def test_staff_see_a_draft_with_its_status_banner_and_no_feedback_form(as_user, kb):
    html = _html(as_user("sam").get(f"/kb/{kb.draft}"))
    assert "<strong>Draft.</strong>" in html and "Only staff can see this article" in html
    assert f'action="/kb/{kb.draft}/publish"' in html
    assert "Did this answer your question?" not in html


def test_views_are_counted_for_readers_but_not_staff(app, as_user, kb):
    as_user(None).get(f"/kb/{kb.guide}")
    as_user("carol").get(f"/kb/{kb.guide}")
    as_user("sam").get(f"/kb/{kb.guide}")
    # Coming back to the page from itself (after answering "did this help?") is no new view.
    as_user("carol").get(f"/kb/{kb.guide}", headers={"Referer": f"http://localhost/kb/{kb.guide}"})
    assert _article(app, kb.guide).views == 2


def test_the_nav_links_the_knowledge_base(client, kb):
    assert '<a href="/kb"' in _html(client.get("/"))


# -- feedback ------------------------------------------------------------------------------

def _feedback_rows(app) -> list[ArticleFeedback]:
    with app.app_context():
        rows = list(db.session.execute(sa.select(ArticleFeedback)).scalars())
        for row in rows:
            db.session.expunge(row)
        return rows


def test_a_reader_says_yes_then_changes_to_no_with_a_comment(app, client, kb):
    response = client.post(f"/kb/{kb.guide}/feedback", data={"helpful": "yes"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/kb/{kb.guide}#feedback")
    html = _html(client.get(f"/kb/{kb.guide}"))
    assert "Thanks for your feedback!" in html and "It didn’t help after all" in html
    assert "1 of 1 person found this helpful." in html
    (row,) = _feedback_rows(app)
    with client.session_transaction() as session:
        assert row.voter == f"s:{session['search_sid']}" and row.helpful and not row.from_ask

    client.post(f"/kb/{kb.guide}/feedback", data={"helpful": "no"})
    html = _html(client.get(f"/kb/{kb.guide}"))
    assert "Thanks for telling us." in html and "What were you looking for?" in html
    client.post(f"/kb/{kb.guide}/feedback", data={"helpful": "no", "comment": "Nothing about Okta."})
    html = _html(client.get(f"/kb/{kb.guide}"))
    assert "Staff read every comment" in html and "It did help after all" in html
    (row,) = _feedback_rows(app)
    assert not row.helpful and row.comment == "Nothing about Okta."
    article = _article(app, kb.guide)
    assert (article.helpful, article.unhelpful) == (0, 1)


def test_a_logged_in_readers_answer_is_theirs_and_from_ask_is_kept(app, as_user, kb):
    client = as_user("carol")
    html = _html(client.get(f"/kb/{kb.guide}?from=ask"))
    assert '<input type="hidden" name="from" value="ask">' in html
    client.post(f"/kb/{kb.guide}/feedback", data={"helpful": "yes", "from": "ask"})
    (row,) = _feedback_rows(app)
    assert row.voter == f"u:{kb.carol}" and row.user_id == kb.carol and row.from_ask
    # The answer is remembered for the person, not the browser session.
    assert "Thanks for your feedback!" in _html(as_user("carol").get(f"/kb/{kb.guide}"))
    assert "Thanks for your feedback!" not in _html(as_user(None).get(f"/kb/{kb.guide}"))


def test_a_rejected_feedback_keeps_the_comment(app, client, kb):
    comment = "x" * 1001
    response = client.post(f"/kb/{kb.guide}/feedback", data={"helpful": "no", "comment": comment})
    assert response.status_code == 400
    assert comment in _html(response) and "under 1000 characters" in _html(response)
    assert client.post(f"/kb/{kb.guide}/feedback", data={"helpful": "maybe"}).status_code == 400
    assert _feedback_rows(app) == []


# -- staff: permissions ----------------------------------------------------------------------

STAFF_GETS = ["/kb/new", "/kb/{guide}/edit", "/kb/{guide}/revisions", "/kb/review",
              "/t/{thread}/answer-with-article"]
STAFF_POSTS = ["/kb/new", "/kb/{guide}/edit", "/kb/{guide}/publish", "/kb/{guide}/archive", "/kb/{guide}/reviewed",
               "/kb/{guide}/revisions/1/restore", "/posts/{answer}/promote", "/t/{thread}/answer-with-article"]


def _snapshot(app):
    with app.app_context():
        return (db.session.execute(sa.select(sa.func.count()).select_from(Article)).scalar(),
                db.session.execute(sa.select(sa.func.count()).select_from(ArticleRevision)).scalar(),
                db.session.execute(sa.select(sa.func.count()).select_from(Post)).scalar(),
                [(a.slug, a.status, a.title) for a in db.session.execute(sa.select(Article)).scalars()])


@pytest.mark.parametrize("path", STAFF_GETS)
def test_staff_pages_are_forbidden_to_members_and_ask_anonymous_people_to_log_in(as_user, kb, path):
    path = path.format(**vars(kb))
    assert as_user("carol").get(path).status_code == 403
    response = as_user(None).get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", STAFF_POSTS)
def test_staff_actions_are_refused_to_members_and_anonymous_people(app, as_user, kb, path):
    path = path.format(**vars(kb))
    data = _edit_form(category=str(kb.category), title="Taken over", article=kb.guide, note="")
    before = _snapshot(app)
    assert as_user("carol").post(path, data=data).status_code == 403
    response = as_user(None).post(path, data=data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _snapshot(app) == before


def test_members_see_no_staff_controls_on_articles_or_threads(as_user, kb):
    client = as_user("carol")
    html = _html(client.get(f"/kb/{kb.guide}"))
    assert "Manage" not in html and "/publish" not in html and "/archive" not in html and "/revisions" not in html
    html = _thread_page(client, kb.thread)
    assert "Promote to KB" not in html and "Answer with a knowledge-base article" not in html


# -- staff: writing -------------------------------------------------------------------------

def test_staff_write_a_draft_and_publish_it(app, as_user, kb):
    client = as_user("sam")
    assert "Save draft" in _html(client.get(f"/kb/new?title=Invite+a+whole+team&category={kb.category}"))
    response = client.post("/kb/new", data=_edit_form(
        title="Invite a whole team at once", summary="Paste every address into the invite box, one per line.",
        body="Up to 200 addresses at a time; each gets its own invitation.", category=str(kb.category),
        tags="invites, team"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/kb/invite-a-whole-team-at-once")
    assert "Draft saved" in _flashes(client)[0]
    assert as_user("carol").get("/kb/invite-a-whole-team-at-once").status_code == 404
    response = as_user("sam").post("/kb/invite-a-whole-team-at-once/publish")
    assert response.status_code == 302 and "Published" in _flashes(client)[0]
    html = _html(as_user("carol").get("/kb/invite-a-whole-team-at-once"))
    assert "Paste every address into the invite box" in html
    # Publishing twice says so instead of failing.
    client = as_user("sam")
    client.post("/kb/invite-a-whole-team-at-once/publish")
    assert "already published" in _flashes(client)[0]


def test_a_rejected_article_form_keeps_what_was_typed(as_user, kb):
    client = as_user("sam")
    response = client.post("/kb/new", data=_edit_form(title="Typed title here", summary="Too short.",
                                                      body="A body that someone typed by hand.",
                                                      category=str(kb.category), tags="typed-tag",
                                                      slug="Bad Slug!", reason="typed reason"))
    html = _html(response)
    assert response.status_code == 400
    assert 'value="Typed title here"' in html and ">Too short.</textarea>" in html
    assert "A body that someone typed by hand." in html and 'value="typed-tag"' in html
    assert 'value="Bad Slug!"' in html and 'value="typed reason"' in html
    assert "a sentence or two" in html and "lower-case letters" in html

    response = client.post(f"/kb/{kb.guide}/edit", data=_edit_form(title="", body="Edited body that stays.",
                                                                   category=str(kb.category)))
    assert response.status_code == 400 and "Edited body that stays." in _html(response)


def test_the_editor_previews_without_saving(app, as_user, kb):
    client = as_user("sam")
    response = client.post(f"/kb/{kb.guide}/edit", data=_edit_form(body="Now with **bold** text.",
                                                                   category=str(kb.category), preview="1"))
    assert response.status_code == 200 and "<strong>bold</strong>" in _html(response)
    assert _article(app, kb.guide).revision_count == 1


def test_an_edit_is_a_revision_and_nothing_changed_says_so(app, as_user, kb):
    client = as_user("sam")
    client.post(f"/kb/{kb.guide}/edit", data=_edit_form(category=str(kb.category)))
    assert _flashes(client) == ["Nothing changed, so no new revision was saved."]
    client.post(f"/kb/{kb.guide}/edit", data=_edit_form(category=str(kb.category), body=BODY + "\n4. Done.",
                                                        reason="added the last step"))
    assert _flashes(client) == ["Saved as revision 2."]
    assert _article(app, kb.guide).body.endswith("4. Done.")


def test_archive_and_mark_reviewed(app, as_user, kb):
    client = as_user("sam")
    with app.app_context():
        db.session.execute(sa.update(Article).where(Article.slug == kb.guide)
                           .values(reviewed_at=utcnow() - timedelta(days=400)))
        db.session.commit()
    html = _html(client.get("/kb/review"))
    assert "Clear the single sign-on cache" in html and "Not reviewed for 400 days" in html
    assert "Due for review." in _html(client.get(f"/kb/{kb.guide}"))
    response = client.post(f"/kb/{kb.guide}/reviewed", data={"next": "/kb/review"})
    assert response.headers["Location"].endswith("/kb/review")
    assert "Nothing to review." in _html(client.get("/kb/review"))
    # ``next`` only ever leads back into the knowledge base.
    response = client.post(f"/kb/{kb.guide}/reviewed", data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/kb/{kb.guide}")
    client.post(f"/kb/{kb.guide}/archive")
    assert _article(app, kb.guide).status == ArticleStatus.ARCHIVED
    assert as_user(None).get(f"/kb/{kb.guide}").status_code == 404


# -- history ------------------------------------------------------------------------------

def test_revisions_list_compare_any_two_and_restore(app, as_user, kb):
    client = as_user("sam")
    client.post(f"/kb/{kb.guide}/edit", data=_edit_form(category=str(kb.category), body=BODY + "\n4. Done.",
                                                        reason="added the last step"))
    client.post(f"/kb/{kb.guide}/edit", data=_edit_form(category=str(kb.category), title="Clear the SSO cache",
                                                        body=BODY + "\n4. Done.", tags="sso, cache",
                                                        reason="shorter title"))
    html = _html(client.get(f"/kb/{kb.guide}/revisions"))
    assert "3 revisions" in html and "added the last step" in html and "shorter title" in html
    assert "Changes from revision 2 to 3" in html
    assert "<del><span class=\"sr-only\">removed: </span>Clear the single sign-on cache</del>" in html
    html = _html(client.get(f"/kb/{kb.guide}/revisions?from=1&to=3"))
    assert "Changes from revision 1 to 3" in html and "4. Done." in html and ">cache</ins>" in html
    assert client.get(f"/kb/{kb.guide}/revisions?from=1&to=9").status_code == 400

    response = client.post(f"/kb/{kb.guide}/revisions/1/restore")
    assert response.status_code == 302 and _flashes(client) == ["Revision 1 restored as revision 4."]
    article = _article(app, kb.guide)
    assert (article.title, article.body, article.revision_count) == ("Clear the single sign-on cache", BODY, 4)
    assert "Restored revision 1" in _html(client.get(f"/kb/{kb.guide}/revisions"))
    assert client.post(f"/kb/{kb.guide}/revisions/99/restore").status_code == 404


# -- promoting an answer ------------------------------------------------------------------------

def test_promote_edit_publish_links_the_answer_and_credits_the_answerer(app, as_user, kb):
    client = as_user("sam")
    assert "Promote to KB" in _thread_page(client, kb.thread)
    response = client.post(f"/posts/{kb.answer}/promote")
    assert response.status_code == 302
    slug = "login-fails-with-error-42-after-the-upgrade"
    assert response.headers["Location"].endswith(f"/kb/{slug}/edit")
    assert _flashes(client) == ["Draft created from Bob Ortiz's answer. Check the summary, then publish."]

    html = _html(client.get(f"/kb/{slug}/edit"))
    assert "Promoted from" in html and "Bob Ortiz" in html
    assert 'value="Login fails with error 42 after the upgrade"' in html
    assert "Clear the SSO cache under Settings" in html
    # Staff see the draft in progress on the answer; members see nothing yet.
    assert "Being written up as a knowledge-base article (draft)" in _thread_page(client, kb.thread)
    assert "knowledge-base article" not in _thread_page(as_user("carol"), kb.thread)

    client = as_user("sam")
    client.post(f"/kb/{slug}/edit", data=_edit_form(
        title="Login fails with error 42 after the upgrade", summary="Clear the SSO cache, then log in again.",
        body=ANSWER, category=str(kb.category), tags="sso", reason="tightened the summary"))
    client.post(f"/kb/{slug}/publish")

    html = _thread_page(as_user("carol"), kb.thread)
    assert "This answer is now a knowledge-base article:" in html and f'href="/kb/{slug}"' in html
    html = _html(as_user("carol").get(f"/kb/{slug}"))
    assert "From a community answer by" in html and 'href="/u/bob"' in html
    assert re.search(rf'href="/t/{kb.thread}/[a-z0-9-]+#post-{kb.answer}"', html)
    with app.app_context():
        rows = db.session.execute(sa.select(ReputationEvent).where(
            ReputationEvent.user_id == kb.bob, ReputationEvent.reason == "answer.promoted")).scalars().all()
        assert [r.delta for r in rows] == [25]

    # Promoting the same answer again leads to the article it already became.
    client = as_user("sam")
    assert "Promote to KB" not in _thread_page(client, kb.thread)
    response = client.post(f"/posts/{kb.answer}/promote")
    assert response.headers["Location"].endswith(f"/kb/{slug}/edit")
    assert _flashes(client) == ["This answer is already an article."]


def test_a_draft_started_by_hand_from_an_answer_credits_the_answerer(app, as_user, kb):
    client = as_user("sam")
    html = _html(client.get(f"/kb/new?post={kb.answer}"))
    assert "Promoted from" in html and f'name="post" value="{kb.answer}"' in html
    assert "Clear the SSO cache under Settings" in html
    response = client.post("/kb/new", data=_edit_form(
        post=str(kb.answer), title="Error 42 when logging in with SSO", summary="Clear the SSO cache, then log in.",
        body=ANSWER, category=str(kb.category)))
    assert response.status_code == 302
    article = _article(app, "error-42-when-logging-in-with-sso")
    assert (article.source_post_id, article.credited_user_id) == (kb.answer, kb.bob)
    # The answer is an article now: starting another leads to it.
    response = client.get(f"/kb/new?post={kb.answer}")
    assert response.headers["Location"].endswith("/kb/error-42-when-logging-in-with-sso/edit")


def test_feedback_answers_scripts_with_json(app, client, kb):
    response = client.post(f"/kb/{kb.guide}/feedback", data={"helpful": "yes"},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json() == {"helpful": True, "comment": False, "helpful_count": 1, "unhelpful_count": 0}


def test_questions_cannot_be_promoted(app, as_user, kb):
    with app.app_context():
        question_id = db.session.get(Thread, kb.thread).question_id
    assert as_user("sam").post(f"/posts/{question_id}/promote").status_code == 403


# -- links in posts ----------------------------------------------------------------------------

def test_a_kb_reference_is_a_card_for_a_published_article_and_a_link_for_a_draft(app, as_user, kb):
    # Bob's accepted answer earned him the reputation to post several links.
    client = as_user("bob")
    body = f"See [[kb:{kb.guide}]] and maybe [[kb:{kb.draft}]].\n\n<http://localhost/kb/{kb.guide}>"
    response = client.post(f"/t/{kb.other}/answers", data={"body": body})
    assert response.status_code == 302
    html = _thread_page(client, kb.other)
    cards = re.findall(r'<a class="kb-card" href="/kb/([a-z0-9-]+)">', html)
    assert cards == [kb.guide, kb.guide]
    assert SUMMARY in html
    assert f'<a href="/kb/{kb.draft}" rel="nofollow ugc noopener">kb:{kb.draft}</a>' in html
    # The thread lists the published article it links; the article lists the thread.
    sidebar = html[html.index("Articles linked here"):]
    assert "Clear the single sign-on cache" in sidebar and "Rotate the identity provider" not in sidebar
    article = _html(client.get(f"/kb/{kb.guide}"))
    assert "Threads that link here" in article and "SSO login loops back to the sign-in page" in article


def test_moderators_answer_with_an_article_in_one_step(app, as_user, kb):
    client = as_user("mona")
    html = _thread_page(client, kb.other)
    assert "Answer with a knowledge-base article" in html
    response = client.post(f"/t/{kb.other}/answer-with-article",
                           data={"article": f"https://forum.example/kb/{kb.guide}?x=1#top", "note": "Step 2 fixes it."})
    assert response.status_code == 302 and "#post-" in response.headers["Location"]
    assert _flashes(client) == ["Answered with “Clear the single sign-on cache”."]
    html = _thread_page(client, kb.other)
    assert '<a class="kb-card" href="/kb/' + kb.guide in html and "Step 2 fixes it." in html
    assert "Articles linked here" in html


@pytest.mark.parametrize("reference, message", [
    ("no-such-article", "There is no article at that address"),
    ("{draft}", "Only published articles can answer a thread."),
])
def test_answering_with_a_missing_or_draft_article_keeps_the_form(app, as_user, kb, reference, message):
    client = as_user("sam")
    reference = reference.format(**vars(kb))
    response = client.post(f"/t/{kb.other}/answer-with-article", data={"article": reference, "note": "My note"})
    html = _html(response)
    assert response.status_code == 400 and message in html
    assert f'value="{reference}"' in html and ">My note</textarea>" in html
    with app.app_context():
        assert db.session.get(Thread, kb.other).answer_count == 0


# -- CSRF ----------------------------------------------------------------------------------------

def test_every_kb_form_needs_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        sam = f.user("sam", role=Role.STAFF)
        cat = f.category("Login")
        article = services.create(by=sam, title="Clear the single sign-on cache", summary=SUMMARY, body=BODY,
                                  category_id=cat.id)
        slug, session_id = article.slug, sam.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    assert client.post(f"/kb/{slug}/publish").status_code == 400
    assert _article(app, slug).status == ArticleStatus.DRAFT
    token = csrf_token(_html(client.get(f"/kb/{slug}")))
    assert client.post(f"/kb/{slug}/publish", data={"csrf_token": token}).status_code == 302
    assert _article(app, slug).status == ArticleStatus.PUBLISHED
    reader = app.test_client()
    assert reader.post(f"/kb/{slug}/feedback", data={"helpful": "yes"}).status_code == 400
    token = csrf_token(_html(reader.get(f"/kb/{slug}")))
    assert reader.post(f"/kb/{slug}/feedback", data={"helpful": "yes", "csrf_token": token}).status_code == 302
