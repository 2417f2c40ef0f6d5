"""What every search backend offers, and the query they all take.

A backend ranks keys; it never decides what a person may see. :mod:`search.queries`
hydrates the keys from the database in rank order and filters them again there, so
a lagging or damaged index can hide a result but never show one it shouldn't.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..documents import Doc

SORTS = ("relevance", "newest", "votes")
STATUSES = ("solved", "unsolved")
#: Longest query accepted, in characters; longer ones are refused with a message.
MAX_QUERY_CHARS = 500
#: Words a query is cut to: a pasted paragraph is searched by its first words.
MAX_WORDS = 32

_WORD = re.compile(r"\w+", re.UNICODE)


class IndexUnavailable(Exception):
    """The index is missing or damaged; the worker is rebuilding it."""


def clean_text(raw: str) -> str:
    """The query as plain text: control and format characters become spaces, runs of
    space collapse. Nothing in it is syntax for any backend."""
    chars = (" " if unicodedata.category(c)[0] == "C" else c for c in raw or "")
    return " ".join("".join(chars).split())


def words(text: str) -> list[str]:
    """The words of ``text`` in order, lower case, each once, at most :data:`MAX_WORDS`.
    Punctuation, quotes, operators and field prefixes are separators, nothing more."""
    seen = dict.fromkeys(w.lower() for w in _WORD.findall(text) if w.strip("_"))
    return list(seen)[:MAX_WORDS]


@dataclass
class SearchQuery:
    text: str
    category: str = ""
    tag: str = ""
    status: str = ""
    kind: str = ""
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20

    @property
    def words(self) -> list[str]:
        return words(self.text)


@dataclass
class Hits:
    keys: list[str]
    total: int
    #: The query with misspelt words replaced, when the backend corrected any.
    corrected: str | None = None
    #: Words the backend matched (corrections included), for highlighting.
    terms: list[str] = field(default_factory=list)


Progress = Callable[[int], None]


class Backend:
    """The interface: web processes call ``search``, ``suggest`` and ``snippets``;
    only the index writer (the job worker, the CLI) calls ``write`` and ``rebuild``."""

    name = ""
    #: Whether documents are written in the use case's own transaction (PostgreSQL)
    #: rather than by the worker from the jobs outbox (Whoosh).
    transactional = False

    def search(self, query: SearchQuery) -> Hits:
        raise NotImplementedError

    def suggest(self, text: str, limit: int) -> list[str]:
        raise NotImplementedError

    def snippets(self, texts: dict[str, str], query: SearchQuery, terms: list[str]) -> dict[str, str]:
        """HTML-safe snippets (``<mark>`` around matches) of ``texts`` keyed like them."""
        raise NotImplementedError

    def apply(self, keys: list[str], build: Callable[[list[str]], tuple[list[Doc], list[str]]]) -> None:
        """Bring ``keys`` up to date: take the writer's lock, *then* read the documents
        with ``build`` and write them, so two writers can never put an older version
        over a newer one."""
        raise NotImplementedError

    def rebuild(self, batches: Iterable[list[Doc]], progress: Progress | None = None) -> int:
        raise NotImplementedError

    def digests(self) -> dict[str, str]:
        """Every key in the index with the digest of the document it holds."""
        raise NotImplementedError

    def healthy(self) -> bool:
        raise NotImplementedError
