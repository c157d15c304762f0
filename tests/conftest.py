"""Shared fixtures: every test that touches the database gets its own SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from geo.store import FacilityStore, open_store


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite URL, also exported as $DATABASE_URL so the CLI and the app use it."""
    url = f"sqlite:///{tmp_path / 'carecircle.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[FacilityStore]:
    """A store filled with the shipped modelled sample as version 1."""
    s = open_store(db_url)
    yield s
    s.engine.dispose()
