"""Margin test fixtures; the helpers they build on live in ``margin_support``."""

from __future__ import annotations

from pathlib import Path

import pytest
from margin_support import FakeMarginClient

from alp_tui.services.journal import Journal


@pytest.fixture
def fake_client() -> FakeMarginClient:
    return FakeMarginClient()


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()
