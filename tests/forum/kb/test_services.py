"""Knowledge-base use cases: drafts, slugs, revisions, publishing, feedback, the review
list, links from posts, and an answer promoted into an article."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.db import Conflict, utcnow, write_transaction
from forum.errors import Invalid, NotFound
from forum.extensions import db
from forum.kb import queries, services
from forum.kb.models import Article, ArticleFeedback, ArticleLink, ArticleRevision, ArticleStatus
from forum.models import PostState, Role
from forum.threads import services as threads
from forum.threads.moderation import set_post_state
from reputation.models import BadgeAward, ReputationEvent
from tests import factories as f

SUMMARY = "Set the currency under Settings, then Billing; the next invoice uses it."
BODY = "1. Open **Settings → Billing**.\n2. Pick the currency.\n\nPast invoices keep theirs."


def community() -> SimpleNamespace:
    """Sam on staff, Maya a moderator; Alice asked in Billing, Bob's answer was accepted."""
    sam, maya = f.user("sam", role=Role.STAFF), f.user("maya", role=Role.MODERATOR)
    alice, bob = f.user("alice"), f.user("bob", display_name="Bob Ortiz")
    billing = f.category("Billing")
    thread = f.thread(alice, title="Invoices show dollars instead of euros", tags=["invoices", "currency"],
                      category_obj=billing, body="Our invoices come out in USD but we pay in EUR. Can I fix that?")
    answer = f.answer(thread, bob, body="Change the currency under Settings, then Billing. The next invoice "
                                        "is issued in the new currency. Past invoices keep the old one.")
    threads.accept_answer(answer, by=alice)
    return SimpleNamespace(sam=sam, maya=maya, alice=alice, bob=bob, billing=billing, thread=thread, answer=answer)


def draft(by, category, *, title: str = "Change the currency of your invoices", **kw) -> Article:
    fields = {"summary": SUMMARY, "body": BODY, "tags": ["invoices"], **kw}
    return services.create(by=by, title=title, category_id=category.id, **fields)


def published(by, category, **kw) -> Article:
    return services.publish(draft(by, category, **kw), by=by)


@pytest.fixture
def kb(ctx):
    return community()


def _revisions(article: Article) -> list[ArticleRevision]:
    return list(db.session.execute(sa.select(ArticleRevision).where(ArticleRevision.article_id == article.id)
                                   .order_by(ArticleRevision.number)).scalars())


# -- writing ---------------------------------------------------------------------------

def test_staff_write_a_draft_with_its_first_revision(kb):
    article = draft(kb.sam, kb.billing, tags="Invoices, currency")
    assert article.status == ArticleStatus.DRAFT and not article.is_published
    assert article.slug == "change-the-currency-of-your-invoices"
    assert (article.author_id, article.category_id, article.credited_user_id) == (kb.sam.id, kb.billing.id, None)
    assert [t.name for t in article.tags] == ["currency", "invoices"]
    assert "<strong>Settings → Billing</strong>" in article.body_html and "<ol>" in article.body_html
    assert article.published_at is None and article.reviewed_at is None
    [rev] = _revisions(article)
    assert (rev.number, rev.author_id, rev.reason, rev.title, rev.tags) == (
        1, kb.sam.id, "First draft", article.title, "invoices currency")


def test_the_body_goes_through_the_one_sanitiser(kb):
    article = draft(kb.sam, kb.billing, body="Click <script>alert(1)</script> [here](javascript:alert(2)) now.")
    assert "<script" not in article.body_html and "javascript:" not in article.body_html


@pytest.mark.parametrize("field, value, message", [
    ("summary", "Too short.", "20 characters"),
    ("summary", "x" * 401, "400 characters"),
    ("summary", 42, "must be text"),
    ("body", "", "at least"),
    ("title", "Hi", "at least"),
    ("category_id", 987654, "Choose a category"),
    ("tags", ["not a tag!"], "not a valid tag"),
    ("slug", ["a"], "must be text"),
])
def test_every_field_is_checked(kb, field, value, message):
    fields = {"title": "Change the currency of your invoices", "summary": SUMMARY, "body": BODY,
              "category_id": kb.billing.id, field: value}
    with pytest.raises(Invalid) as exc:
        services.create(by=kb.sam, **fields)
    key = "category" if field == "category_id" else field
    assert message in exc.value.errors[key]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one() == 0


