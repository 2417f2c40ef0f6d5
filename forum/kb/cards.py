"""Show links to articles as cards: ``[[kb:slug]]`` and a pasted article address.

Stored post HTML keeps a plain link (``<a href="/kb/slug">kb:slug</a>``); the card is
drawn when the page is, from the article as it is now, so a renamed or re-summarised
article never leaves stale cards behind, and a draft or archived one stays a link.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import g, has_request_context, render_template, request
from markupsafe import Markup

from ..extensions import db
from .models import Article, ArticleStatus

_ANCHOR = re.compile(r'<a href="(?P<href>(?:https?://[^/"]+)?/kb/(?P<slug>[a-z0-9][a-z0-9-]{0,79}))"[^>]*>'
                     r'(?P<text>[^<]*)</a>')


def _same_site(href: str) -> bool:
    host = urlsplit(href).netloc
    return not host or (has_request_context() and host == request.host)


def _cards_for(slugs: set[str]) -> dict[str, Article]:
    cache: dict[str, Article | None] = g.setdefault("_kb_cards", {}) if has_request_context() else {}
    missing = slugs - set(cache)
    if missing:
        found = {a.slug: a for a in db.session.execute(sa.select(Article).where(
            Article.slug.in_(missing), Article.status == ArticleStatus.PUBLISHED)).scalars()}
        for slug in missing:
            cache[slug] = found.get(slug)
    return {s: a for s in slugs if (a := cache.get(s)) is not None}


def render_html(stored_html: str) -> Markup:
    """Stored HTML as Markup, with article links that stand alone drawn as cards."""
    if "/kb/" not in stored_html:
        return Markup(stored_html)
    candidates = [m for m in _ANCHOR.finditer(stored_html)
                  if _same_site(m["href"]) and m["text"] in (f"kb:{m['slug']}", m["href"])]
    if not candidates:
        return Markup(stored_html)
    articles = _cards_for({m["slug"] for m in candidates})
    out, last = [], 0
    for m in candidates:
        article = articles.get(m["slug"])
        if article is None:
            continue
        out.append(stored_html[last:m.start()])
        out.append(render_template("kb/_card.html", article=article))
        last = m.end()
    out.append(stored_html[last:])
    return Markup("".join(out))
