"""``flask --app wsgi worker``: run jobs until stopped, or ``--drain`` what is due."""
from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import worker


@click.command("worker")
@click.option("--drain", is_flag=True, help="Run every due job, then exit.")
@click.option("--idle", default=1.0, show_default=True, help="Seconds to sleep when no job is due.")
@with_appcontext
def worker_command(drain: bool, idle: float) -> None:
    """Run the job worker."""
    if drain:
        n = worker.drain()
        click.echo(f"ran {n} job{'s' if n != 1 else ''}")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"worker {worker.worker_name()} started")
    worker.loop(current_app._get_current_object(), stop=stop, idle=idle)
    click.echo("worker stopped")


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
