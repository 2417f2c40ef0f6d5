"""Knowledge-base use cases: write, publish, archive, restore, promote an answer,
answer with an article, feedback. Each validates, asks ``can()``, and commits once.
"""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from .. import events
from ..db import Conflict, lock, utcnow, write_transaction
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..markup import html_text, render
from ..models import Category, Post, Tag, Thread, User
from ..threads import services as threads
from ..threads.queries import Page, decode_cursor, encode_cursor
from ..threads.validation import clean_body, clean_tags, clean_text, clean_title, slugify
from .models import Article, ArticleFeedback, ArticleLink, ArticleRevision, ArticleStatus, article_tags

MAX_SUMMARY = 400
MIN_SUMMARY = 20
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_PRE = re.compile(r"<pre\b.*?</pre>|<table\b.*?</table>", re.S)
#: ``[[kb:slug]]`` in Markdown, and an article's address in rendered HTML.
KB_REF = re.compile(r"\[\[kb:([a-z0-9][a-z0-9-]{0,79})\]\]")
_LINKED = re.compile(r'href="(?:https?://[^/"]+)?/kb/([a-z0-9][a-z0-9-]{0,79})(?:[#?][^"]*)?"')
#: Addresses under ``/kb/`` that the knowledge base's own pages use.
RESERVED_SLUGS = frozenset({"new", "review"})


# -- reading -------------------------------------------------------------------------

def get_article(slug: object) -> Article:
    article = db.session.execute(sa.select(Article).where(Article.slug == str(slug)[:80])).scalar_one_or_none() \
        if isinstance(slug, str) else None
    if article is None:
        raise NotFound()
    return article


def source_article(post_id: int) -> Article | None:
    """The article promoted from ``post_id``, if any."""
    return db.session.execute(sa.select(Article).where(Article.source_post_id == post_id)
                              .order_by(Article.id).limit(1)).scalar_one_or_none()


def list_articles(*, status: ArticleStatus = ArticleStatus.PUBLISHED, category: Category | None = None,
                  tag: Tag | None = None, cursor: str | None = None, limit: int = 30) -> Page:
    """One page of articles with ``status``, most recently changed first, continued by
    the opaque ``cursor`` of the previous page. Callers decide who may list drafts."""
    q = sa.select(Article).where(Article.status == status)
    if category is not None:
        q = q.where(Article.category_id == category.id)
    if tag is not None:
        q = q.where(Article.id.in_(sa.select(article_tags.c.article_id).where(article_tags.c.tag_id == tag.id)))
    if cursor:
        when, ident = decode_cursor(cursor)
        q = q.where(sa.tuple_(Article.updated_at, Article.id) < sa.tuple_(when, ident))
    q = q.order_by(Article.updated_at.desc(), Article.id.desc()).limit(limit + 1).options(
        joinedload(Article.category), joinedload(Article.author), joinedload(Article.credited_user),
        selectinload(Article.tags))
    rows = list(db.session.execute(q).unique().scalars())
    if len(rows) <= limit:
        return Page(items=rows, next_cursor=None)
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(rows[-1].updated_at, rows[-1].id))


# -- validation ----------------------------------------------------------------------

def _summary(value: object, errors: dict[str, str]) -> str:
    try:
        summary = " ".join(clean_text(value).split())
    except Invalid:
        errors["summary"] = "The summary must be text."
        return ""
    if len(summary) < MIN_SUMMARY:
        errors["summary"] = f"Give the answer in a sentence or two ({MIN_SUMMARY} characters at least)."
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = f"Keep the summary to {MAX_SUMMARY} characters: one or two sentences."
    return summary


def _slug(value: object, title: str, errors: dict[str, str], *, article: Article | None = None) -> str:
    try:
        raw = clean_text(value).strip() if value else ""
    except Invalid:
        errors["slug"] = "The address must be text."
        return ""
    slug = slugify(raw or title, max_len=80)
    if raw and slug != raw.lower():
        errors["slug"] = "Use lower-case letters, digits and hyphens only."
    elif raw and slug in RESERVED_SLUGS:
        errors["slug"] = "The knowledge base's own pages use this address; choose another."
    taken = slug in RESERVED_SLUGS or db.session.execute(sa.select(Article.id).where(
        Article.slug == slug, Article.id != (article.id if article else -1))).first()
    if taken:
        if raw:
            errors.setdefault("slug", "Another article already has this address.")
        else:
            n = 2
            while db.session.execute(sa.select(Article.id).where(Article.slug == f"{slug[:75]}-{n}")).first():
                n += 1
            slug = f"{slug[:75]}-{n}"
    return slug


def _category(value: object, errors: dict[str, str]) -> Category | None:
    try:
        return threads.get_category(value)
    except NotFound:
        errors["category"] = "Choose a category."
        return None


def _reason(value: object, errors: dict[str, str]) -> str:
    try:
        return " ".join(clean_text(value).split())[:300]
    except Invalid:
        errors["reason"] = "The reason must be text."
        return ""


