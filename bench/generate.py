"""Generate a large, deterministic support forum straight into the database.

    .venv/bin/python bench/generate.py --threads 100000                      # SQLite
    .venv/bin/python bench/generate.py --threads 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/forum_bench  # PostgreSQL

Users, categories, tags, threads with their tags, and posts (a question and about nine
answers per thread on average, varied) go in with bulk SQLAlchemy Core inserts: the
services would take hours for a million posts and would index as they go, and here the
index is built afterwards by the benchmark. Counters are kept consistent the way the
services keep them: ``answer_count``, ``question_id``, ``accepted_post_id`` (with
``status`` solved), ``last_activity_at``, ``last_poster_id``, category and tag
``thread_count``.

The same ``--seed`` and ``--threads`` give the same rows on every database. The schema
comes from the project's migrations (``flask_migrate.upgrade()``). A PostgreSQL
database named in the URL is dropped and created again; a SQLite file is replaced.
"""
from __future__ import annotations

import argparse
import html
import math
import os
import random
import re
import sys
import time
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(BENCH.parent))

import vocabulary as V  # noqa: E402

DATA = BENCH / ".data"
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
CHUNK = 2000
#: Share of all threads per area (the order of ``vocabulary.AREAS``).
AREA_SHARE = [22, 14, 10, 9, 12, 13, 12, 8]
#: Where a post's words come from: function words, general support vocabulary, the
#: thread's area, the other areas, the long tail.
MIXTURE = (0.46, 0.23, 0.20, 0.05, 0.06)
TAIL_SIZE = 120_000
USERS = 4000
TAGS = 300


# -- text ---------------------------------------------------------------------------

def zipf_weights(n: int, s: float = 1.0, q: float = 2.7) -> list[float]:
    """Zipf-Mandelbrot weights for ranks 1..n, normalised to sum 1."""
    raw = [1.0 / (r + q) ** s for r in range(1, n + 1)]
    total = sum(raw)
    return [w / total for w in raw]


