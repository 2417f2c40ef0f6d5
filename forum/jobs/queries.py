"""What the admin jobs page shows: counts by status and the jobs worth a look."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from .models import Job, JobStatus

#: Statuses in the order the page shows them: what needs a person first.
ORDER = (JobStatus.FAILED, JobStatus.PENDING, JobStatus.RUNNING, JobStatus.DONE)


def counts() -> dict[JobStatus, int]:
    """The number of jobs in each status, zero included, in :data:`ORDER`."""
    rows = dict(db.session.execute(sa.select(Job.status, sa.func.count()).group_by(Job.status)).all())
    return {status: rows.get(status, 0) for status in ORDER}


def failed(limit: int = 100) -> list[Job]:
    """Parked jobs, most recently failed first."""
    return list(db.session.execute(
        sa.select(Job).where(Job.status == JobStatus.FAILED)
        .order_by(Job.finished_at.desc(), Job.id.desc()).limit(limit)
    ).scalars())


def waiting(limit: int = 100) -> list[Job]:
    """Pending and running jobs, the next due first."""
    return list(db.session.execute(
        sa.select(Job).where(Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)))
        .order_by(Job.run_at, Job.id).limit(limit)
    ).scalars())


def recently_done(limit: int = 20) -> list[Job]:
    return list(db.session.execute(
        sa.select(Job).where(Job.status == JobStatus.DONE)
        .order_by(Job.finished_at.desc(), Job.id.desc()).limit(limit)
    ).scalars())


def get_job(job_id: int) -> Job | None:
    return db.session.get(Job, job_id)
