"""Fixtures for the command-line tests: an in-process runner and small scenario files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from testkit import SMALL_QUEUE
from typer.testing import CliRunner

from drsim.cli import app

# Wide enough that rich never wraps a KPI label in the table.
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture(scope="session")
def invoke() -> Callable[..., Result]:
    """Run ``drsim ARGS...`` in this process through typer's test runner."""
    runner = CliRunner()

    def run(*args: object) -> Result:
        return runner.invoke(app, [str(a) for a in args], env=WIDE)

    return run


@pytest.fixture
def small_text() -> str:
    return SMALL_QUEUE


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small-queue.toml"
    path.write_text(SMALL_QUEUE, encoding="utf-8")
    return path


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
