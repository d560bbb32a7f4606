"""Fixtures for the input-handling tests: the bundled reference scenario and a small queue file."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from testkit import SMALL_QUEUE

from models.loading import bundled_path


@pytest.fixture(scope="session")
def reference_text() -> str:
    """Text of the bundled mmc-reference scenario."""
    return bundled_path("mmc-reference").read_text(encoding="utf-8")


@pytest.fixture
def reference_data(reference_text: str) -> dict:
    """A fresh parsed copy of mmc-reference (tests may mutate it)."""
    return tomllib.loads(reference_text)


@pytest.fixture
def small_text() -> str:
    return SMALL_QUEUE


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[..., Path]:
    """Write TOML text to a file in the test's temporary folder and return its path."""
    counter = iter(range(1_000_000))

    def write(text: str, name: str | None = None) -> Path:
        path = tmp_path / (name or f"scenario-{next(counter)}.toml")
        path.write_text(text, encoding="utf-8")
        return path

    return write