def test_slugs_come_from_titles_and_stay_unique(kb):
    first = draft(kb.sam, kb.billing, title="Café invoices: résumé of fees")
    second = draft(kb.sam, kb.billing, title="Café invoices: résumé of fees")
    third = draft(kb.sam, kb.billing, title="Café invoices — résumé of fees!")
    assert [first.slug, second.slug, third.slug] == [
        "cafe-invoices-resume-of-fees", "cafe-invoices-resume-of-fees-2", "cafe-invoices-resume-of-fees-3"]
    long = draft(kb.sam, kb.billing, title="Why " + "very " * 25 + "long titles get cut")
    assert len(long.slug) <= 80 and not long.slug.endswith("-")


def test_a_chosen_slug_is_cleaned_or_refused(kb):
    assert draft(kb.sam, kb.billing, slug="  Invoice-Currency ").slug == "invoice-currency"
    for bad, message in [("invoice currency", "lower-case"), ("währung", "lower-case"), ("-x-", "lower-case"),
                         ("invoice-currency", "already has"), ("new", "own pages"), ("review", "own pages")]:
        with pytest.raises(Invalid) as exc:
            draft(kb.sam, kb.billing, slug=bad)
        assert message in exc.value.errors["slug"], bad
    # A title that would take a page's address gets a number instead.
    assert draft(kb.sam, kb.billing, title="New?!?!?!?!").slug == "new-2"


def test_an_edit_cannot_take_another_articles_slug(kb):
    taken = draft(kb.sam, kb.billing, slug="taken")
    article = draft(kb.sam, kb.billing)
    with pytest.raises(Invalid) as exc:
        services.edit(article, by=kb.sam, title=article.title, summary=SUMMARY, body=BODY,
                      category_id=kb.billing.id, slug=taken.slug)
    assert "already has" in exc.value.errors["slug"]
    renamed = services.edit(article, by=kb.sam, title=article.title, summary=SUMMARY, body=BODY,
                            category_id=kb.billing.id, tags=["invoices"], slug="invoice-currency")
    assert renamed.slug == "invoice-currency" and services.get_article("invoice-currency").id == article.id
    with pytest.raises(NotFound):
        services.get_article("change-the-currency-of-your-invoices")


# -- revisions ---------------------------------------------------------------------------

def _edit(article, by, **changes):
    fields = {"title": article.title, "summary": article.summary, "body": article.body,
              "category_id": article.category_id, "tags": [t.name for t in article.tags], **changes}
    return services.edit(article, by=by, **fields)


def test_every_edit_is_a_revision_with_who_and_why(kb):
    other = f.user("sue", role=Role.STAFF)
    article = draft(kb.sam, kb.billing)
    _edit(article, other, body=BODY + "\n\nInvoices in EUR show VAT.", reason="  VAT   note ")
    _edit(article, kb.sam, title="Switch the currency of your invoices", tags=["invoices", "eur"])
    article = services.get_article(article.slug)
    assert article.revision_count == 3 and article.title == "Switch the currency of your invoices"
    revs = _revisions(article)
    assert [(r.number, r.author_id, r.reason) for r in revs] == [
        (1, kb.sam.id, "First draft"), (2, other.id, "VAT note"), (3, kb.sam.id, "")]
    assert "VAT" in revs[1].body and revs[2].tags == "invoices eur"
    assert "VAT" in article.body_html


def test_an_edit_that_changes_nothing_writes_no_revision(kb):
    article = draft(kb.sam, kb.billing)
    _edit(article, kb.sam, reason="Nothing really")
    assert services.get_article(article.slug).revision_count == 1 and len(_revisions(article)) == 1


def test_restoring_a_revision_is_itself_a_revision(kb):
    article = draft(kb.sam, kb.billing)
    _edit(article, kb.sam, summary="A worse summary that somebody wrote in a hurry.", tags=["eur"])
    restored = services.restore(article, 1, by=kb.sam)
    assert restored.summary == SUMMARY and [t.name for t in restored.tags] == ["invoices"]
    revs = _revisions(article)
    assert [(r.number, r.reason) for r in revs][-1] == (3, "Restored revision 1")
    assert revs[2].summary == revs[0].summary and restored.revision_count == 3
    with pytest.raises(NotFound):
        services.restore(article, 9, by=kb.sam)


