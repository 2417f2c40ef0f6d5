"""The admin jobs page: what the outbox holds, why failed jobs failed, and replay.

Only people who may ``jobs.manage`` (admins) see it; anonymous visitors are sent to
log in, everyone else gets a 403.
"""
from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask_login import current_user

from ..errors import NotFound, require
from . import queries, worker
from .models import JobStatus

bp = Blueprint("jobs", __name__)


@bp.route("/admin/jobs")
def index():
    require(current_user, "jobs.manage")
    return render_template("jobs/index.html", counts=queries.counts(), failed=queries.failed(),
                           waiting=queries.waiting(), done=queries.recently_done())


@bp.route("/admin/jobs/<int:job_id>/replay", methods=["POST"])
def replay(job_id: int):
    require(current_user, "jobs.manage")
    job = queries.get_job(job_id)
    if job is None:
        raise NotFound()
    # Replaying a pending, running or finished job would run its side effect twice.
    if job.status != JobStatus.FAILED:
        flash(f"Job {job_id} is {job.status.value}; only failed jobs can be replayed.", "info")
    else:
        worker.replay(job_id)
        flash(f"Job {job_id} ({job.kind}) is queued again.", "success")
    return redirect(url_for("jobs.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
