"""Run an experiment: every (option, replication) pair, in chunks, on an executor, into a store.

Replication k of every option gets the same uncertainty values (one design table) and the same
random streams (``sim.Streams(root_seed, k)``): common random numbers, so differences between
options are paired.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from experiments.design import INPUT_PREFIX, draws
from experiments.executors import Executor
from experiments.spec import LoadedSpec
from experiments.store import ResultStore
from models.catalog import build
from models.levers import apply_levers
from models.loading import with_overrides
from models.scenario import ScenarioBase
from sim.config import canonical_hash, canonical_json
from sim.provenance import provenance
from sim.runner import run_replication

__all__ = ["option_scenario", "run_chunk", "run_experiment", "plan_tasks", "RunSummary",
           "FolderError", "check_folder", "finish_manifest"]


def option_scenario(base: ScenarioBase, drawn: dict[str, Any], overrides: dict[str, Any],
                    levers: dict[str, Any] | None = None) -> ScenarioBase:
    """``base`` with one replication's uncertainty values ``drawn``, then an option's ``levers``
    (:func:`models.levers.apply_levers`), then its ``overrides`` (dotted paths)."""
    if not levers:
        return with_overrides(base, {**drawn, **overrides})
    return with_overrides(apply_levers(with_overrides(base, drawn), levers), overrides)


def run_chunk(base: ScenarioBase, option: str, option_index: int, overrides: dict[str, Any],
              inputs: list[dict[str, Any]], root_seed: int,
              levers: dict[str, Any] | None = None) -> pd.DataFrame:
    """Run the replications described by ``inputs`` (each: replication and ``in.<path>``
    values) for one option; a pure function of its arguments, run by any executor."""
    rows = []
    for row in inputs:
        k = int(row["replication"])
        drawn = {key[len(INPUT_PREFIX):]: value for key, value in row.items()
                 if key.startswith(INPUT_PREFIX)}
        scenario = option_scenario(base, drawn, overrides, levers)
        result = run_replication(build, scenario, k, root_seed, scenario.horizon,
                                 report_every=scenario.report_every)
        rows.append({"option": option, "option_index": option_index, "replication": k,
                     **{INPUT_PREFIX + p: v for p, v in drawn.items()}, **result.kpis,
                     "wall_time_s": result.wall_time_s, "events": result.events})
    return pd.DataFrame(rows)


def plan_tasks(loaded: LoadedSpec, done: set[tuple[str, int]]) -> list[tuple]:
    """Chunks of replications still to run, as argument tuples for :func:`run_chunk`."""
    spec = loaded.spec
    table = draws(spec).to_dict("records")
    tasks = []
    for index, option in enumerate(spec.options):
        todo = [row for row in table if (option.name, int(row["replication"])) not in done]
        for start in range(0, len(todo), spec.chunk_size):
            chunk = todo[start: start + spec.chunk_size]
            tasks.append((loaded.base, option.name, index, dict(option.overrides), chunk,
                          spec.root_seed, dict(option.levers)))
    return tasks


@dataclass
class RunSummary:
    total: int
    skipped: int
    ran: int
    wall_time_s: float


def manifest_for(loaded: LoadedSpec, executor: str) -> dict[str, Any]:
    spec = loaded.spec
    return {
        "kind": "drsim experiment",
        "experiment": spec.name,
        "spec_source": loaded.source,
        "spec": spec.model_dump(mode="json"),
        "spec_hash": canonical_hash(spec),
        "base_scenario": {"name": loaded.base.name, "hash": canonical_hash(loaded.base),
                          "content": json.loads(canonical_json(loaded.base))},
        "root_seed": str(spec.root_seed),
        "executor": executor,
        **provenance(),
    }


def run_experiment(loaded: LoadedSpec, store: ResultStore, executor: Executor,
                   progress: Callable[[int], None] | None = None) -> RunSummary:
    """Run what the store does not hold yet; each finished chunk is written at once."""
    started = time.perf_counter()
    store.clean_temporaries()
    done = store.done()
    tasks = plan_tasks(loaded, done)
    total = loaded.spec.replications * len(loaded.spec.options)
    ran = 0
    for frame in executor.map_unordered(run_chunk, tasks):
        first = frame.iloc[0]
        name = (f"{int(first['option_index']):03d}-{first['option']}-"
                f"{int(frame['replication'].min()):06d}-{int(frame['replication'].max()):06d}")
        store.write_part(frame, name)
        ran += len(frame)
        if progress is not None:
            progress(len(frame))
    return RunSummary(total, len(done), ran, time.perf_counter() - started)



class FolderError(ValueError):
    """A result folder cannot take this run; ``str()`` is one line for the user."""


def check_folder(loaded: LoadedSpec, store: ResultStore, resume: bool) -> None:
    """Refuse a folder holding results unless resuming the same spec on the same base scenario
    (mixing runs would pair replications that do not belong together)."""
    folder = store.folder
    existing = store.read_manifest()
    if existing is None:
        return
    if not resume:
        raise FolderError(f"{folder} already holds results; use --resume to finish them or "
                          "--out for a new folder")
    if existing.get("spec_hash") != canonical_hash(loaded.spec):
        raise FolderError(f"{folder} holds results of a different spec (hash "
                          f"{str(existing.get('spec_hash'))[:12]}); use another --out")
    if existing.get("base_scenario", {}).get("hash") != canonical_hash(loaded.base):
        raise FolderError(f"{folder} holds results of a different base scenario (hash "
                          f"{str(existing.get('base_scenario', {}).get('hash'))[:12]}); "
                          "use another --out")


def finish_manifest(loaded: LoadedSpec, store: ResultStore, executor: str,
                    summary: RunSummary) -> None:
    """Mark the folder's run complete (the manifest said "running" while chunks were written)."""
    total = loaded.spec.replications * len(loaded.spec.options)
    store.write_manifest({**manifest_for(loaded, executor), "status": "complete",
                          "rows": total, "wall_time_s_last_run": summary.wall_time_s})
