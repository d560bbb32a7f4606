"""Fixtures of the drill tests: small drill specs (one library scenario each, so a test knows
what was drawn) and drills sealed from them with fixed entropy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from drill_specs import WIDE, spec_text
from typer.testing import CliRunner

from drills.seal import seal_drill
from drsim.cli import app


@pytest.fixture(scope="session")
def spec_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("specs")
    files = {}
    for name in ("tiny-flood", "tiny-plume"):
        path = folder / f"{name}-drill.toml"
        path.write_text(spec_text(name), encoding="utf-8")
        files[name] = path
    return files


@pytest.fixture(scope="session")
def sealed_flood(tmp_path_factory: pytest.TempPathFactory,
                 spec_files: dict[str, Path]) -> tuple[str, Path]:
    """A tiny-flood drill sealed once for the session (read-only users: copy it to change)."""
    return seal_drill(spec_files["tiny-flood"], tmp_path_factory.mktemp("sealed") / "flood",
                      entropy=11)


@pytest.fixture(scope="session")
def sealed_plume(tmp_path_factory: pytest.TempPathFactory,
                 spec_files: dict[str, Path]) -> tuple[str, Path]:
    return seal_drill(spec_files["tiny-plume"], tmp_path_factory.mktemp("sealed") / "plume",
                      entropy=12)


@pytest.fixture()
def flood_copy(sealed_flood: tuple[str, Path], tmp_path: Path) -> tuple[str, Path]:
    """A private copy of the sealed flood drill (for tests that change it)."""
    import shutil

    key, folder = sealed_flood
    target = tmp_path / "drill"
    shutil.copytree(folder, target)
    return key, target


@pytest.fixture(scope="session")
def invoke() -> Callable[..., Result]:
    """Run ``drsim ARGS...`` in this process through typer's test runner."""
    runner = CliRunner()

    def run(*args: object, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], env={**WIDE, **(env or {})})

    return run
