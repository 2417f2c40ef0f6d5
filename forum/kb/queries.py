"""Read side of the knowledge base: the index, the lists beside an article, the
articles a thread shows, revisions, and whose feedback is whose.

Nothing here writes. Each page loads what it shows in a fixed number of queries;
the thread page's knowledge-base bits cost one query per request, whatever the
number of answers (:func:`for_thread` is cached on ``g``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from sqlalchemy.orm import joinedload, selectinload

from ..db import utcnow
from ..errors import NotFound
from ..extensions import db
from ..models import Category, Post, PostState, Thread, User, thread_tags
from ..threads import diffs
from . import services
from .models import Article, ArticleFeedback, ArticleLink, ArticleRevision, ArticleStatus

#: Articles shown per category on the index before "All N articles".
PER_CATEGORY = 8
#: ``slug``, ``[[kb:slug]]``, ``/kb/slug`` or a full address of an article.
_REFERENCE = re.compile(r"^(?:\[\[kb:|(?:https?://[^/\s]+)?/kb/)?([a-z0-9][a-z0-9-]{0,79})(?:\]\])?/?(?:[?#]\S*)?$")
_RESERVED = {"new", "review"}


# -- the index -----------------------------------------------------------------------

@dataclass
class Section:
    category: Category
    articles: list[Article]
    total: int


@dataclass
class Index:
    sections: list[Section]
    most_viewed: list[Article]
    most_helpful: list[Article]
    #: Staff only: drafts, and how many published articles are due for review.
    drafts: list[Article] = field(default_factory=list)
    stale_count: int = 0
    #: Set when the index shows one category in full.
    category: Category | None = None

    @property
    def total(self) -> int:
        return sum(s.total for s in self.sections)


def _published():
    return sa.select(Article).where(Article.status == ArticleStatus.PUBLISHED)


def index(*, staff: bool = False, category: Category | None = None, side: int = 5) -> Index:
    """Published articles by category (every article of ``category`` when given), the
    most viewed and most helpful, and for staff the drafts and the review count."""
    q = _published().options(selectinload(Article.tags)).order_by(Article.title, Article.id)
    if category is not None:
        q = q.where(Article.category_id == category.id)
    by_category: dict[int, list[Article]] = {}
    for article in db.session.execute(q).scalars():
        by_category.setdefault(article.category_id, []).append(article)
    categories = db.session.execute(sa.select(Category).where(Category.id.in_(list(by_category)))
                                    .order_by(Category.position, Category.name)).scalars() if by_category else []
    limit = None if category is not None else PER_CATEGORY
    sections = [Section(c, by_category[c.id][:limit], len(by_category[c.id])) for c in categories]
    result = Index(sections=sections, most_viewed=most_viewed(side), most_helpful=most_helpful(side),
                   category=category)
    if staff:
        result.drafts = drafts()
        result.stale_count = len(services.stale(limit=1000))
    return result


def most_viewed(limit: int = 5) -> list[Article]:
    return list(db.session.execute(_published().where(Article.views > 0)
                                   .order_by(Article.views.desc(), Article.id).limit(limit)).scalars())


def most_helpful(limit: int = 5) -> list[Article]:
    """By "yes" answers, less the "no" ones; an article nobody found helpful is left out."""
    net = Article.helpful - Article.unhelpful
    return list(db.session.execute(_published().where(Article.helpful > 0, net > 0)
                                   .order_by(net.desc(), Article.helpful.desc(), Article.id).limit(limit)).scalars())


def drafts(limit: int = 50) -> list[Article]:
    return list(db.session.execute(
        sa.select(Article).where(Article.status == ArticleStatus.DRAFT)
        .options(joinedload(Article.credited_user), joinedload(Article.author))
        .order_by(Article.updated_at.desc(), Article.id.desc()).limit(limit)).scalars())


def stale(limit: int = 100) -> list[Article]:
    """The articles due for review (:func:`services.stale`), with what the page shows."""
    ids = [a.id for a in services.stale(limit=limit)]
    if not ids:
        return []
    loaded = {a.id: a for a in db.session.execute(
        sa.select(Article).where(Article.id.in_(ids)).options(joinedload(Article.category))).scalars()}
    return [loaded[i] for i in ids if i in loaded]


def stale_reasons(article: Article) -> list[str]:
    """Why an article is on the review list, in words."""
    cfg = current_app.config
    reasons = []
    reviewed = article.reviewed_at or article.published_at or article.created_at
    if reviewed < utcnow() - timedelta(days=cfg["KB_REVIEW_DAYS"]):
        reasons.append(f"Not reviewed for {(utcnow() - reviewed).days} days")
    total = article.helpful + article.unhelpful
    if article.unhelpful >= cfg["KB_UNHELPFUL_THRESHOLD"] and article.unhelpful * 2 >= total:
        reasons.append(f"{article.unhelpful} of {total} readers said it didn't help")
    return reasons


def category_by_slug(slug: str) -> Category | None:
    return db.session.execute(sa.select(Category).where(Category.slug == slug[:60])).scalar_one_or_none()


# -- around one article ----------------------------------------------------------------

def article_page(slug: str) -> Article:
    """The article with what its page shows loaded (404 when there is none)."""
    article = db.session.execute(
        sa.select(Article).where(Article.slug == slug[:80]).options(
            selectinload(Article.tags), joinedload(Article.category), joinedload(Article.credited_user),
            joinedload(Article.source_post).joinedload(Post.thread))
    ).unique().scalar_one_or_none()
    if article is None:
        raise NotFound()
    return article


def source_visible(article: Article) -> bool:
    """Whether the answer an article came from can still be linked to."""
    post = article.source_post
    return post is not None and post.is_visible and post.thread.is_visible


def linking_threads(article: Article, limit: int = 10) -> list[Thread]:
    """Visible threads with a visible post that links ``article``, latest activity first."""
    ids = sa.select(ArticleLink.thread_id).where(ArticleLink.article_id == article.id)
    return list(db.session.execute(
        sa.select(Thread).where(Thread.id.in_(ids), Thread.state == PostState.VISIBLE)
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc()).limit(limit)).scalars())


def related_threads(article: Article, *, exclude: set[int] | frozenset[int] = frozenset(),
                    limit: int = 5) -> list[Thread]:
    """Threads about the same thing: sharing the most tags with the article, then in its
    category; solved ones first, then the most recently active."""
    tag_ids = [t.id for t in article.tags]
    shared = sa.literal(0)
    if tag_ids:
        shared = (sa.select(sa.func.count()).select_from(thread_tags)
                  .where(thread_tags.c.thread_id == Thread.id, thread_tags.c.tag_id.in_(tag_ids))
                  .scalar_subquery())
    same = Thread.category_id == article.category_id
    if tag_ids:
        same = sa.or_(same, Thread.id.in_(sa.select(thread_tags.c.thread_id).where(thread_tags.c.tag_id.in_(tag_ids))))
    q = (sa.select(Thread).where(Thread.state == PostState.VISIBLE, same)
         .order_by(shared.desc(), Thread.accepted_post_id.is_(None), Thread.last_activity_at.desc(), Thread.id.desc())
         .limit(limit + len(exclude)))
    return [t for t in db.session.execute(q).scalars() if t.id not in exclude][:limit]


def my_feedback(article: Article, voter: str | None) -> ArticleFeedback | None:
    if not voter:
        return None
    return db.session.execute(sa.select(ArticleFeedback).where(
        ArticleFeedback.article_id == article.id, ArticleFeedback.voter == voter)).scalar_one_or_none()


def revisions(article: Article) -> list[ArticleRevision]:
    """Every revision, newest first, with its author."""
    return list(db.session.execute(
        sa.select(ArticleRevision).where(ArticleRevision.article_id == article.id)
        .order_by(ArticleRevision.number.desc()).options(joinedload(ArticleRevision.author))).scalars())


@dataclass
class Comparison:
    """What changed from revision ``old`` to revision ``new`` (``new`` is the later one)."""

    old: ArticleRevision
    new: ArticleRevision
    #: (before, after) for the one-line fields that changed
    title: tuple[str, str] | None
    summary: tuple[str, str] | None
    category: tuple[str, str] | None
    tags_added: list[str]
    tags_removed: list[str]
    #: the body's changed lines with context, as the post history shows them
    body: list[diffs.Line]

    @property
    def unchanged(self) -> bool:
        return not (self.title or self.summary or self.category or self.tags_added or self.tags_removed or self.body)


def compare(old: ArticleRevision, new: ArticleRevision) -> Comparison:
    names = dict(db.session.execute(sa.select(Category.id, Category.name).where(
        Category.id.in_({old.category_id, new.category_id} - {None}))).all())
    old_tags, new_tags = old.tags.split(), new.tags.split()

    def pair(a: str, b: str) -> tuple[str, str] | None:
        return (a, b) if a != b else None

    return Comparison(
        old=old, new=new, title=pair(old.title, new.title), summary=pair(old.summary, new.summary),
        category=pair(names.get(old.category_id, "(deleted)"), names.get(new.category_id, "(deleted)")),
        tags_added=[t for t in new_tags if t not in old_tags], tags_removed=[t for t in old_tags if t not in new_tags],
        body=diffs.line_diff(old.body, new.body))


# -- threads' side ---------------------------------------------------------------------

@dataclass
class ThreadArticles:
    """What a thread page shows of the knowledge base."""

    #: answer id -> the article promoted from it (published; drafts too for staff)
    promoted: dict[int, Article]
    #: published articles linked from the thread's posts
    linked: list[Article]


def for_thread(thread: Thread, viewer: User | None) -> ThreadArticles:
    """Articles promoted from this thread's answers and articles its posts link, in one
    query, once per request."""
    cache = g.setdefault("_kb_threads", {}) if has_request_context() else {}
    if thread.id in cache:
        return cache[thread.id]
    staff = viewer is not None and viewer.is_staff
    linked_here = sa.exists().where(ArticleLink.article_id == Article.id, ArticleLink.thread_id == thread.id)
    rows = db.session.execute(
        sa.select(Article, linked_here.label("linked"))
        .where(sa.or_(Article.source_thread_id == thread.id, linked_here))
        .order_by(Article.title, Article.id)).all()
    promoted: dict[int, Article] = {}
    linked: list[Article] = []
    # The link cards in this thread's posts need these same articles (cards.py keeps
    # them per request by slug; a draft stays a plain link): no second query for them.
    cards = g.setdefault("_kb_cards", {}) if has_request_context() else {}
    for article, is_linked in rows:
        if article.source_post_id and article.source_thread_id == thread.id and (article.is_published or staff):
            promoted.setdefault(article.source_post_id, article)
        if is_linked:
            cards.setdefault(article.slug, article if article.is_published else None)
            if article.is_published:
                linked.append(article)
    cache[thread.id] = found = ThreadArticles(promoted=promoted, linked=linked)
    return found


def article_by_reference(text: str) -> Article | None:
    """The article named by a slug, ``[[kb:slug]]`` or its address, whatever its status."""
    match = _REFERENCE.match((text or "").strip().lower())
    if match is None or match.group(1) in _RESERVED:
        return None
    return db.session.execute(sa.select(Article).where(Article.slug == match.group(1))).scalar_one_or_none()


def reviewed_on(article: Article) -> datetime | None:
    return article.reviewed_at or article.published_at

