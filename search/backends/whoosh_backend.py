"""The default backend: a Whoosh index under ``DATA_DIR/search``.

Relevance is BM25F over title, tags, question, accepted answer and other answers
(boosted in that order), multiplied by each document's static prior (solved, score).
Queries are built from the analyzer's terms, never parsed, so nothing a person types
is Whoosh syntax. Misspelt words are looked up in an unstemmed vocabulary and added
as alternatives.

The index directory is ``DATA_DIR/search/current``, a symlink to ``index-<stamp>``. A
rebuild writes a fresh directory while holding the live index's write lock (so the
worker's updates wait rather than get lost) and swaps the symlink atomically.
Web processes only read; one writer at a time holds Whoosh's lock.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
import warnings
import weakref
from datetime import datetime
from typing import Iterable

from markupsafe import escape

with warnings.catch_warnings():
    # Whoosh 2.7.4's regex literals warn when Python compiles them (once per install).
    warnings.filterwarnings("ignore", category=SyntaxWarning, module="whoosh")
    warnings.filterwarnings("ignore", message="invalid escape sequence")
    warnings.filterwarnings("ignore", message='"is" with ')
    from whoosh import columns, fields, highlight, index, query, scoring
    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer
    from whoosh.writing import CLEAR
    import whoosh.codec.whoosh3  # noqa: F401  (loaded later by every index; compiled here, quietly)

from ..documents import Doc
from .base import Backend, Hits, IndexUnavailable, Progress, SearchQuery, words

ANALYZER = StemmingAnalyzer()
PLAIN = RegexTokenizer() | LowercaseFilter()
BOOSTS = {"title": 4.0, "tags": 2.5, "body": 1.5, "accepted": 1.2, "answers": 1.0}
#: What suggestions match: the question as asked and its accepted answer. The other
#: answers are most of an index's postings: matching them made suggestions two to four
#: times slower at 100,000 threads, while the relevance set's queries typed as titles
#: find nearly the same threads without them (94 of 102 in the first five either way;
#: 85 instead of 86 with the last word cut off mid-word).
SUGGEST_FIELDS = ("title", "tags", "body", "accepted")
#: Weight of a corrected spelling next to the word as typed.
CORRECTION_BOOST = 0.7
#: Only words this long are checked for typos; shorter ones are too ambiguous.
MIN_CORRECTABLE = 4
BATCH_COMMIT = 5000


def schema() -> fields.Schema:
    text = {name: fields.TEXT(analyzer=ANALYZER, field_boost=boost) for name, boost in BOOSTS.items()}
    return fields.Schema(
        key=fields.ID(stored=True, unique=True),
        digest=fields.ID(stored=True),
        kind=fields.ID,
        category=fields.ID,
        tag=fields.KEYWORD(commas=True),
        status=fields.ID,
        solved=fields.BOOLEAN,
        score=fields.NUMERIC(int, bits=64, signed=True, sortable=True),
        created=fields.NUMERIC(int, bits=64, sortable=True),
        activity=fields.NUMERIC(int, bits=64, sortable=True),
        boost=fields.COLUMN(columns.NumericColumn("f", default=1.0)),
        spell=fields.TEXT(analyzer=PLAIN),
        **text,
    )


class ForumWeighting(scoring.BM25F):
    """BM25F, with each document's score multiplied by its stored prior."""

    use_final = True

    def final(self, searcher, docnum, score):
        return score * _priors(searcher.reader())[docnum]


#: Each reader's column of priors, opened once rather than for every scored document
#: (opening it was about an eighth of a query's time).
_PRIOR_COLUMNS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _priors(reader):
    found = _PRIOR_COLUMNS.get(reader)
    if found is None:
        found = _PRIOR_COLUMNS[reader] = reader.column_reader("boost")
    return found


def weighting() -> ForumWeighting:
    # Titles and tags are short: length normalisation should barely touch them.
    return ForumWeighting(B=0.75, K1=1.2, title_B=0.3, tags_B=0.0)


