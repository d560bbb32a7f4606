"""The installed ``drsim`` entry point, run as a real process (exit codes and stderr as a shell
sees them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ENTRY_POINT = Path(sys.executable).with_name("drsim")
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}


def _drsim(*args: object, module: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "drsim"] if module else [str(ENTRY_POINT)]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", env=ENV, timeout=120, check=False)


@pytest.fixture(scope="module", autouse=True)
def _entry_point_installed() -> None:
    assert ENTRY_POINT.exists(), f"{ENTRY_POINT} missing: pip install -e '.[dev]'"


def test_bad_input_in_a_real_process(tmp_path: Path, small_text: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(small_text.replace("servers = 3", "servers = -1"), encoding="utf-8")
    out = tmp_path / "out"
    done = _drsim("run", path, "--out", out, "--no-progress", module=True)  # drsim/__main__.py
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"error: {path}:7: queue.servers: Input should be greater than or "
                           "equal to 1 (got -1)\n")
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_run_in_a_real_process(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _drsim("run", "mmc-reference", "--set", "horizon=1d", "--reps", "2", "--seed", "7",
                  "--out", out, "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "Mean wait in queue" in done.stdout
    assert "Mean wait, Erlang C (analytic)" in done.stdout
    assert len(pd.read_csv(out / "kpis.csv")) == 2
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["root_seed"] == "7"
    assert done.stderr == ""