# -- publishing ----------------------------------------------------------------------------

def test_publish_archive_and_publish_again(kb):
    article = draft(kb.sam, kb.billing)
    services.publish(article, by=kb.sam)
    article = services.get_article(article.slug)
    first = article.published_at
    assert article.is_published and first is not None and article.reviewed_at == first
    with pytest.raises(Conflict):
        services.publish(article, by=kb.sam)
    services.archive(article, by=kb.sam)
    assert services.get_article(article.slug).status == ArticleStatus.ARCHIVED
    with pytest.raises(Conflict):
        services.archive(article, by=kb.sam)
    services.publish(article, by=kb.sam)
    again = services.get_article(article.slug)
    assert again.is_published and again.published_at == first and again.reviewed_at > first


# -- feedback ------------------------------------------------------------------------------

def _counts(article) -> tuple[int, int]:
    db.session.expire_all()
    row = db.session.get(Article, article.id)
    return row.helpful, row.unhelpful


def test_feedback_counts_one_answer_per_reader(kb):
    article = published(kb.sam, kb.billing)
    voter = f"u:{kb.alice.id}"
    services.feedback(article, voter=voter, user=kb.alice, helpful=True)
    assert _counts(article) == (1, 0)
    services.feedback(article, voter=voter, user=kb.alice, helpful=False)
    assert _counts(article) == (0, 1)
    row = services.feedback(article, voter=voter, user=kb.alice, helpful=False, comment="  It skips VAT. ")
    assert _counts(article) == (0, 1) and row.comment == "It skips VAT."
    # Changing the answer later keeps the comment.
    services.feedback(article, voter=voter, user=kb.alice, helpful=True)
    assert _counts(article) == (1, 0)
    services.feedback(article, voter="s:0123456789abcdef", user=None, helpful=True, from_ask=True)
    assert _counts(article) == (2, 0)
    rows = {r.voter: r for r in db.session.execute(sa.select(ArticleFeedback)).scalars()}
    assert rows[voter].comment == "It skips VAT." and rows[voter].user_id == kb.alice.id
    assert rows["s:0123456789abcdef"].from_ask and rows["s:0123456789abcdef"].user_id is None


@pytest.mark.parametrize("helpful, comment, field", [
    (None, "", "helpful"), ("yes", "", "helpful"), (1, "", "helpful"), (True, "x" * 1001, "comment")])
def test_feedback_is_yes_or_no_with_a_short_comment(kb, helpful, comment, field):
    article = published(kb.sam, kb.billing)
    with pytest.raises(Invalid) as exc:
        services.feedback(article, voter=f"u:{kb.alice.id}", user=kb.alice, helpful=helpful, comment=comment)
    assert field in exc.value.errors and _counts(article) == (0, 0)


# -- the review list -----------------------------------------------------------------------

def _backdate(article, days):
    with write_transaction():
        db.session.execute(sa.update(Article).where(Article.id == article.id)
                           .values(reviewed_at=utcnow() - timedelta(days=days)))


def _votes(article, yes, no):
    for n in range(yes + no):
        services.feedback(article, voter=f"s:{article.id}-{n}", user=None, helpful=n < yes)


def test_stale_lists_old_and_doubted_articles(make_app):
    app = make_app(KB_REVIEW_DAYS=30, KB_UNHELPFUL_THRESHOLD=3)
    with app.app_context():
        kb = community()
        fresh, old, doubted, liked, few, drafted, archived = (
            published(kb.sam, kb.billing, title=f"Article number {n} about invoices") for n in range(7))
        _backdate(old, 31)
        _backdate(fresh, 29)
        _votes(doubted, yes=3, no=3)   # "no" reaches the threshold and half the answers
        _votes(liked, yes=4, no=3)     # "no" reaches the threshold but not half
        _votes(few, yes=0, no=2)       # all "no", under the threshold
        services.archive(archived, by=kb.sam)
        _backdate(archived, 99)
        services.edit(drafted, by=kb.sam, title=drafted.title, summary=SUMMARY, body=BODY + " Draft note.",
                      category_id=kb.billing.id, tags=["invoices"])
        assert {a.id for a in services.stale()} == {old.id, doubted.id}
        assert services.stale()[0].id == old.id, "the longest unreviewed first"
        services.mark_reviewed(old, by=kb.sam)
        assert [a.id for a in services.stale()] == [doubted.id]


