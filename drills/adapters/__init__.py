"""Drill adapters: what drills do differently for each model, registered by model name.

Everything else a drill needs of a model it reads from the model's spec
(:class:`models.spec.ModelSpec`: order actions, order targets, team actions, headline KPIs and
the KPI catalogue). What is left is drill craft about one hazard, kept here so that no other
module of ``drills/`` names a model:

* :meth:`DrillAdapter.watch` — a fresh :class:`Watch` for one hidden run (a
  :func:`sim.runner.run_replication` observer: it keeps the run's trace and may sample the
  model while it runs, reading only);
* :meth:`DrillAdapter.timeline` — what happened in the finished run, as
  :class:`drills.packet.TimelineEvent` s, in the order the response would learn of it;
* :meth:`DrillAdapter.names` — the scenario's places, as Chinese messages name them;
* :meth:`DrillAdapter.injects` — the inject templates: timeline events into injects
  (:class:`drills.compose.Composer`).

``adapter_for(scenario)`` finds the adapter of a scenario's model; a model without one is
refused with one line (a drill spec naming its scenario does not load). A new hazard's drills
are one module here and one :func:`register_adapter` call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drills.compose import Composer
from drills.names import Names
from drills.packet import Inject, TimelineEvent
from models.scenario import ScenarioBase
from sim.config import ConfigError
from sim.runner import ReplicationContext
from sim.trace import Trace

__all__ = ["ADAPTERS", "DrillAdapter", "Watch", "adapter_for", "register_adapter",
           "unregister_adapter"]


class Watch:
    """Watches one hidden run: called by the runner after the build and before the run, it
    keeps the run's trace; an adapter's subclass may also start read-only processes
    (:meth:`started`). It must draw no random numbers and change no state."""

    def __init__(self) -> None:
        self.trace: Trace | None = None

    def __call__(self, ctx: ReplicationContext, model: Any) -> None:
        self.trace = ctx.trace
        self.started(ctx, model)

    def started(self, ctx: ReplicationContext, model: Any) -> None:
        """Start watching ``model`` (nothing more by default)."""


class DrillAdapter:
    """The drill behaviour of one model (see the module docstring); subclasses fill it in."""

    model: str = ""

    def watch(self, scenario: ScenarioBase) -> Watch:
        return Watch()

    def timeline(self, model: Any, scenario: ScenarioBase, watch: Watch
                 ) -> list[TimelineEvent]:
        raise NotImplementedError

    def names(self, scenario: ScenarioBase) -> Names:
        return Names()

    def injects(self, timeline: Sequence[TimelineEvent], scenario: ScenarioBase,
                compose: Composer) -> list[Inject]:
        raise NotImplementedError


ADAPTERS: dict[str, DrillAdapter] = {}


def register_adapter(adapter: DrillAdapter) -> None:
    """Add the adapter of model ``adapter.model`` (its name must be new)."""
    if not adapter.model:
        raise ValueError("a drill adapter names its model")
    if adapter.model in ADAPTERS:
        raise ValueError(f"a drill adapter for {adapter.model!r} is already registered")
    ADAPTERS[adapter.model] = adapter


def unregister_adapter(model: str) -> None:
    """Remove a model's adapter (tests)."""
    ADAPTERS.pop(model, None)


def adapter_for(scenario: ScenarioBase | str) -> DrillAdapter:
    """The drill adapter of a scenario's model (or of a model name); :class:`ConfigError`
    (one line) for a model drills cannot run."""
    model = scenario if isinstance(scenario, str) else scenario.model
    adapter = ADAPTERS.get(model)
    if adapter is None:
        where = model if isinstance(scenario, str) else f"scenario {scenario.name!r}"
        raise ConfigError.single(where, "model", f"no drill adapter for model {model!r} "
                                 f"(drills run: {', '.join(sorted(ADAPTERS)) or 'none'})")
    return adapter


def _register_bundled() -> None:
    from drills.adapters.chemical import ADAPTER as CHEMICAL
    from drills.adapters.flood import ADAPTER as FLOOD

    for adapter in (FLOOD, CHEMICAL):
        register_adapter(adapter)


_register_bundled()