def _stamp(value: datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def _fields(doc: Doc) -> dict:
    return {
        "key": doc.key, "digest": doc.digest, "kind": doc.kind, "category": doc.category,
        "tag": ",".join(doc.tags), "status": doc.status, "solved": doc.solved, "score": doc.score,
        "created": _stamp(doc.created_at), "activity": _stamp(doc.activity_at), "boost": doc.boost,
        "title": doc.title, "tags": " ".join(t.replace("-", " ") for t in doc.tags), "body": doc.body,
        "accepted": doc.accepted, "answers": doc.answers,
        "spell": " ".join((doc.title, " ".join(doc.tags), doc.body[:2000])),
    }


class _Reader:
    """One searcher per process, refreshed when the index changes (cheap to check)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.path: str | None = None
        self.searcher = None

    def get(self, path: str):
        with self.lock:
            if self.path != path or self.searcher is None:
                if self.searcher is not None:
                    self.searcher.close()
                self.searcher = index.open_dir(path).searcher(weighting=weighting())
                self.path = path
            else:
                self.searcher = self.searcher.refresh()
            return self.searcher

    def reset(self) -> None:
        with self.lock:
            if self.searcher is not None:
                self.searcher.close()
            self.path = self.searcher = None


class WhooshBackend(Backend):
    name = "whoosh"

    def __init__(self, root: str, *, writer_timeout: float = 10.0) -> None:
        self.root = root
        self.writer_timeout = writer_timeout
        self._reader = _Reader()

    # -- where the index lives ----------------------------------------------------------

    @property
    def current(self) -> str:
        return os.path.join(self.root, "current")

    def _live_path(self) -> str:
        path = os.path.realpath(self.current)
        if not os.path.isdir(path) or not index.exists_in(path):
            raise IndexUnavailable("missing")
        return path

    def _open(self):
        try:
            return index.open_dir(self._live_path())
        except IndexUnavailable:
            raise
        except Exception as exc:  # a damaged TOC or segment: Whoosh raises many kinds
            raise IndexUnavailable(f"corrupt: {exc}") from exc

    def _searcher(self):
        try:
            return self._reader.get(self._live_path())
        except IndexUnavailable:
            raise
        except Exception as exc:
            self._reader.reset()
            raise IndexUnavailable(f"corrupt: {exc}") from exc

    def healthy(self) -> bool:
        try:
            self._searcher().doc_count()
            return True
        except IndexUnavailable:
            return False

    def create_empty(self) -> None:
        """Make an empty live index if there is none (first start, tests)."""
        if not os.path.exists(self.current):
            self.rebuild([])

    # -- reading ------------------------------------------------------------------------

    def _terms(self, searcher, raw_words: list[str], fields_: Iterable[str] = tuple(BOOSTS),
               ) -> tuple[list[query.Query], list[str], dict[str, str]]:
        """One alternative per word (each stemmed term in each of ``fields_``), plus
        the corrected spelling of words the vocabulary doesn't know."""
        per_word: list[query.Query] = []
        matched: list[str] = []
        corrections: dict[str, str] = {}
        reader = searcher.reader()
        for word in raw_words:
            stems = [t.text for t in ANALYZER(word)]
            alternatives = [query.Term(f, s) for s in stems for f in fields_]
            matched.append(word)
            if len(word) >= MIN_CORRECTABLE and not word.isdigit() and reader.doc_frequency("spell", word) == 0:
                fixed = searcher.suggest("spell", word, limit=1, maxdist=2, prefix=1)
                if fixed and fixed[0] != word:
                    corrections[word] = fixed[0]
                    matched.append(fixed[0])
                    alternatives += [query.Term(f, t.text, boost=CORRECTION_BOOST)
                                     for t in ANALYZER(fixed[0]) for f in fields_]
            if alternatives:
                per_word.append(query.Or(alternatives))
        return per_word, matched, corrections

    def _filter(self, q: SearchQuery) -> query.Query | None:
        parts: list[query.Query] = []
        if q.kind:
            parts.append(query.Term("kind", q.kind))
        if q.category:
            parts.append(query.Term("category", q.category))
        if q.tag:
            parts.append(query.Term("tag", q.tag))
        if q.status:
            parts.append(query.Term("solved", q.status == "solved"))
        return query.And(parts) if parts else None

    def search(self, q: SearchQuery) -> Hits:
        searcher = self._searcher()
        per_word, matched, corrections = self._terms(searcher, q.words)
        if not per_word:
            return Hits([], 0)
        sortedby = {"newest": "created", "votes": "score"}.get(q.sort)
        page = q.offset // q.limit + 1
        results = searcher.search_page(query.Or(per_word), page, pagelen=q.limit, filter=self._filter(q),
                                       sortedby=sortedby, reverse=bool(sortedby))
        keys = [hit["key"] for hit in results] if results.pagenum == page else []
        corrected = " ".join(corrections.get(w, w) for w in q.words) if corrections else None
        return Hits(keys, results.total, corrected, matched)

    def suggest(self, text: str, limit: int) -> list[str]:
        searcher = self._searcher()
        per_word, _matched, _corrections = self._terms(searcher, words(text), SUGGEST_FIELDS)
        if not per_word:
            return []
        results = searcher.search(query.Or(per_word), limit=limit)
        return [hit["key"] for hit in results]

    def snippets(self, texts: dict[str, str], q: SearchQuery, terms: list[str]) -> dict[str, str]:
        wanted = frozenset(t.text for w in terms for t in ANALYZER(w))
        fragmenter = highlight.ContextFragmenter(maxchars=220, surround=40)
        out = {}
        for k, text in texts.items():
            # A fresh formatter per text: it remembers a class per term.
            formatter = highlight.HtmlFormatter(tagname="mark", classname="hl", between=" … ")
            found = highlight.highlight(text, wanted, ANALYZER, fragmenter, formatter, top=2) if wanted else ""
            out[k] = found or str(escape(text[:220] + ("…" if len(text) > 220 else "")))
        return out

    def digests(self) -> dict[str, str]:
        searcher = self._searcher()
        return {fields_["key"]: fields_.get("digest", "") for fields_ in searcher.all_stored_fields()}

    # -- writing (the worker and the CLI only) ------------------------------------------

    def apply(self, keys: list[str], build) -> None:
        """One commit for a batch of keys. Raises ``whoosh.index.LockError`` after
        ``writer_timeout`` seconds if another writer holds the lock (the job retries)."""
        if not keys:
            return
        for _attempt in range(3):
            ix = self._open()
            writer = ix.writer(timeout=self.writer_timeout, delay=0.05)
            # A rebuild may have swapped the live index while this writer waited.
            if os.path.realpath(ix.storage.folder) == self._live_path():
                break
            writer.cancel()
        else:
            raise IndexUnavailable("the live index kept changing during the write")
        try:
            docs, gone = build(keys)
            for k in gone:
                writer.delete_by_term("key", k)
            for doc in docs:
                writer.update_document(**_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(self, batches: Iterable[list[Doc]], progress: Progress | None = None) -> int:
        """Index ``batches`` into a fresh directory and make it the live one atomically.
        While it runs, the live index's write lock is held, so incremental updates
        wait and then land in the new index."""
        os.makedirs(self.root, exist_ok=True)
        fresh = os.path.join(self.root, f"index-{time.time_ns()}")
        os.makedirs(fresh)
        live_writer = None
        try:
            live_writer = self._open().writer(timeout=self.writer_timeout, delay=0.05)
        except IndexUnavailable:
            live_writer = None
        count = 0
        try:
            ix = index.create_in(fresh, schema())
            writer = ix.writer(limitmb=256, procs=1)
            for batch in batches:
                for doc in batch:
                    writer.add_document(**_fields(doc))
                count += len(batch)
                if progress:
                    progress(len(batch))
            writer.commit(mergetype=CLEAR)
            self._swap(fresh)
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        finally:
            if live_writer is not None:
                live_writer.cancel()
        self._reader.reset()
        self._remove_old(keep=os.path.realpath(self.current))
        return count

    def _swap(self, fresh: str) -> None:
        link = os.path.join(self.root, f".current-{os.getpid()}")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.basename(fresh), link)
        os.replace(link, self.current)

    def _remove_old(self, keep: str) -> None:
        # Open searchers keep their files on POSIX, so old directories can go now.
        for name in os.listdir(self.root):
            path = os.path.join(self.root, name)
            if name.startswith("index-") and os.path.realpath(path) != keep:
                shutil.rmtree(path, ignore_errors=True)
