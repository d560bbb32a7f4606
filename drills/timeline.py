"""The hidden run: one replication of the drawn scenario with its trace on, and the timeline of
what happened in it, in the order the response would learn of it.

The run is the plan's built-in response (no orders) with the sealed seed, replication 0; its
KPIs are the baseline of the score. It is :func:`sim.runner.run_replication` itself, with the
trace on and the model's drill adapter watching (:class:`drills.adapters.Watch`: an observer
that keeps the trace and may read the model while it runs, drawing no random numbers and
changing no state, so the KPIs equal those of a run without it; tested).

The timeline is a list of :class:`drills.packet.TimelineEvent` sorted by minute (then kind and
place), each within the scenario's horizon, e.g.::

    TimelineEvent(minute=130.0, kind="gauge_warning", place="river", name="River gauge",
                  quantity=21.5, data={...})

Which kinds there are, and what their data hold, is the adapter's (drills/adapters/).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from drills.adapters import DrillAdapter, Watch, adapter_for
from drills.packet import TimelineEvent
from models.catalog import spec_for
from models.scenario import ScenarioBase
from sim.runner import run_replication

__all__ = ["HiddenRun", "hidden_run", "observe"]


@dataclass(frozen=True)
class HiddenRun:
    """The hidden run's KPIs, its timeline, how long it took (wall seconds) and the number of
    SimPy events it processed."""

    kpis: dict[str, float]
    timeline: list[TimelineEvent]
    wall_time_s: float
    events: int


def hidden_run(scenario: ScenarioBase, seed: int) -> HiddenRun:
    """Run replication 0 of ``scenario`` with root seed ``seed`` and the trace on; observe."""
    adapter = adapter_for(scenario)
    watch = adapter.watch(scenario)
    result = run_replication(spec_for(scenario).build, scenario, 0, seed, scenario.horizon,
                             trace=True, observers=[watch], keep_model=True)
    timeline = observe(adapter, result.model, scenario, watch)
    return HiddenRun(result.kpis, timeline, result.wall_time_s, result.events)


def observe(adapter: DrillAdapter, model: Any, scenario: ScenarioBase,
            watch: Watch) -> list[TimelineEvent]:
    """The timeline of a finished run: the adapter's events within the horizon, sorted."""
    horizon = scenario.horizon
    events = [e for e in adapter.timeline(model, scenario, watch)
              if math.isfinite(e.minute) and 0 <= e.minute <= horizon]
    events.sort(key=lambda e: (e.minute, e.kind, e.place))
    return events