def _tail_tokens(rng: random.Random) -> list[str]:
    """The long tail: names, hosts, codes and numbers, each its own term."""
    out: dict[str, None] = {}
    while len(out) < TAIL_SIZE:
        kind = rng.random()
        if kind < 0.70:
            word = "".join(rng.choice(V.SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        elif kind < 0.80:
            word = "".join(rng.choice(V.SYLLABLES) for _ in range(2)) + "-" + rng.choice(V.HOST_SUFFIXES)
        elif kind < 0.90:
            word = f"E{rng.randint(1000, 99999)}"
        elif kind < 0.95:
            word = f"{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 20)}"
        else:
            word = f"{rng.getrandbits(32):08x}"
        out[word] = None
    return list(out)


class Text:
    """Markdown-ish support-forum text with Zipf-like word frequencies."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.areas = list(V.AREAS)
        self.tail = _tail_tokens(rng)
        parts_all = [V.FUNCTION, V.GENERIC]
        weights_all = [zipf_weights(len(V.FUNCTION), 1.0), zipf_weights(len(V.GENERIC), 0.9, 5)]
        self.population: dict[str, list[str]] = {}
        self.cum: dict[str, list[float]] = {}
        tail_w = zipf_weights(len(self.tail), 1.0, 10)
        for slug, area in V.AREAS.items():
            own = area["words"]
            others = [w for s, a in V.AREAS.items() if s != slug for w in a["words"]]
            parts = [*parts_all, own, others, self.tail]
            weights = [*weights_all, zipf_weights(len(own), 0.9, 2), zipf_weights(len(others), 0.5, 10), tail_w]
            pop: list[str] = []
            w_all: list[float] = []
            for share, words, ws in zip(MIXTURE, parts, weights):
                pop.extend(words)
                w_all.extend(share * w for w in ws)
            self.population[slug] = pop
            self.cum[slug] = list(accumulate(w_all))

    def words(self, rng: random.Random, area: str, n: int) -> list[str]:
        return rng.choices(self.population[area], cum_weights=self.cum[area], k=n)

    @staticmethod
    def fill(rng: random.Random, template: str, area: dict) -> str:
        def pick(key: str) -> str:
            return rng.choice(area[key])

        entity = pick("entities")
        values = {
            "entity": entity, "Entity": entity[0].upper() + entity[1:], "symptom": pick("symptoms"),
            "action": pick("actions"), "alt_action": pick("actions"), "trigger": pick("triggers"),
            "error": pick("errors"), "plan": rng.choice(V.PLANS), "n": str(rng.choice((3, 5, 8, 12, 40, 150))),
            "area_name": area["name"],
        }
        return template.format(**values)

    def title(self, rng: random.Random, slug: str, local: str) -> str:
        area = V.AREAS[slug]
        title = self.fill(rng, rng.choice(V.TITLE_TEMPLATES), area)
        if rng.random() < 0.15:
            title += f" ({local})"
        elif rng.random() < 0.10:
            title += " on " + rng.choice(["iOS", "Android", "Chrome", "Safari", "Windows", "macOS"])
        return title[:150]

    def sentences(self, rng: random.Random, slug: str, n_words: int, templates: list[str], local: str) -> list[str]:
        words = self.words(rng, slug, n_words)
        area = V.AREAS[slug]
        out: list[str] = []
        i = 0
        while i < len(words):
            if rng.random() < 0.25:
                out.append(self.fill(rng, rng.choice(templates), area))
                i += 6
                continue
            size = rng.randint(5, 16)
            chunk = words[i:i + size]
            i += size
            if rng.random() < 0.12:
                chunk.insert(rng.randrange(len(chunk) + 1), local)
            if rng.random() < 0.05:
                chunk.insert(rng.randrange(len(chunk) + 1), f"`{rng.choice(area['errors'])}`")
            sentence = " ".join(chunk)
            out.append(sentence[0].upper() + sentence[1:] + rng.choice((".", ".", ".", "?", "!")))
        return out

    def post(self, rng: random.Random, slug: str, n_words: int, *, question: bool, local: str) -> str:
        """Markdown source: paragraphs, sometimes a list of steps or a bold update."""
        sentences = self.sentences(rng, slug, n_words, V.SENTENCE_TEMPLATES if question else V.ANSWER_TEMPLATES,
                                   local)
        blocks: list[str] = []
        i = 0
        while i < len(sentences):
            take = rng.randint(1, 4)
            para = sentences[i:i + take]
            i += take
            if len(para) >= 3 and rng.random() < 0.15:
                blocks.append("\n".join(f"- {s}" for s in para))
            else:
                blocks.append(" ".join(para))
        if not question and rng.random() < 0.05:
            blocks.append("**Update:** " + self.fill(rng, rng.choice(V.ANSWER_TEMPLATES), V.AREAS[slug]))
        return "\n\n".join(blocks)


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def to_html(source: str) -> str:
    """The tiny subset of Markdown :meth:`Text.post` writes, rendered the way the
    project's renderer would render it (``<p>``, ``<ul><li>``, ``<code>``, ``<strong>``)."""
    def inline(text: str) -> str:
        text = html.escape(text, quote=False)
        return _BOLD.sub(r"<strong>\1</strong>", _CODE.sub(r"<code>\1</code>", text))

    out = []
    for block in source.split("\n\n"):
        if block.startswith("- "):
            items = "".join(f"<li>{inline(line[2:])}</li>" for line in block.split("\n"))
            out.append(f"<ul>\n{items}\n</ul>")
        else:
            out.append(f"<p>{inline(block)}</p>")
    return "\n".join(out)


# -- the database -------------------------------------------------------------------

def default_url(threads: int, backend: str = "whoosh") -> str:
    if backend == "postgres":
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/forum_bench_{threads}"
    return f"sqlite:///{DATA / f'forum_{threads}.sqlite3'}"


def data_dir(url: str) -> Path:
    """Where the app keeps the Whoosh index for the database ``url``."""
    u = sa.engine.make_url(url)
    name = Path(u.database).stem if u.get_backend_name() == "sqlite" else f"pg_{u.database}"
    return DATA / f"data_{name}"


def display_url(url: str) -> str:
    """The URL as written in reports: SQLite files relative to the repository."""
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        try:
            return "sqlite:///" + str(Path(u.database).resolve().relative_to(BENCH.parent))
        except ValueError:
            return "sqlite:///" + Path(u.database).name
    return u.render_as_string(hide_password=True)


def recreate_database(url: str) -> None:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        path = Path(u.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{u.database}"')
    admin.dispose()


def make_app(url: str, backend: str = "whoosh"):
    from forum import create_app

    directory = data_dir(url)
    directory.mkdir(parents=True, exist_ok=True)
    return create_app({"DATABASE_URL": url, "DATA_DIR": str(directory), "SECRET_KEY": "bench",
                       "SEARCH_BACKEND": backend, "RATELIMIT_ENABLED": False})


@dataclass
class Counts:
    users: int = 0
    categories: int = 0
    tags: int = 0
    threads: int = 0
    posts: int = 0
    solved: int = 0
    words: int = 0
    body_chars: int = 0


def _tags(rng: random.Random) -> list[tuple[str, str]]:
    """About 300 (tag, area) pairs: each area's own words, then qualified ones."""
    seen: dict[str, str] = {}
    for slug, area in V.AREAS.items():
        for w in area["words"][:24]:
            name = re.sub(r"[^a-z0-9-]", "-", w.lower())[:25]
            seen.setdefault(name, slug)
    slugs = list(V.AREAS)
    while len(seen) < TAGS:
        slug = rng.choice(slugs)
        base = rng.choice(V.AREAS[slug]["words"][:30])
        name = re.sub(r"[^a-z0-9-]", "-", f"{base}-{rng.choice(V.TAG_QUALIFIERS)}")[:25]
        seen.setdefault(name, slug)
    return list(seen.items())


def generate(url: str, threads: int, seed: int = 1, *, log=print) -> Counts:
    """Create the schema and fill it; returns what was written."""
    import flask_migrate

    from forum.extensions import db
    from forum.models import Category, Post, PostState, Role, Tag, Thread, ThreadStatus, User, thread_tags

    recreate_database(url)
    app = make_app(url)
    counts = Counts()
    rng = random.Random(seed)
    text = Text(seed)
    with app.app_context():
        flask_migrate.upgrade()
        engine = db.engine
        started = time.perf_counter()
        created0 = END - SPAN - timedelta(days=30)

        users = [{"id": i, "username": f"user{i}", "username_key": f"user{i}", "email": f"user{i}@example.com",
                  "password_hash": "!", "display_name": "", "about": "", "role": Role.MEMBER, "reputation": 1,
                  "created_at": created0 + timedelta(minutes=i), "session_version": 1}
                 for i in range(1, USERS + 1)]
        for i in range(1, 6):
            users[i - 1]["role"] = Role.STAFF
        categories = [{"id": n, "slug": slug, "name": area["name"], "description": f"Questions about {area['name']}.",
                       "position": n, "thread_count": 0, "created_at": created0}
                      for n, (slug, area) in enumerate(V.AREAS.items(), start=1)]
        tag_list = _tags(rng)
        tags = [{"id": n, "name": name, "description": "", "thread_count": 0, "created_at": created0}
                for n, (name, _slug) in enumerate(tag_list, start=1)]
        tags_by_area: dict[str, list[int]] = {}
        for n, (_name, slug) in enumerate(tag_list, start=1):
            tags_by_area.setdefault(slug, []).append(n)
        with engine.begin() as conn:
            conn.execute(User.__table__.insert(), users)
            conn.execute(Category.__table__.insert(), categories)
            conn.execute(Tag.__table__.insert(), tags)
        counts.users, counts.categories, counts.tags = len(users), len(categories), len(tags)

        slugs = list(V.AREAS)
        area_cum = list(accumulate(AREA_SHARE))
        user_cum = list(accumulate(zipf_weights(USERS, 0.8, 20)))
        expert_cum = list(accumulate(zipf_weights(USERS, 1.1, 5)))
        category_count = [0] * (len(categories) + 1)
        tag_count = [0] * (len(tags) + 1)
        post_id = 0
        span = SPAN.total_seconds()

        def pick_user(cum: list[float]) -> int:
            return bisect(cum, rng.random() * cum[-1]) + 1

        for start in range(0, threads, CHUNK):
            t_rows, p_rows, tt_rows, fix = [], [], [], []
            for tid in range(start + 1, min(start + CHUNK, threads) + 1):
                area_i = bisect(area_cum, rng.random() * area_cum[-1])
                slug = slugs[area_i]
                local = text.tail[rng.randrange(len(text.tail))]
                # The forum grows: later months have more threads than earlier ones.
                created = END - SPAN + timedelta(seconds=span * ((tid - 1 + rng.random()) / threads) ** 0.8)
                author = pick_user(user_cum)
                n_answers = min(120, int(rng.gammavariate(1.3, 9 / 1.3)))
                q_score = max(-3, int(rng.paretovariate(1.6)) - 1 - (rng.random() < 0.06) * 3)
                post_id += 1
                qid = post_id
                q_words = int(min(600, max(12, rng.lognormvariate(math.log(60), 0.6))))
                source = text.post(rng, slug, q_words, question=True, local=local)
                p_rows.append({"id": qid, "thread_id": tid, "author_id": author, "is_question": True,
                               "body": source, "body_html": to_html(source), "score": q_score,
                               "state": PostState.VISIBLE, "created_at": created, "revision_count": 1})
                counts.words += q_words
                counts.body_chars += len(source)
                last_at, last_by = created, author
                answers: list[tuple[int, int]] = []
                moment = created
                for _ in range(n_answers):
                    post_id += 1
                    moment = moment + timedelta(minutes=rng.expovariate(1 / 240))
                    if moment > END:
                        moment = END - timedelta(seconds=rng.randint(1, 3600))
                    by = pick_user(expert_cum if rng.random() < 0.6 else user_cum)
                    a_score = max(-2, int(rng.paretovariate(1.8)) - 1 - (rng.random() < 0.05) * 2)
                    a_words = int(min(500, max(5, rng.lognormvariate(math.log(35), 0.7))))
                    source = text.post(rng, slug, a_words, question=False, local=local)
                    p_rows.append({"id": post_id, "thread_id": tid, "author_id": by, "is_question": False,
                                   "body": source, "body_html": to_html(source), "score": a_score,
                                   "state": PostState.VISIBLE, "created_at": moment, "revision_count": 1})
                    counts.words += a_words
                    counts.body_chars += len(source)
                    answers.append((post_id, a_score))
                    if moment >= last_at:
                        last_at, last_by = moment, by
                accepted = None
                if answers and rng.random() < 0.40 / 0.88:  # ~12% of threads have no answer
                    ranked = sorted(answers, key=lambda a: -a[1])
                    accepted = ranked[min(int(rng.expovariate(1.2)), len(ranked) - 1)][0]
                    counts.solved += 1
                t_rows.append({"id": tid, "title": text.title(rng, slug, local), "category_id": area_i + 1,
                               "author_id": author,
                               "status": ThreadStatus.SOLVED if accepted else ThreadStatus.OPEN,
                               "state": PostState.VISIBLE, "question_id": None, "accepted_post_id": None,
                               "score": q_score, "answer_count": n_answers, "created_at": created,
                               "last_activity_at": last_at, "last_poster_id": last_by, "locked": False,
                               "duplicate_of_id": None})
                fix.append({"tid": tid, "qid": qid, "aid": accepted})
                category_count[area_i + 1] += 1
                own = tags_by_area[slug]
                chosen = {own[min(int(rng.expovariate(0.15)), len(own) - 1)] for _ in range(rng.choice((1, 2, 2, 3, 4)))}
                if rng.random() < 0.1:
                    chosen.add(rng.randint(1, len(tags)))
                for tag_id in sorted(chosen):
                    tt_rows.append({"thread_id": tid, "tag_id": tag_id})
                    tag_count[tag_id] += 1
            with engine.begin() as conn:
                conn.execute(Thread.__table__.insert(), t_rows)
                conn.execute(Post.__table__.insert(), p_rows)
                conn.execute(thread_tags.insert(), tt_rows)
                t = Thread.__table__
                conn.execute(t.update().where(t.c.id == sa.bindparam("tid"))
                             .values(question_id=sa.bindparam("qid"), accepted_post_id=sa.bindparam("aid")), fix)
            counts.threads += len(t_rows)
            counts.posts += len(p_rows)
            done = counts.threads
            if done % (CHUNK * 5) == 0 or done == threads:
                elapsed = time.perf_counter() - started
                log(f"  generated {done:,} threads, {counts.posts:,} posts in {elapsed:.0f} s "
                    f"({counts.posts / elapsed:,.0f} posts/s)")

        with engine.begin() as conn:
            c, tg = Category.__table__, Tag.__table__
            conn.execute(c.update().where(c.c.id == sa.bindparam("cid")).values(thread_count=sa.bindparam("n")),
                         [{"cid": i, "n": n} for i, n in enumerate(category_count) if i])
            conn.execute(tg.update().where(tg.c.id == sa.bindparam("gid")).values(thread_count=sa.bindparam("n")),
                         [{"gid": i, "n": n} for i, n in enumerate(tag_count) if i])
            if engine.dialect.name == "postgresql":
                for table in ("users", "categories", "tags", "threads", "posts"):
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT max(id) FROM {table}))")
        db.session.remove()
        engine.dispose()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="", help="default: a SQLite file under bench/.data")
    args = parser.parse_args(argv)
    url = args.database_url or default_url(args.threads)
    print(f"Generating {args.threads:,} threads into {display_url(url)}")
    started = time.perf_counter()
    counts = generate(url, args.threads, args.seed)
    elapsed = time.perf_counter() - started
    print(f"Done in {elapsed:.0f} s: {counts}")


if __name__ == "__main__":
    os.environ.setdefault("FORUM_EMBEDDED_WORKER", "false")
    main()
