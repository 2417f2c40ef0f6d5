"""Moderation tests run with the privileges in ``helpers.PRIVILEGES``."""
from __future__ import annotations

import pytest

from .helpers import PRIVILEGES


@pytest.fixture
def app(make_app):
    return make_app(PRIVILEGES=dict(PRIVILEGES))
