"""Search tests run on every backend this machine has: Whoosh always, PostgreSQL's
full-text search when ``TEST_DATABASE_URL`` is set."""
from __future__ import annotations

import pytest

from forum.jobs import worker
from tests.conftest import PG_URL

BACKENDS = ["whoosh", "postgres"] if PG_URL else ["whoosh"]


@pytest.fixture(params=BACKENDS)
def backend_name(request):
    return request.param


@pytest.fixture
def app(make_app, backend_name):
    return make_app(SEARCH_BACKEND=backend_name, RATELIMIT_ENABLED=False)


def index_now() -> None:
    """Run the index jobs as the worker would (the first batch may find no index and
    queue a rebuild, which the second pass runs). PostgreSQL needs nothing: its
    documents were written with each change."""
    worker.drain()
    worker.drain()
