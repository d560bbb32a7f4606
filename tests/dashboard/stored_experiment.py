"""A stored tiny experiment for the dashboard tests (made the way `drsim experiment run` makes
one)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from experiments.executors import make_executor
from experiments.run import finish_manifest, manifest_for, run_experiment
from experiments.spec import load_spec
from experiments.store import ResultStore


def _tiny_spec_text(replications: int) -> str:
    """The experiment tests' tiny spec (tests/experiments/tiny_spec.py), not a copy of it."""
    path = Path(__file__).resolve().parents[1] / "experiments" / "tiny_spec.py"
    module_spec = importlib.util.spec_from_file_location("tiny_spec_for_dashboard", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.tiny_spec(replications=replications)


def store_tiny_experiment(folder: Path, replications: int = 4) -> Path:
    """Run the tiny experiment (tiny-flood, two options) into ``folder`` as the CLI would."""
    folder.mkdir(parents=True, exist_ok=True)
    spec_path = folder.parent / f"{folder.name}-spec.toml"
    spec_path.write_text(_tiny_spec_text(replications), encoding="utf-8")
    loaded = load_spec(spec_path)
    store = ResultStore(folder)
    with make_executor("serial") as pool:
        store.write_manifest({**manifest_for(loaded, pool.name), "status": "running"})
        summary = run_experiment(loaded, store, pool)
    finish_manifest(loaded, store, pool.name, summary)
    return folder
