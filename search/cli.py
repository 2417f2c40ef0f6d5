"""``flask --app wsgi search reindex|check``: rebuild the index, find and repair drift."""
from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from forum.db import write_transaction
from forum.extensions import db
from forum.models import PostState, Thread

from . import documents, indexing

group = AppGroup("search", help="Search index commands.")


def _expected_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Thread)
                              .where(Thread.state == PostState.VISIBLE)).scalar_one()


@group.command("reindex")
@click.option("--if-missing", is_flag=True, help="Only when there is no usable index (first start).")
def reindex_command(if_missing: bool) -> None:
    """Rebuild the whole index from the database and swap it in atomically."""
    backend = indexing.backend()
    if if_missing and backend.healthy():
        return
    started = time.perf_counter()
    with click.progressbar(length=_expected_count(), label=f"Indexing ({backend.name})",
                           show_pos=True, show_percent=True) as bar:
        with write_transaction():
            count = indexing.rebuild(progress=bar.update)
    seconds = max(time.perf_counter() - started, 1e-6)
    click.echo(f"Indexed {count} documents in {seconds:.1f} s ({count / seconds:.0f} docs/s).")


def drift() -> tuple[list[str], list[str], list[str]]:
    """(missing, stale, extra): keys the index lacks, holds out of date, or should not hold."""
    indexed = indexing.backend().digests()
    missing: list[str] = []
    stale: list[str] = []
    expected: set[str] = set()
    for keys in documents.every_key():
        docs, _gone = documents.build(keys)
        for doc in docs:
            expected.add(doc.key)
            if doc.key not in indexed:
                missing.append(doc.key)
            elif indexed[doc.key] != doc.digest:
                stale.append(doc.key)
    extra = sorted(set(indexed) - expected)
    return missing, stale, extra


@group.command("check")
@click.option("--repair/--no-repair", default=True, show_default=True,
              help="Fix what is found: index the missing and stale documents, drop the extra ones.")
def check_command(repair: bool) -> None:
    """Compare the index with the database; exit 1 if they differ and were not repaired."""
    backend = indexing.backend()
    if not backend.healthy():
        click.echo("The index is missing or damaged; run `flask --app wsgi search reindex`.")
        raise SystemExit(1)
    missing, stale, extra = drift()
    click.echo(f"{len(missing)} missing, {len(stale)} stale, {len(extra)} that should not be there.")
    for label, keys in (("missing", missing), ("stale", stale), ("extra", extra)):
        if keys:
            click.echo(f"  {label}: {', '.join(keys[:20])}{' …' if len(keys) > 20 else ''}")
    if not (missing or stale or extra):
        return
    if not repair:
        raise SystemExit(1)
    keys = missing + stale + extra
    for start in range(0, len(keys), 500):
        with write_transaction():
            backend.apply(keys[start:start + 500], documents.build)
    click.echo(f"Repaired {len(keys)} documents.")


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