# -- links from posts ---------------------------------------------------------------------

def _links(post_id=None):
    q = sa.select(ArticleLink.post_id, ArticleLink.article_id, ArticleLink.thread_id)
    if post_id is not None:
        q = q.where(ArticleLink.post_id == post_id)
    return set(db.session.execute(q).all())


def test_kb_references_in_posts_become_links(kb):
    article = published(kb.sam, kb.billing, slug="invoice-currency")
    other = published(kb.sam, kb.billing, slug="refunds", title="Ask for a refund of an invoice")
    post = f.answer(kb.thread, kb.maya, body="See [[kb:invoice-currency]] and [[kb:refunds]], or "
                                             "`[[kb:nowhere]]` in code.")
    assert _links(post.id) == {(post.id, article.id, kb.thread.id), (post.id, other.id, kb.thread.id)}
    threads.edit_post(post, by=kb.maya, body="Only [[kb:refunds]] applies here, after all.")
    assert _links(post.id) == {(post.id, other.id, kb.thread.id)}
    threads.edit_post(post, by=kb.maya, body="Nothing to link any more in this answer.")
    assert _links(post.id) == set()


def test_a_pasted_article_address_is_a_link_too(kb):
    article = published(kb.sam, kb.billing, slug="invoice-currency")
    post = f.answer(kb.thread, kb.maya, body="Read <http://localhost/kb/invoice-currency> first.")
    assert _links(post.id) == {(post.id, article.id, kb.thread.id)}
    anchored = f.answer(kb.thread, kb.alice, body="Step two of [the article](/kb/invoice-currency#steps).")
    assert _links(anchored.id) == {(anchored.id, article.id, kb.thread.id)}
    unknown = f.answer(kb.thread, kb.alice, body="And [[kb:no-such-article]] does not exist.")
    assert _links(unknown.id) == set()


def test_hiding_a_post_removes_its_links_and_showing_it_restores_them(kb):
    article = published(kb.sam, kb.billing, slug="invoice-currency")
    post = f.answer(kb.thread, kb.alice, body="This explains it: [[kb:invoice-currency]].")
    assert _links(post.id)
    with write_transaction():
        set_post_state(post, PostState.HIDDEN, by=kb.maya)
    assert _links(post.id) == set()
    assert queries.linking_threads(article) == []
    with write_transaction():
        set_post_state(post, PostState.VISIBLE, by=kb.maya)
    assert _links(post.id) == {(post.id, article.id, kb.thread.id)}
    assert [t.id for t in queries.linking_threads(article)] == [kb.thread.id]


def test_deleting_a_post_removes_its_links(kb):
    article = published(kb.sam, kb.billing, slug="invoice-currency")
    post = f.answer(kb.thread, kb.alice, body="This explains it: [[kb:invoice-currency]].")
    threads.delete_post(post, by=kb.alice)
    assert _links(post.id) == set()
    assert queries.linking_threads(article) == []


def test_answering_with_an_article(kb):
    article = published(kb.sam, kb.billing, slug="invoice-currency")
    post = services.answer_with(kb.thread, article, by=kb.maya, note="  This covers your case. ")
    assert post.body == "[[kb:invoice-currency]]\n\nThis covers your case."
    assert 'href="/kb/invoice-currency"' in post.body_html
    assert _links(post.id) == {(post.id, article.id, kb.thread.id)}
    unpublished = draft(kb.sam, kb.billing, slug="later")
    with pytest.raises(Invalid):
        services.answer_with(kb.thread, unpublished, by=kb.maya)


# -- promotion ------------------------------------------------------------------------------

def _ledger(user) -> list[tuple[str, int, str]]:
    return [(r.reason, r.delta, r.source_key) for r in db.session.execute(
        sa.select(ReputationEvent).where(ReputationEvent.user_id == user.id, ReputationEvent.reason
                                         == "answer.promoted")).scalars()]


def _badges(user) -> list[str]:
    return list(db.session.execute(sa.select(BadgeAward.badge).where(BadgeAward.user_id == user.id,
                                                                     BadgeAward.badge == "kb_promoted")).scalars())


