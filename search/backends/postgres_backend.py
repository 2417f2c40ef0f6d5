"""The PostgreSQL backend: a ``tsvector`` per document with a GIN index, written in
the same transaction as the change that caused it.

Weights: title A, tags B, question and accepted answer C, other answers D, ranked by
``ts_rank_cd`` with ``{0.1, 0.3, 0.5, 1.0}`` and multiplied by the document's prior.
A query is the OR of each word's ``plainto_tsquery``, so nothing typed is tsquery
syntax and a long question still finds threads that share most of its words;
``websearch_to_tsquery`` (all words required) adds a bonus to documents matching every
word. Snippets come from ``ts_headline``, with sentinels that are escaped before
``<mark>`` goes in, because ``ts_headline`` itself escapes nothing.
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import REGCONFIG, TSQUERY, TSVECTOR

from forum.extensions import db

from ..documents import Doc
from ..models import SearchDocument as D
from .base import Backend, Hits, Progress, SearchQuery, words

CONFIG = "english"
WEIGHTS = [0.1, 0.3, 0.5, 1.0]
#: Multiplier for documents that contain every word of the query.
ALL_WORDS_BONUS = 1.5
START, STOP = "\x02", "\x03"
HEADLINE = (f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=28, MinWords=10, "
            'FragmentDelimiter=" … "')


def _config():
    return sa.literal(CONFIG, REGCONFIG)


def _vector(title, tags, body, accepted, answers):
    def weighted(text, weight):
        # setweight takes a "char": a literal, not a bound varchar.
        return sa.func.setweight(sa.func.to_tsvector(_config(), sa.func.coalesce(text, "")),
                                 sa.literal_column(f"'{weight}'"), type_=TSVECTOR)

    vector = weighted(title, "A")
    for part in (weighted(tags, "B"), weighted(sa.func.concat(body, " ", accepted), "C"), weighted(answers, "D")):
        vector = vector.op("||", return_type=TSVECTOR)(part)
    return vector


def _any_word(raw_words: list[str]):
    """OR of each word's ``plainto_tsquery`` (stop words drop out as empty queries)."""
    q = None
    for w in raw_words:
        part = sa.func.plainto_tsquery(_config(), w)
        q = part if q is None else q.op("||", return_type=TSQUERY)(part)
    return q


def _row(doc: Doc) -> dict:
    tags = " ".join(t.replace("-", " ") for t in doc.tags)
    return {
        "kind": doc.kind, "object_id": doc.object_id, "title": doc.title, "tags": tags,
        "tag_names": "," + ",".join(doc.tags) + ",", "body": doc.body, "accepted": doc.accepted,
        "answers": doc.answers, "category": doc.category, "solved": doc.solved, "status": doc.status,
        "score": doc.score, "boost": doc.boost, "digest": doc.digest, "created_at": doc.created_at,
        "activity_at": doc.activity_at,
    }


class PostgresBackend(Backend):
    name = "postgres"
    transactional = True

    def healthy(self) -> bool:
        return True

    # -- reading ------------------------------------------------------------------------

    def _filters(self, q: SearchQuery) -> list:
        where = []
        if q.kind:
            where.append(D.kind == q.kind)
        if q.category:
            where.append(D.category == q.category)
        if q.tag:
            where.append(D.tag_names.contains(f",{q.tag},", autoescape=True))
        if q.status:
            where.append(D.solved.is_(q.status == "solved"))
        return where

    def _ranked(self, raw_words: list[str], text: str):
        tsq = _any_word(raw_words)
        every = sa.func.websearch_to_tsquery(_config(), text)
        weights = sa.literal(WEIGHTS, postgresql.ARRAY(sa.REAL))
        bonus = sa.case((D.document.op("@@")(every), ALL_WORDS_BONUS), else_=1.0)
        rank = sa.func.ts_rank_cd(weights, D.document, tsq, 1) * D.boost * bonus
        return tsq, rank

    def search(self, q: SearchQuery) -> Hits:
        raw = q.words
        if not raw:
            return Hits([], 0)
        tsq, rank = self._ranked(raw, " ".join(raw))
        where = [D.document.op("@@")(tsq), *self._filters(q)]
        order = {"newest": [D.created_at.desc()], "votes": [D.score.desc(), D.created_at.desc()]}.get(
            q.sort, [rank.desc()])
        rows = db.session.execute(sa.select(D.kind, D.object_id).where(*where).order_by(*order, D.object_id)
                                  .offset(q.offset).limit(q.limit)).all()
        total = db.session.execute(sa.select(sa.func.count()).select_from(D).where(*where)).scalar_one()
        return Hits([f"{kind}:{ident}" for kind, ident in rows], total, None, raw)

    def suggest(self, text: str, limit: int) -> list[str]:
        raw = words(text)
        if not raw:
            return []
        tsq, rank = self._ranked(raw, " ".join(raw))
        rows = db.session.execute(sa.select(D.kind, D.object_id).where(D.document.op("@@")(tsq))
                                  .order_by(rank.desc(), D.object_id).limit(limit)).all()
        return [f"{kind}:{ident}" for kind, ident in rows]

    def snippets(self, texts: dict[str, str], q: SearchQuery, terms: list[str]) -> dict[str, str]:
        if not texts:
            return {}
        tsq = _any_word(terms or q.words)
        keys = list(texts)
        if tsq is None:
            return {k: str(escape(texts[k][:220])) for k in keys}
        columns = [sa.func.ts_headline(_config(), sa.literal(texts[k]), tsq, HEADLINE) for k in keys]
        row = db.session.execute(sa.select(*columns)).one()
        out = {}
        for k, headline in zip(keys, row):
            safe = escape(headline or "")
            out[k] = str(safe.replace(START, Markup('<mark class="hl">')).replace(STOP, Markup("</mark>")))
        return out

    def digests(self) -> dict[str, str]:
        return {f"{kind}:{ident}": digest for kind, ident, digest in
                db.session.execute(sa.select(D.kind, D.object_id, D.digest))}

    # -- writing ------------------------------------------------------------------------

    def apply(self, keys: list[str], build) -> None:
        """In the caller's transaction: a transaction-scoped advisory lock per key, in
        sorted order, then the documents as this transaction sees them. Two writers of
        one thread queue up, and the second reads the first one's committed change."""
        for k in sorted(set(keys)):
            db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("search:" + k))))
        docs, gone = build(keys)
        self.write(docs, gone)

    def write(self, docs: list[Doc], gone: list[str]) -> None:
        """Upsert and delete in the caller's transaction."""
        for k in gone:
            kind, _, ident = k.partition(":")
            db.session.execute(sa.delete(D).where(D.kind == kind, D.object_id == int(ident)))
        if not docs:
            return
        rows = [_row(d) for d in docs]
        for row in rows:
            row["document"] = _vector(*(sa.literal(row[c], sa.Text) for c in ("title", "tags", "body", "accepted",
                                                                                "answers")))
        insert = postgresql.insert(D).values(rows)
        columns = {c: getattr(insert.excluded, c) for c in rows[0] if c not in ("kind", "object_id")}
        db.session.execute(insert.on_conflict_do_update(index_elements=[D.kind, D.object_id], set_=columns))

    def rebuild(self, batches: Iterable[list[Doc]], progress: Progress | None = None) -> int:
        """Replace every document, in the caller's transaction (readers see the old
        set until it commits)."""
        db.session.execute(sa.delete(D))
        count = 0
        for batch in batches:
            self.write(batch, [])
            count += len(batch)
            if progress:
                progress(len(batch))
        return count