def summary_from(text: str) -> str:
    """The first sentence or two of ``text`` that fit in a summary."""
    out = ""
    for sentence in _SENTENCE.split(" ".join(text.split())):
        if len(out) + len(sentence) + 1 > MAX_SUMMARY - 1:
            break
        out = f"{out} {sentence}".strip()
        if len(out) >= 120:
            break
    return out or text[:MAX_SUMMARY - 1]


# -- writing -------------------------------------------------------------------------

def _revision(article: Article, *, by: User, reason: str) -> None:
    db.session.add(ArticleRevision(
        article_id=article.id, number=article.revision_count, author_id=by.id, title=article.title,
        summary=article.summary, body=article.body, category_id=article.category_id,
        tags=" ".join(t.name for t in article.tags), reason=reason[:300], created_at=utcnow()))


def _changed(article: Article) -> None:
    events.emit(events.ArticleChanged(article_id=article.id))


def create(*, by: User, title: object, summary: object, body: object, category_id: object, tags: object = None,
           slug: object = None, source_post: Post | None = None, reason: object = "") -> Article:
    """Write a draft (staff only)."""
    require(by, "kb.write")
    errors: dict[str, str] = {}
    title = clean_title(title, errors)
    summary = _summary(summary, errors)
    body = clean_body(body, errors)
    names = clean_tags(tags, errors)
    category = _category(category_id, errors)
    slug = _slug(slug, title, errors) if slug or "title" not in errors else ""
    reason = _reason(reason, errors)
    if errors:
        raise Invalid(errors)
    with write_transaction():
        now = utcnow()
        article = Article(slug=slug, title=title, summary=summary, body=body, body_html=render(body),
                          category_id=category.id, author_id=by.id, created_at=now, updated_at=now)
        if source_post is not None:
            article.source_post_id, article.source_thread_id = source_post.id, source_post.thread_id
            article.credited_user_id = source_post.author_id
        db.session.add(article)
        db.session.flush()
        article.tags = threads.tag_rows(names)
        _revision(article, by=by, reason=reason or "First draft")
        _changed(article)
    return article


def edit(article: Article, *, by: User, title: object, summary: object, body: object, category_id: object,
         tags: object = None, slug: object = None, reason: object = "") -> Article:
    """Change an article; the previous text stays as a revision anyone on staff can restore."""
    require(by, "kb.write", article)
    errors: dict[str, str] = {}
    title = clean_title(title, errors)
    summary = _summary(summary, errors)
    body = clean_body(body, errors)
    names = clean_tags(tags, errors)
    category = _category(category_id, errors)
    new_slug = _slug(slug, title, errors, article=article) if slug else article.slug
    reason = _reason(reason, errors)
    if errors:
        raise Invalid(errors)
    with write_transaction():
        article = lock(Article, article.id)
        same = (article.title, article.summary, article.body, article.category_id, [t.name for t in article.tags],
                article.slug) == (title, summary, body, category.id, names, new_slug)
        if same:
            return article
        article.title, article.summary, article.body, article.slug = title, summary, body, new_slug
        article.body_html = render(body)
        article.category_id = category.id
        article.tags = threads.tag_rows(names)
        article.updated_at = utcnow()
        article.revision_count += 1
        _revision(article, by=by, reason=reason)
        _changed(article)
    return article


def restore(article: Article, number: int, *, by: User) -> Article:
    """Make revision ``number`` the current text again (as a new revision)."""
    revision = db.session.execute(sa.select(ArticleRevision).where(
        ArticleRevision.article_id == article.id, ArticleRevision.number == number)).scalar_one_or_none()
    if revision is None:
        raise NotFound()
    return edit(article, by=by, title=revision.title, summary=revision.summary, body=revision.body,
                category_id=revision.category_id or article.category_id, tags=revision.tags.split(),
                reason=f"Restored revision {number}")


def _set_status(article: Article, status: ArticleStatus, *, by: User) -> Article:
    require(by, "kb.write", article)
    with write_transaction():
        article = lock(Article, article.id)
        if article.status == status:
            raise Conflict(f"The article is already {status.value}.")
        first = status == ArticleStatus.PUBLISHED and article.published_at is None
        article.status = status
        now = utcnow()
        if status == ArticleStatus.PUBLISHED:
            article.published_at = article.published_at or now
            article.reviewed_at = now
        article.updated_at = now
        _changed(article)
        if first:
            events.emit(events.ArticlePublished(article_id=article.id, by_id=by.id, author_id=article.author_id,
                                                credited_user_id=article.credited_user_id,
                                                source_post_id=article.source_post_id))
    return article


def publish(article: Article, *, by: User) -> Article:
    return _set_status(article, ArticleStatus.PUBLISHED, by=by)


def archive(article: Article, *, by: User) -> Article:
    return _set_status(article, ArticleStatus.ARCHIVED, by=by)


def mark_reviewed(article: Article, *, by: User) -> Article:
    """Staff confirm the article is still right: it leaves the stale list."""
    require(by, "kb.write", article)
    with write_transaction():
        article = lock(Article, article.id)
        article.reviewed_at = utcnow()
    return article