def test_promoting_an_accepted_answer_round_trip(kb):
    article = services.promote(kb.answer, by=kb.sam)
    # A draft, prefilled from the thread and the answer, crediting the answerer.
    assert article.status == ArticleStatus.DRAFT
    assert article.title == kb.thread.title and article.slug == "invoices-show-dollars-instead-of-euros"
    # Sentences up to about 120 characters: all three here.
    assert article.summary == " ".join(kb.answer.body.split())
    assert article.body == kb.answer.body and article.category_id == kb.billing.id
    assert [t.name for t in article.tags] == ["currency", "invoices"]
    assert (article.author_id, article.credited_user_id) == (kb.sam.id, kb.bob.id)
    assert (article.source_post_id, article.source_thread_id) == (kb.answer.id, kb.thread.id)
    assert [r.reason for r in _revisions(article)] == ["Promoted from an answer by Bob Ortiz"]
    # Nothing is paid for a draft; promoting again gives the same article.
    assert _ledger(kb.bob) == [] and _badges(kb.bob) == []
    assert services.promote(kb.answer, by=f.user("sue", role=Role.STAFF)).id == article.id
    assert db.session.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one() == 1
    # Staff polish the summary, then publish: the answerer is paid once and badged.
    article = _edit(article, kb.sam, summary="Invoices use the currency set under Settings → Billing.",
                    reason="Shorter summary")
    before = db.session.get(type(kb.bob), kb.bob.id).reputation
    services.publish(article, by=kb.sam)
    assert _ledger(kb.bob) == [("answer.promoted", 25, f"kb:{article.id}:1")]
    assert _badges(kb.bob) == ["kb_promoted"]
    db.session.expire_all()
    assert db.session.get(type(kb.bob), kb.bob.id).reputation == before + 25
    # Both links: the thread knows its answer became this article, the article its source.
    on_thread = queries.for_thread(kb.thread, None)
    assert on_thread.promoted[kb.answer.id].id == article.id
    assert services.source_article(kb.answer.id).id == article.id
    # Archiving and publishing again pays nothing more.
    services.archive(article, by=kb.sam)
    services.publish(article, by=kb.sam)
    assert len(_ledger(kb.bob)) == 1 and _badges(kb.bob) == ["kb_promoted"]
    assert [(r.number, r.reason) for r in _revisions(article)] == [
        (1, "Promoted from an answer by Bob Ortiz"), (2, "Shorter summary")]


def test_the_promotion_reward_comes_from_the_rules(make_app):
    app = make_app(REPUTATION_RULES={"kb_promoted": 40})
    with app.app_context():
        kb = community()
        services.publish(services.promote(kb.answer, by=kb.sam), by=kb.sam)
        assert [delta for _reason, delta, _key in _ledger(kb.bob)] == [40]


def test_staff_promoting_their_own_answer_earn_nothing(kb):
    own = f.answer(kb.thread, kb.sam, body="Staff answer: the currency is set per workspace, under Billing.")
    article = services.publish(services.promote(own, by=kb.sam), by=kb.sam)
    assert article.credited_user_id == kb.sam.id
    assert _ledger(kb.sam) == [] and _badges(kb.sam) == []
    # Another staff member promoting it does pay: the rule is about promoting yourself.
    other = f.answer(kb.thread, f.user("sue", role=Role.STAFF), body="Sue's answer: per workspace, see Billing.")
    services.publish(services.promote(other, by=kb.sam), by=kb.sam)
    assert len(_ledger(other.author)) == 1


def test_only_visible_answers_can_be_promoted(kb):
    from forum.errors import Forbidden

    with pytest.raises(Forbidden):
        services.promote(db.session.get(type(kb.answer), kb.thread.question_id), by=kb.sam)
    with write_transaction():
        set_post_state(kb.answer, PostState.HIDDEN, by=kb.maya)
    with pytest.raises(Forbidden):
        services.promote(kb.answer, by=kb.sam)


def test_summary_from_takes_the_first_sentences_that_fit():
    assert services.summary_from("One. Two is here. Three!") == "One. Two is here. Three!"
    long = "A first sentence that is quite long and says a lot about the fix. " * 3
    assert services.summary_from(long).count(".") == 2
    assert len(services.summary_from("word " * 200)) <= services.MAX_SUMMARY
