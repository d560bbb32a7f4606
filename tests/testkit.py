"""Test helpers shared across test folders: one replication through the real runner and
catalogue keeping the model object for inspection, KPI equality with NaN == NaN, and a small
queue scenario text."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from models.catalog import build
from models.scenario import ScenarioBase
from sim.runner import ReplicationResult, run_replication


def run_kept(scenario: ScenarioBase, replication: int = 0, root_seed: int = 1,
             trace: bool = False) -> tuple[ReplicationResult, Any]:
    """One replication of ``scenario``; returns the result and the model object it ran."""
    kept: list[Any] = []

    def build_and_keep(ctx, sc):
        kept.append(build(ctx, sc))
        return kept[-1]

    result = run_replication(build_and_keep, scenario, replication, root_seed, scenario.horizon,
                             report_every=scenario.report_every, trace=trace)
    return result, kept[0]


def same_kpis(a: Mapping[str, float], b: Mapping[str, float]) -> bool:
    """Equal KPI dicts, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


# A small, fast queue scenario. Line numbers matter to the error-location tests:
#   1 schema_version, 2 name, 3 model, 4 horizon, 6 [queue], 7 servers, 8 mean_interarrival,
#   9 mean_service.
SMALL_QUEUE = """\
schema_version = 1
name = "small-queue"
model = "queue"
horizon = "1d"

[queue]
servers = 3
mean_interarrival = "1min"
mean_service = "2.5min"
"""
