"""The one sanitiser: Markdown source in, safe HTML out.

Only this module imports ``markdown`` and ``bleach``. Posts are rendered once, when
written, and the HTML is stored beside the source; ``flask --app wsgi posts rerender``
renders them again when these rules change. :func:`as_markup` is the single place
stored HTML becomes :class:`markupsafe.Markup`.
"""
from __future__ import annotations

import html as html_lib
import re

import bleach
import markdown
from functools import partial

from bleach.linkifier import LinkifyFilter
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong",
    "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "abbr": ["title"],
    "img": ["src", "alt", "title"],
    "td": ["align"],
    "th": ["align"],
    "code": ["class"],
    "ol": ["start"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
USER_LINK_REL = "nofollow ugc noopener"
_CODE_CLASS = re.compile(r"^language-[\w+#.-]{1,30}$")
_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]
# Elements whose text is code, not prose: dropped with their content rather than
# unwrapped (bleach's strip keeps inner text). Bleach still sanitises what is left.
_DROP_WITH_CONTENT = re.compile(r"<(script|style|template|iframe|object)\b.*?(?:</\1\s*>|$)", re.I | re.S)


def _filter_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "code" and name == "class":
        return bool(_CODE_CLASS.match(value))
    return name in ALLOWED_ATTRIBUTES.get(tag, ())


def _set_rel(attrs, new=False):
    if (None, "href") in attrs:
        attrs[(None, "rel")] = USER_LINK_REL
    return attrs


# Linkify as a filter of the one cleaning pass: a separate ``linkify`` pass would
# escape the contents of <pre>/<code> a second time.
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_filter_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)],
)


#: ``[[kb:slug]]`` links a knowledge-base article; pages show it as a card.
KB_REF = re.compile(r"\[\[kb:([a-z0-9][a-z0-9-]{0,79})\]\]")
#: Fenced blocks and inline code, where ``[[kb:...]]`` is just text.
_CODE = re.compile(r"(```.*?(?:```|$)|~~~.*?(?:~~~|$)|`[^`\n]*`)", re.S)


#: ``@username`` (the account rules: 3-30 letters, digits, ``.``, ``-``, ``_``), not in
#: an e-mail address or a longer word.
MENTION = re.compile(r"(?<![\w@/.`\[])@([A-Za-z0-9][A-Za-z0-9_.-]{1,28}[A-Za-z0-9])(?![\w@-])")


def mentions(source: str) -> list[str]:
    """The usernames ``@mentioned`` in Markdown ``source`` outside code, in order, once each."""
    found = (m.group(1) for i, part in enumerate(_CODE.split(source)) if not i % 2 for m in MENTION.finditer(part))
    return list(dict.fromkeys(found))


def _known_users(names: list[str]) -> dict[str, str]:
    """Lower-cased name -> username of the accounts that exist among ``names``."""
    if not names:
        return {}
    from flask import has_app_context

    if not has_app_context():
        return {}
    import sqlalchemy as sa

    from .extensions import db
    from .models import User

    keys = [n.lower() for n in names]
    return dict(db.session.execute(sa.select(User.username_key, User.username).where(User.username_key.in_(keys))).all())


def _link_mentions(part: str, known: dict[str, str]) -> str:
    def link(m: re.Match) -> str:
        name = known.get(m.group(1).lower())
        return f"[@{name}](/u/{name})" if name else m.group(0)

    return MENTION.sub(link, part)


def render(source: str) -> str:
    """Render user Markdown to sanitised HTML, ready to store. ``[[kb:slug]]`` becomes
    a link to the article and ``@username`` a link to the profile, if that person exists."""
    known = _known_users(mentions(source))
    source = "".join(part if i % 2 else _link_mentions(KB_REF.sub(r"[kb:\1](/kb/\1)", part), known)
                     for i, part in enumerate(_CODE.split(source)))
    html = markdown.markdown(source, extensions=_EXTENSIONS, output_format="html")
    return clean(html)


def clean(html: str) -> str:
    """Sanitise HTML against the allowlist and mark every link as user content."""
    return _cleaner.clean(_DROP_WITH_CONTENT.sub("", html))


#: A link in stored HTML that stays on this site: a path (``/kb/...``, ``/u/...``,
#: ``/t/...``) or a fragment. Anything else (another host, ``//host``, ``mailto:``) leaves.
_OUTSIDE_LINK = re.compile(r'<a\s(?!href="(?:/(?!/)|#))', re.I)


def outside_links(stored_html: str) -> int:
    """How many links in HTML that :func:`render` produced lead off this site: the
    number the new-member link limit and the spam checks count."""
    return len(_OUTSIDE_LINK.findall(stored_html))


def as_markup(stored_html: str) -> Markup:
    """Trust HTML that :func:`render` produced and the database stored."""
    return Markup(stored_html)


def plain_text(source: str) -> str:
    """Text without markup, for excerpts and e-mail."""
    text = bleach.clean(render(source), tags=set(), strip=True)
    return re.sub(r"\s+", " ", html_lib.unescape(text)).strip()


_INLINE_TAG = re.compile(r"</?(?:a|abbr|b|code|del|em|i|kbd|s|span|strong|sub|sup)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


def html_text(stored_html: str) -> str:
    """The text of HTML this module produced (search documents, snippets): cheaper
    than :func:`plain_text` because the Markdown is not rendered again. Inline tags
    vanish; block tags become spaces, so words never run together."""
    text = _TAG.sub(" ", _INLINE_TAG.sub("", stored_html or ""))
    return re.sub(r"\s+", " ", html_lib.unescape(text)).strip()