# -- promotion and answering -----------------------------------------------------------

def promote(post: Post, *, by: User) -> Article:
    """A draft from a community answer: the question's title, the answer's text, the
    answerer credited, the thread linked. Promoting the same answer again returns
    the article it already became."""
    require(by, "kb.promote", post)
    existing = source_article(post.id)
    if existing is not None:
        return existing
    thread = post.thread
    prose = _PRE.sub(" ", post.body_html)  # code blocks make poor summaries
    return create(by=by, title=thread.title, summary=summary_from(html_text(prose)), body=post.body,
                  category_id=thread.category_id, tags=[t.name for t in thread.tags], source_post=post,
                  reason=f"Promoted from an answer by {post.author.name}")


def answer_with(thread: Thread, article: Article, *, by: User, note: object = "") -> Post:
    """Answer ``thread`` with a link card to ``article`` and an optional note."""
    require(by, "kb.answer_with", thread)
    if not article.is_published:
        raise Invalid({"article": "Only published articles can answer a thread."})
    note = clean_text(note).strip() if note else ""
    # Without a note, a line of text keeps even a short slug over the shortest post.
    body = f"[[kb:{article.slug}]]\n\n" + (note or "The knowledge base answers this.")
    return threads.post_answer(thread, author=by, body=body)


# -- readers' side ---------------------------------------------------------------------

def record_view(article: Article) -> None:
    with write_transaction():
        db.session.execute(sa.update(Article).where(Article.id == article.id).values(views=Article.views + 1))


def feedback(article: Article, *, voter: str, user: User | None, helpful: object, comment: object = "",
             from_ask: bool = False) -> ArticleFeedback:
    """Record "did this answer your question?"; answering again changes the answer."""
    require(user, "kb.feedback", article)
    errors: dict[str, str] = {}
    if not isinstance(helpful, bool):
        errors["helpful"] = "Answer yes or no."
    try:
        comment = clean_text(comment).strip() if comment else ""
    except Invalid:
        errors["comment"], comment = "The comment must be text.", ""
    if len(comment) > 1000:
        errors["comment"] = "Keep the comment under 1000 characters."
    if errors:
        raise Invalid(errors)
    with write_transaction():
        article = lock(Article, article.id)
        row = db.session.execute(sa.select(ArticleFeedback).where(
            ArticleFeedback.article_id == article.id, ArticleFeedback.voter == voter)).scalar_one_or_none()
        if row is None:
            row = ArticleFeedback(article_id=article.id, voter=voter, user_id=user.id if user else None,
                                  helpful=helpful, comment=comment, from_ask=from_ask, created_at=utcnow())
            db.session.add(row)
        else:
            # Answering again replaces the earlier answer in the counts.
            if row.helpful:
                article.helpful -= 1
            else:
                article.unhelpful -= 1
            row.helpful, row.comment = helpful, comment or row.comment
            row.from_ask = row.from_ask or from_ask
            row.created_at = utcnow()
        if helpful:
            article.helpful += 1
        else:
            article.unhelpful += 1
    return row


# -- links from posts --------------------------------------------------------------------

def linked_slugs(html: str) -> list[str]:
    return list(dict.fromkeys(_LINKED.findall(html or "")))


def sync_links(post_id: int) -> None:
    """Inside the caller's transaction: which articles ``post_id`` links, as its text says now."""
    post = db.session.get(Post, post_id)
    if post is None:
        return
    slugs = linked_slugs(post.body_html) if post.is_visible else []
    ids = set(db.session.execute(sa.select(Article.id).where(Article.slug.in_(slugs))).scalars()) if slugs else set()
    current = set(db.session.execute(sa.select(ArticleLink.article_id).where(ArticleLink.post_id == post_id))
                  .scalars())
    if current - ids:
        db.session.execute(sa.delete(ArticleLink).where(ArticleLink.post_id == post_id,
                                                        ArticleLink.article_id.in_(current - ids)))
    for article_id in ids - current:
        db.session.add(ArticleLink(post_id=post_id, article_id=article_id, thread_id=post.thread_id))


def stale(*, limit: int = 100) -> list[Article]:
    """Published articles staff should look at again: not reviewed for
    ``KB_REVIEW_DAYS`` days, or with at least ``KB_UNHELPFUL_THRESHOLD`` "no" answers
    making up at least half of all answers."""
    from datetime import timedelta

    cfg = current_app.config
    old = utcnow() - timedelta(days=cfg["KB_REVIEW_DAYS"])
    doubted = sa.and_(Article.unhelpful >= cfg["KB_UNHELPFUL_THRESHOLD"], Article.unhelpful * 2 >= Article.helpful
                      + Article.unhelpful)
    return list(db.session.execute(sa.select(Article).where(
        Article.status == ArticleStatus.PUBLISHED, sa.or_(Article.reviewed_at < old, doubted))
        .order_by(Article.reviewed_at).limit(limit)).scalars())


def as_dict(article: Article) -> dict[str, Any]:
    return {"slug": article.slug, "title": article.title, "summary": article.summary}
