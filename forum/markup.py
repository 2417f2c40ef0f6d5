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
from bleach.linkifier import Linker
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


def _filter_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "code" and name == "class":
        return bool(_CODE_CLASS.match(value))
    return name in ALLOWED_ATTRIBUTES.get(tag, ())


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_filter_attribute,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
)


def _set_rel(attrs, new=False):
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = USER_LINK_REL
    return attrs


_linker = Linker(callbacks=[_set_rel], skip_tags={"pre", "code"}, parse_email=False)


def render(source: str) -> str:
    """Render user Markdown to sanitised HTML, ready to store."""
    html = markdown.markdown(source, extensions=_EXTENSIONS, output_format="html")
    return clean(html)


def clean(html: str) -> str:
    """Sanitise HTML against the allowlist and mark every link as user content."""
    return _linker.linkify(_cleaner.clean(html))


def as_markup(stored_html: str) -> Markup:
    """Trust HTML that :func:`render` produced and the database stored."""
    return Markup(stored_html)


def plain_text(source: str) -> str:
    """Text without markup, for excerpts and e-mail."""
    text = bleach.clean(render(source), tags=set(), strip=True)
    return re.sub(r"\s+", " ", html_lib.unescape(text)).strip()
