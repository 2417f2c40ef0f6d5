"""Search benchmark: reindex throughput, query and suggest latency, index size.

    .venv/bin/python bench/search_bench.py --threads 2000                  # smoke, both backends
    .venv/bin/python bench/search_bench.py --threads 100000 --backend both  # the full run

For each backend: generate the data (``bench/generate.py``; ``--skip-generate`` reuses
it), rebuild the index exactly as ``flask search reindex`` does
(``search.indexing.rebuild`` inside ``forum.db.write_transaction`` in an app context),
measure the index's size, then time ``search.queries.search`` and
``search.queries.suggest`` (the full path: backend, hydration from the database,
snippets, the search log) over a few hundred realistic inputs, and the same steps one
by one to see where the time goes. Prints a Markdown report and writes it into
``bench/RESULTS.md`` (between markers, so the analysis around it stays).

Whoosh runs on SQLite (the default deployment) unless ``--database-url`` names
another database; the PostgreSQL backend needs PostgreSQL and defaults to
``postgresql+psycopg://postgres@127.0.0.1:5432/forum_bench_<threads>``, a database
this script drops and creates when it generates. It is a benchmark, not a test: it
asserts nothing and takes a long time at full size.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import platform
import re
import resource
import shlex
import sqlite3
import sys
import time
from pathlib import Path

os.environ.setdefault("FORUM_EMBEDDED_WORKER", "false")

import sqlalchemy as sa  # noqa: E402

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
from workload import QueryMaker  # noqa: E402

RESULTS = BENCH / "RESULTS.md"
TARGETS = {"suggest": 50.0, "search": 100.0}


# -- small helpers ------------------------------------------------------------------

def pct(values: list[float], p: float) -> float:
    """Percentile with linear interpolation (``p`` in 0..100)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def stats(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99),
            "max": max(ms) if ms else float("nan"), "mean": sum(ms) / len(ms) if ms else float("nan")}


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def dir_size(path: str | Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(root, f))
    return total


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _schedstat(path: str) -> tuple[int, int]:
    """(ns on a CPU, ns waiting for one) of a task, from ``/proc/.../schedstat``."""
    try:
        run, wait, _ = Path(path).read_text().split()
        return int(run), int(wait)
    except (OSError, ValueError):
        return 0, 0


class Clock:
    """CPU time of this process and of the database server's backend process for our
    connection (when it runs on this machine), and the time both spent waiting for a
    CPU. On a shared machine, CPU time shows the work itself; wall time adds whatever
    the neighbours cost."""

    def __init__(self, db_pid: int | None = None) -> None:
        self.db_pid = db_pid

    def read(self) -> tuple[int, int, int, int]:
        own = time.process_time_ns()
        _run, own_wait = _schedstat("/proc/thread-self/schedstat")
        db_run, db_wait = _schedstat(f"/proc/{self.db_pid}/schedstat") if self.db_pid else (0, 0)
        return own, own_wait, db_run, db_wait

    @staticmethod
    def delta(a, b) -> dict:
        d = [(y - x) / 1e6 for x, y in zip(a, b)]
        return {"app_cpu": d[0], "app_wait": d[1], "db_cpu": d[2], "db_wait": d[3]}


def backend_pid(db) -> int | None:
    """The PostgreSQL backend process of the session's connection, if it is local."""
    if db.engine.dialect.name != "postgresql":
        return None
    pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    return pid if os.path.exists(f"/proc/{pid}/schedstat") else None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return human_bytes(int(line.split()[1]) * 1024)
    except OSError:
        pass
    return "unknown"


