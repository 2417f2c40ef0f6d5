"""Input rules shared by the pages and the API: one place says what a valid
title, body or tag list is."""
from __future__ import annotations

import re
import unicodedata

from flask import current_app

from ..errors import Invalid

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9+#.-]*$")
_CONTROL = {c for c in map(chr, range(32)) if c not in "\n\t"}


def clean_text(value: object) -> str:
    """Text safe to store: str only, no NUL or control characters, no lone surrogates."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid({"_": "Expected text."})
    # Lone surrogates (broken UTF-16 in JSON) cannot be stored; drop control characters too.
    value = value.encode("utf-8", "replace").decode("utf-8").replace("\r\n", "\n")
    return "".join(ch for ch in value if ch not in _CONTROL and ch != "\x00")


def clean_title(value: object, errors: dict[str, str]) -> str:
    try:
        title = " ".join(clean_text(value).split())
    except Invalid:
        errors["title"] = "The title must be text."
        return ""
    cfg = current_app.config
    if len(title) < cfg["MIN_TITLE_CHARS"]:
        errors["title"] = f"Titles need at least {cfg['MIN_TITLE_CHARS']} characters: say what the problem is."
    elif len(title) > cfg["MAX_TITLE_CHARS"]:
        errors["title"] = f"Titles are at most {cfg['MAX_TITLE_CHARS']} characters ({len(title)} given)."
    return title


def clean_body(value: object, errors: dict[str, str], field: str = "body") -> str:
    try:
        body = clean_text(value).strip("\n ")
    except Invalid:
        errors[field] = "The body must be text."
        return ""
    cfg = current_app.config
    if len(body.strip()) < cfg["MIN_POST_CHARS"]:
        errors[field] = f"Write at least {cfg['MIN_POST_CHARS']} characters."
    elif len(body) > cfg["MAX_POST_CHARS"]:
        errors[field] = f"Posts are at most {cfg['MAX_POST_CHARS']:,} characters ({len(body):,} given)."
    return body


def normalize_tag(raw: str) -> str:
    """``"  Single Sign-On "`` -> ``"single-sign-on"``."""
    value = unicodedata.normalize("NFKC", raw).strip().lower()
    value = re.sub(r"[\s_]+", "-", value)
    return re.sub(r"-{2,}", "-", value).strip("-")


def clean_tags(value: object, errors: dict[str, str]) -> list[str]:
    """Accept a list of names or a comma/space separated string; return unique,
    normalised names in the order given."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        parts = re.split(r"[,\s]+", value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = value
    else:
        errors["tags"] = "Tags must be a list of names."
        return []
    cfg = current_app.config
    names: list[str] = []
    for part in parts:
        name = normalize_tag(part)
        if not name:
            continue
        if len(name) > cfg["MAX_TAG_CHARS"] or not TAG_RE.match(name):
            errors["tags"] = (f"“{part[:40]}” is not a valid tag: use letters, digits and - + # . "
                              f"up to {cfg['MAX_TAG_CHARS']} characters.")
            return names
        if name not in names:
            names.append(name)
    if len(names) > cfg["MAX_TAGS"]:
        errors["tags"] = f"Use at most {cfg['MAX_TAGS']} tags ({len(names)} given)."
    return names


def slugify(text: str, max_len: int = 60) -> str:
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-zA-Z0-9]+", "-", value).strip("-").lower()
    return value[:max_len].strip("-") or "item"