def postgres_info(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
            names = ("shared_buffers", "work_mem", "effective_cache_size", "jit", "autovacuum",
                     "max_parallel_workers_per_gather")
            settings = {n: conn.exec_driver_sql(f"SHOW {n}").scalar() for n in names}
        return {"version": version, "settings": settings}
    finally:
        engine.dispose()


def vacuum_analyze(url: str, table: str | None = None) -> float:
    """``VACUUM ANALYZE`` (autovacuum may be off): statistics for the planner and a
    flushed GIN pending list, as a running server's autovacuum would leave them."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.exec_driver_sql(f"VACUUM ANALYZE {table}" if table else "VACUUM ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


# -- one backend ----------------------------------------------------------------------

def counts(db) -> dict:
    one = lambda sql: db.session.execute(sa.text(sql)).scalar_one()  # noqa: E731
    return {"users": one("SELECT count(*) FROM users"), "threads": one("SELECT count(*) FROM threads"),
            "posts": one("SELECT count(*) FROM posts"), "solved": one(
                "SELECT count(*) FROM threads WHERE accepted_post_id IS NOT NULL"),
            "tags": one("SELECT count(*) FROM tags"),
            "text_mib": one("SELECT sum(length(body)) FROM posts") / 2**20}


def reindex(app, log) -> dict:
    """``flask search reindex``'s path, timed; document building timed on its own."""
    from forum.db import write_transaction
    from search import documents, indexing

    build_seconds = 0.0
    original = documents.build

    def timed_build(keys):
        nonlocal build_seconds
        t = time.perf_counter()
        try:
            return original(keys)
        finally:
            build_seconds += time.perf_counter() - t

    with app.app_context():
        from forum.extensions import db
        expected = db.session.execute(sa.text("SELECT count(*) FROM threads WHERE state = 'visible'")).scalar_one()
        done = 0
        next_report = 0.1
        db.session.commit()
        started = time.perf_counter()
        last_batch_at = started

        def progress(n: int) -> None:
            nonlocal done, next_report, last_batch_at
            done += n
            last_batch_at = time.perf_counter()
            if expected and done / expected >= next_report:
                elapsed = last_batch_at - started
                log(f"    indexed {done:,}/{expected:,} in {elapsed:.0f} s ({done / elapsed:,.0f} docs/s)")
                next_report += 0.1

        documents.build = timed_build
        try:
            with write_transaction():
                clock = Clock(backend_pid(db))
                c0 = clock.read()
                count = indexing.rebuild(progress=progress)
                returned = time.perf_counter()
            c1 = clock.read()
        finally:
            documents.build = original
        ended = time.perf_counter()
        total = ended - started
    cpu = {k: v / 1000 for k, v in Clock.delta(c0, c1).items()}
    return {"docs": count, "seconds": total, "docs_per_s": count / total, "build_s": build_seconds,
            "after_last_batch_s": returned - last_batch_at, "commit_s": ended - returned,
            "app_cpu_s": cpu["app_cpu"], "db_cpu_s": cpu["db_cpu"], "wait_s": cpu["app_wait"] + cpu["db_wait"]}


def index_size(app, backend: str, url: str) -> dict:
    with app.app_context():
        from forum.extensions import db
        if backend == "whoosh":
            from search.indexing import backend as b
            live = os.path.realpath(b().current)
            from whoosh import index as wi
            ix = wi.open_dir(live)
            with ix.reader() as r:
                segments = len(ix._segments())
                docs = r.doc_count()
            size = dir_size(live)
            return {"index_bytes": size, "segments": segments, "docs": docs}
        total = db.session.execute(sa.text("SELECT pg_total_relation_size('search_documents')")).scalar_one()
        gin = db.session.execute(sa.text("SELECT pg_relation_size('ix_search_documents_document')")).scalar_one()
        table = db.session.execute(sa.text("SELECT pg_table_size('search_documents')")).scalar_one()
        return {"index_bytes": total, "gin_bytes": gin, "table_bytes": table}


def database_size(url: str) -> int:
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "sqlite":
        return sum(os.path.getsize(u.database + s) for s in ("", "-wal") if os.path.exists(u.database + s))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return size


def cpu_stats(samples: list[dict]) -> dict:
    return {"cpu": stats([c["app_cpu"] + c["db_cpu"] for c in samples]),
            "app_cpu": stats([c["app_cpu"] for c in samples]),
            "db_cpu": stats([c["db_cpu"] for c in samples]),
            "wait": stats([c["app_wait"] + c["db_wait"] for c in samples])}


def latency(app, search_set, suggest_set, warmup_search, warmup_suggest, step_queries, log) -> dict:
    """Full-path timings first (the headline), then each step on its own."""
    from flask_login import AnonymousUserMixin

    from search import queries
    from search.backends.base import SearchQuery, clean_text
    from search.indexing import backend

    viewer = AnonymousUserMixin()
    limit = app.config["SUGGEST_LIMIT"]

    cpu: list[dict] = []
    with app.test_request_context("/search"):
        from forum.extensions import db
        clock = Clock(backend_pid(db))

    def timed(fn):
        with app.test_request_context("/search"):
            c = clock.read()
            t = time.perf_counter()
            out = fn()
            ms = (time.perf_counter() - t) * 1000
            cpu.append(Clock.delta(c, clock.read()))
            return ms, out

    # The first query opens the index (Whoosh) or the connection pool: timed apart.
    first_ms, _ = timed(lambda: queries.search(SearchQuery(text=search_set[0][1]), viewer))
    for _kind, text in warmup_search:
        timed(lambda: queries.search(SearchQuery(text=text), viewer))
    for _kind, text in warmup_suggest:
        timed(lambda: queries.suggest(text, viewer))

    out: dict = {"first_query_ms": first_ms, "search": {}, "suggest": {}}
    cpu.clear()
    full, by_kind, totals, zero, corrected = [], {}, [], 0, 0
    for kind, text in search_set:
        ms, page = timed(lambda: queries.search(SearchQuery(text=text), viewer))
        full.append(ms)
        by_kind.setdefault(kind, []).append(ms)
        totals.append(page.total)
        zero += page.total == 0
        corrected += page.corrected is not None
    log(f"    search (full path): p50 {pct(full, 50):.1f} ms, p95 {pct(full, 95):.1f} ms")
    search_cpu = list(cpu)
    cpu.clear()
    sug, sug_kind, sug_found = [], {}, []
    for kind, text in suggest_set:
        ms, (results, _log_id) = timed(lambda: queries.suggest(text, viewer))
        sug.append(ms)
        sug_kind.setdefault(kind, []).append(ms)
        sug_found.append(len(results))
    log(f"    suggest (full path): p50 {pct(sug, 50):.1f} ms, p95 {pct(sug, 95):.1f} ms")
    suggest_cpu = list(cpu)

    # Step by step, the way queries.search does it.
    steps = {"backend": [], "hydrate": [], "snippets": [], "log": []}
    for _kind, text in search_set[:step_queries]:
        with app.test_request_context("/search"):
            q = SearchQuery(text=text)
            t0 = time.perf_counter()
            hits = backend().search(q)
            t1 = time.perf_counter()
            found = queries.hydrate(hits.keys, viewer)
            t2 = time.perf_counter()
            backend().snippets({k: tx for k, _kd, _it, tx in found}, q, hits.terms)
            t3 = time.perf_counter()
            queries.log("search", q.text, hits.total)
            t4 = time.perf_counter()
        for name, a, b in (("backend", t0, t1), ("hydrate", t1, t2), ("snippets", t2, t3), ("log", t3, t4)):
            steps[name].append((b - a) * 1000)
    s_steps = {"backend": [], "hydrate": [], "log": []}
    for _kind, text in suggest_set[:step_queries]:
        with app.test_request_context("/search"):
            cleaned = clean_text(text)
            t0 = time.perf_counter()
            keys = backend().suggest(cleaned, limit * 2)
            t1 = time.perf_counter()
            queries.hydrate(keys, viewer)
            t2 = time.perf_counter()
            queries.log("suggest", cleaned, len(keys))
            t3 = time.perf_counter()
        for name, a, b in (("backend", t0, t1), ("hydrate", t1, t2), ("log", t2, t3)):
            s_steps[name].append((b - a) * 1000)

    with app.test_request_context("/search"):
        from forum.extensions import db
        same_connection = backend_pid(db) == clock.db_pid
    out["same_db_connection"] = same_connection
    out["search"] = {"full": stats(full), **cpu_stats(search_cpu), "by_kind": {k: stats(v) for k, v in by_kind.items()},
                     "steps": {k: stats(v) for k, v in steps.items()},
                     "mean_total_hits": sum(totals) / len(totals), "zero_results": zero, "corrected": corrected}
    out["suggest"] = {"full": stats(sug), **cpu_stats(suggest_cpu), "by_kind": {k: stats(v) for k, v in sug_kind.items()},
                      "steps": {k: stats(v) for k, v in s_steps.items()},
                      "mean_results": sum(sug_found) / len(sug_found)}
    return out


def run_backend(backend: str, url: str, args, log) -> dict:
    result: dict = {"backend": backend, "database": generate.display_url(url), "threads_requested": args.threads}
    is_pg = sa.engine.make_url(url).get_backend_name() == "postgresql"
    previous = generate.DATA / f"results_{backend}_{args.threads}.json"
    if args.skip_reindex:
        if not previous.exists():
            raise SystemExit(f"--skip-reindex: no earlier run for {backend} at {args.threads} threads")
        old = json.loads(previous.read_text())
        result.update({k: old[k] for k in ("generate_s", "generated_words", "vacuum_after_generate_s", "reindex",
                                           "rss_after_reindex_mib", "vacuum_after_reindex_s") if k in old})
        result["reindex_from"] = old.get("finished", "an earlier run")
        app = generate.make_app(url, backend)
        with app.app_context():
            from forum.extensions import db
            result["data"] = counts(db)
            db.session.remove()
        log(f"  {backend}: reusing the index of {result['reindex_from']}")
        return measure(app, backend, url, args, result, log)
    if args.skip_generate:
        log(f"  reusing {generate.display_url(url)}")
    else:
        log(f"  generating {args.threads:,} threads into {generate.display_url(url)}")
        t = time.perf_counter()
        c = generate.generate(url, args.threads, args.seed, log=log)
        result["generate_s"] = time.perf_counter() - t
        result["generated_words"] = c.words
        if is_pg:
            result["vacuum_after_generate_s"] = vacuum_analyze(url)
    app = generate.make_app(url, backend)
    with app.app_context():
        from forum.extensions import db
        result["data"] = counts(db)
        db.session.remove()
    log(f"  {backend}: reindexing {result['data']['threads']:,} threads ({result['data']['posts']:,} posts)")
    result["reindex"] = reindex(app, log)
    r = result["reindex"]
    log(f"    {r['docs']:,} documents in {r['seconds']:.1f} s = {r['docs_per_s']:,.0f} docs/s "
        f"(building documents {r['build_s']:.1f} s)")
    result["rss_after_reindex_mib"] = peak_rss_mib()
    if is_pg:
        result["vacuum_after_reindex_s"] = vacuum_analyze(url, "search_documents")
    return measure(app, backend, url, args, result, log)


def measure(app, backend: str, url: str, args, result: dict, log) -> dict:
    result["size"] = index_size(app, backend, url)
    result["database_bytes"] = database_size(url)
    log(f"    index size {human_bytes(result['size']['index_bytes'])}, "
        f"database {human_bytes(result['database_bytes'])}")

    text = generate.Text(args.seed)
    search_set = QueryMaker(text, args.seed + 100).search_set(args.queries)
    suggest_set = QueryMaker(text, args.seed + 200).suggest_set(args.queries)
    warm = QueryMaker(text, args.seed + 300)
    result["latency"] = latency(app, search_set, suggest_set, warm.search_set(args.warmup), warm.suggest_set(args.warmup),
                                args.step_queries, log)
    result["rss_end_mib"] = peak_rss_mib()
    with app.app_context():
        from forum.extensions import db
        db.session.remove()
        db.engine.dispose()
    result["finished"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return result


# -- the report -------------------------------------------------------------------------

def source_commit() -> str:
    """The commit of the code under test (an exported tree carries it in ``.bench-commit``)."""
    marker = BENCH.parent / ".bench-commit"
    if marker.exists():
        return marker.read_text().strip()[:12]
    import subprocess
    try:
        commit = subprocess.run(["git", "-C", str(BENCH.parent), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(BENCH.parent), "status", "--porcelain", "--", "forum", "search",
                                "migrations", "moderation", "reputation"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine(urls: list[str]) -> dict:
    info = {"commit": source_commit(),
            "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu": cpu_model(), "memory": mem_total(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "os": f"{platform.system()} {platform.release()}"}
    try:
        import importlib.metadata as md
        info["whoosh"] = md.version("whoosh")
        info["sqlalchemy"] = md.version("sqlalchemy")
    except Exception:  # pragma: no cover
        pass
    for url in urls:
        if url.startswith("postgresql"):
            with contextlib.suppress(Exception):
                info["postgres"] = postgres_info(url)
    return info


def f1(x: float) -> str:
    return f"{x:.1f}"


def report(results: list[dict]) -> str:
    info = dict(results[0]["machine"])
    for r in results:
        if r["machine"].get("postgres"):
            info.setdefault("postgres", r["machine"]["postgres"])
    lines = []
    for r in results:
        m = r["machine"]
        lines.append(f"- {r['backend']}: `{r['command']}`, finished {r.get('finished', '?')}, commit {m['commit']}, "
                     f"load average (1/5/15 min) {m['load_start']} at the start, {m['load_end']} at the end")
    pg = info.get("postgres")
    lines += [f"- Machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM, {info['os']}",
              f"- Python {info['python']}, SQLite {info['sqlite']}, Whoosh {info.get('whoosh', '?')}, "
              f"SQLAlchemy {info.get('sqlalchemy', '?')}"]
    if pg:
        s = pg["settings"]
        lines.append(f"- PostgreSQL {pg['version']} (shared_buffers {s['shared_buffers']}, work_mem {s['work_mem']}, "
                     f"jit {s['jit']}, autovacuum {s['autovacuum']})")
    lines.append("")
    lines += ["| | " + " | ".join(r["backend"] for r in results) + " |",
              "|---|" + "---:|" * len(results)]

    def row(label, fn):
        cells = []
        for r in results:
            try:
                cells.append(fn(r))
            except (KeyError, TypeError):
                cells.append("–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("database", lambda r: r["database"].split("/")[-1] if r["database"].startswith("sqlite")
        else "PostgreSQL " + r["database"].rsplit("/", 1)[-1])
    row("threads / posts", lambda r: f"{r['data']['threads']:,} / {r['data']['posts']:,}")
    row("post text (Markdown)", lambda r: f"{r['data']['text_mib']:,.0f} MiB")
    row("generate (bulk inserts)", lambda r: f"{r['generate_s']:.0f} s")
    row("reindex measured", lambda r: f"earlier run ({r['reindex_from']})" if "reindex_from" in r else "this run")
    row("**reindex**", lambda r: f"**{r['reindex']['seconds']:.0f} s = {r['reindex']['docs_per_s']:,.0f} docs/s**")
    row("… of which building documents", lambda r: f"{r['reindex']['build_s']:.0f} s")
    row("… of which backend writes", lambda r: f"{r['reindex']['seconds'] - r['reindex']['build_s']:.0f} s "
        f"(final commit/merge {r['reindex']['after_last_batch_s']:.0f} s)")
    row("reindex CPU time: app / database session",
        lambda r: f"{r['reindex']['app_cpu_s']:.0f} s / {r['reindex']['db_cpu_s']:.0f} s "
        f"(waiting for a CPU {r['reindex']['wait_s']:.0f} s)")
    row("VACUUM ANALYZE after reindex", lambda r: f"{r['vacuum_after_reindex_s']:.0f} s")
    row("peak RSS of the process: reindex / end of queries",
        lambda r: f"{r['rss_after_reindex_mib']:,.0f} / {r['rss_end_mib']:,.0f} MiB")
    row("**index size**", lambda r: f"**{human_bytes(r['size']['index_bytes'])}**"
        + (f" (GIN {human_bytes(r['size']['gin_bytes'])})" if "gin_bytes" in r["size"] else
           f" ({r['size']['segments']} segment(s))"))
    row("database size", lambda r: human_bytes(r["database_bytes"]))
    row("first query after reindex", lambda r: f"{r['latency']['first_query_ms']:.0f} ms")
    for what in ("search", "suggest"):
        target = TARGETS[what]
        for p in ("p50", "p95", "p99", "max"):
            label = f"**{what} {p}** (target < {target:.0f} ms)" if p == "p95" else f"{what} {p}"

            def cell(r, what=what, p=p, target=target):
                v = r["latency"][what]["full"][p]
                mark = (" ✅" if v < target else " ❌") if p == "p95" else ""
                return f"**{v:.1f} ms**{mark}" if p == "p95" else f"{v:.1f} ms"
            row(label, cell)
        row(f"{what} CPU time, app + database session, p50 / p95",
            lambda r, what=what: f"{f1(r['latency'][what]['cpu']['p50'])} / {f1(r['latency'][what]['cpu']['p95'])} ms"
            f" (db {f1(r['latency'][what]['db_cpu']['p50'])} / {f1(r['latency'][what]['db_cpu']['p95'])})")
        row(f"{what} waiting for a CPU p50 / p95",
            lambda r, what=what: f"{f1(r['latency'][what]['wait']['p50'])} / {f1(r['latency'][what]['wait']['p95'])} ms")
        for step in ("backend", "hydrate", "snippets", "log"):
            row(f"… {what} step `{step}` p50 / p95",
                lambda r, what=what, step=step: f"{f1(r['latency'][what]['steps'][step]['p50'])} / "
                f"{f1(r['latency'][what]['steps'][step]['p95'])} ms")
    lines.append("")
    n_queries = results[0]["latency"]["search"]["full"]["n"]
    lines.append(f"Search p50 / p95 by kind of query ({n_queries} queries; mix "
                 "short 25 %, question 30 %, rare 15 %, typo 10 %, long 20 %):")
    lines.append("")
    kinds = ["short", "question", "rare", "typo", "long"]
    lines += ["| kind | " + " | ".join(r["backend"] for r in results) + " |", "|---|" + "---:|" * len(results)]
    for k in kinds:
        cells = []
        for r in results:
            s = r["latency"]["search"]["by_kind"].get(k)
            cells.append(f"{s['p50']:.1f} / {s['p95']:.1f} ms (n={s['n']})" if s else "–")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Suggest p50 / p95 by kind of input:")
    lines.append("")
    lines += ["| kind | " + " | ".join(r["backend"] for r in results) + " |", "|---|" + "---:|" * len(results)]
    for k in ("typing", "title", "long", "typo"):
        cells = []
        for r in results:
            s = r["latency"]["suggest"]["by_kind"].get(k)
            cells.append(f"{s['p50']:.1f} / {s['p95']:.1f} ms (n={s['n']})" if s else "–")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines.append("")
    for r in results:
        lat = r["latency"]
        lines.append(f"- {r['backend']}: mean total hits per search {lat['search']['mean_total_hits']:,.0f}, "
                     f"{lat['search']['zero_results']} searches with no result, {lat['search']['corrected']} "
                     f"corrected; suggest returned {lat['suggest']['mean_results']:.1f} threads on average")
    return "\n".join(lines) + "\n"


def write_results(block: str, key: str) -> None:
    begin, end = f"<!-- results:{key}:begin -->", f"<!-- results:{key}:end -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Search benchmark results\n\n"
    new = f"{begin}\n{block}{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: new, text)
    else:
        text = text.rstrip("\n") + f"\n\n## Generated: {key}\n\n{new}\n"
    RESULTS.write_text(text)


def _run_child(backend: str, url: str, args, command: str) -> None:
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    result = run_backend(backend, url, args, lambda msg: print(msg, flush=True))
    result["command"] = command
    result["machine"] = machine([url])
    result["machine"]["load_start"] = load_start
    result["machine"]["load_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    generate.DATA.mkdir(parents=True, exist_ok=True)
    (generate.DATA / f"results_{backend}_{args.threads}.json").write_text(json.dumps(result, indent=2, default=str))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=100_000)
    parser.add_argument("--backend", choices=("whoosh", "postgres", "both"), default="both")
    parser.add_argument("--database-url", default="",
                        help="one database for the chosen backend(s); default: SQLite for Whoosh, "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/forum_bench_<threads> for PostgreSQL")
    parser.add_argument("--queries", type=int, default=300, help="measured searches and as many suggestions")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured searches and suggestions first")
    parser.add_argument("--step-queries", type=int, default=None,
                        help="how many of the queries to time step by step (default: all)")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report from the saved results of earlier runs at this size")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the data from an earlier run")
    parser.add_argument("--skip-reindex", action="store_true",
                        help="reuse the data and the index of an earlier run; measure latency only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print the report, leave RESULTS.md alone")
    parser.add_argument("--results-key", default="", help="name of the RESULTS.md section (default: from the size)")
    args = parser.parse_args(argv)
    if args.step_queries is None:
        args.step_queries = args.queries

    backends = ["whoosh", "postgres"] if args.backend == "both" else [args.backend]
    plan = []
    for b in backends:
        url = args.database_url or generate.default_url(args.threads, b)
        if b == "postgres" and not url.startswith("postgresql"):
            parser.error("the postgres backend needs a PostgreSQL --database-url")
        plan.append((b, url))
    # One database for both backends: generate it once.
    shared = len(plan) == 2 and plan[0][1] == plan[1][1]

    def log(msg: str) -> None:
        print(msg, flush=True)

    command = ".venv/bin/python bench/search_bench.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    results = []
    for i, (b, url) in enumerate(plan):
        if args.report_only:
            results.append(json.loads((generate.DATA / f"results_{b}_{args.threads}.json").read_text()))
            continue
        log(f"== {b} on {generate.display_url(url)}")
        if shared and i == 1:
            args_i = argparse.Namespace(**{**vars(args), "skip_generate": True})
        else:
            args_i = args
        # Each backend in a process of its own: a clean heap and its own peak RSS.
        child = multiprocessing.get_context("fork").Process(target=_run_child, args=(b, url, args_i, command))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"the {b} run failed (exit code {child.exitcode})")
        results.append(json.loads((generate.DATA / f"results_{b}_{args.threads}.json").read_text()))
    block = report(results)
    print()
    print(block)
    if not args.no_write:
        key = args.results_key or f"{args.threads}-threads-{args.backend}"
        write_results(block, key)
        print(f"Written to bench/RESULTS.md (section {key}).")


if __name__ == "__main__":
    main()
