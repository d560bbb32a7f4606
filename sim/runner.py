"""Run one replication of a model, or several in sequence, and collect the results.

A model is a *build function* ``build(ctx, scenario) -> Replication``: it registers SimPy processes
on ``ctx.env``, draws randomness only from ``ctx.streams`` and logs to ``ctx.trace``. After
``env.run(until)`` the runner asks the returned object for its KPIs, its level monitors and, if it
has them, its extras, and packs a :class:`ReplicationResult`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
import simpy
from tqdm.auto import tqdm

from sim.monitors import LevelMonitor
from sim.streams import Streams
from sim.trace import Trace

__all__ = [
    "Build",
    "Observer",
    "Replication",
    "ReplicationContext",
    "ReplicationResult",
    "report_grid",
    "resolve_root_seed",
    "run_replication",
    "run_replications",
]

S = TypeVar("S")


@dataclass(frozen=True)
class ReplicationContext:
    """What a build function gets: the clock, the random streams and the trace."""

    env: simpy.Environment
    streams: Streams
    trace: Trace


class Replication(Protocol):
    """What a build function returns; queried once the run has ended.

    Optionally a model also has ``extras() -> Mapping[str, Any]``: a little JSON-friendly data
    that is neither a KPI nor a time series (e.g. the flood model's peak depth per zone, for the
    map). The runner copies it into :attr:`ReplicationResult.extras`; models without the method
    give ``{}``.
    """

    def kpis(self) -> Mapping[str, float]:
        """Key performance indicators of the run, by name."""
        ...

    def series(self) -> Mapping[str, LevelMonitor]:
        """Level monitors to report as time series, by series name."""
        ...


Build = Callable[[ReplicationContext, S], Replication]
# Called after the build and before the run: may register its own (read-only) processes.
Observer = Callable[[ReplicationContext, Replication], None]


@dataclass(frozen=True)
class ReplicationResult:
    """Outputs of one replication.

    ``timeseries`` has a ``time`` column (minutes, on the report grid) and one column per series.
    ``events`` counts SimPy events processed; ``wall_time_s`` covers build and run. ``extras`` is
    the model's optional ``extras()`` (see :class:`Replication`), as plain JSON types. ``model``
    is the model object itself when asked for (``keep_model=True``: drills and tests inspect
    it), else None; it is never saved.
    """

    replication: int
    root_entropy: int
    kpis: dict[str, float]
    timeseries: pd.DataFrame
    wall_time_s: float
    events: int
    trace: pd.DataFrame | None = field(default=None, repr=False)
    extras: dict[str, Any] = field(default_factory=dict, repr=False)
    model: Any = field(default=None, repr=False, compare=False)


def report_grid(until: float, step: float | None = None) -> np.ndarray:
    """Report times 0, step, …, until (minutes); default step: until / 100."""
    if until <= 0:
        raise ValueError(f"until must be > 0 minutes, got {until}")
    step = until / 100 if step is None else float(step)
    if step <= 0:
        raise ValueError(f"report step must be > 0 minutes, got {step}")
    # Count whole steps with a tolerance and snap the last one onto ``until``: a float ``arange``
    # can end a hair past ``until`` or add a near-duplicate point just before it.
    steps = int(until / step + 1e-9)
    grid = np.arange(steps + 1) * step
    if until - grid[-1] > step * 1e-9:
        return np.append(grid, until)
    grid[-1] = until
    return grid


def resolve_root_seed(root_seed: int | None) -> int:
    """The root seed itself, or fresh OS entropy when ``None`` (record it to repeat the run)."""
    return Streams(root_seed).root_entropy


def _events_processed(env: simpy.Environment) -> int:
    # SimPy numbers every scheduled event with next(env._eid); those still queued were not
    # processed. Reading the counter costs nothing during the run (no per-event hook).
    scheduled = next(env._eid)  # type: ignore[attr-defined]
    return scheduled - len(env._queue)  # type: ignore[attr-defined]


def _extras(model: Replication) -> dict[str, Any]:
    """The model's optional extras, copied through JSON: detached from the model, plain types
    only (a model returning something JSON cannot hold fails here, not when it is saved)."""
    extras = getattr(model, "extras", None)
    if extras is None:
        return {}
    return json.loads(json.dumps(dict(extras()), allow_nan=True))


def run_replication(
    build: Build[S], scenario: S, replication: int, root_seed: int | None, until: float,
    *, report_every: float | None = None, trace: bool = False,
    observers: Iterable[Observer] = (), keep_model: bool = False,
) -> ReplicationResult:
    """Build the model, run it to ``until`` (minutes) and collect KPIs, series, extras and
    counts. Each of ``observers`` is called with the context and the built model before the
    run (to watch it; it must draw no random numbers); ``keep_model`` puts the model object
    into the result."""
    started = time.perf_counter()
    env = simpy.Environment()
    streams = Streams(root_seed, replication)
    log = Trace(enabled=trace)
    ctx = ReplicationContext(env, streams, log)
    model = build(ctx, scenario)
    for observer in observers:
        observer(ctx, model)
    env.run(until=until)
    wall = time.perf_counter() - started
    grid = report_grid(until, report_every)
    columns = {"time": grid}
    columns.update({name: monitor.series(grid) for name, monitor in model.series().items()})
    return ReplicationResult(
        replication=replication,
        root_entropy=streams.root_entropy,
        kpis={name: float(value) for name, value in model.kpis().items()},
        timeseries=pd.DataFrame(columns),
        wall_time_s=wall,
        events=_events_processed(env),
        trace=log.to_frame() if trace else None,
        extras=_extras(model),
        model=model if keep_model else None,
    )


def run_replications(
    build: Build[S], scenario: S, replications: int | Iterable[int], root_seed: int | None,
    until: float, *, report_every: float | None = None, trace: bool = False,
    progress: bool = False, **tqdm_options: Any,
) -> list[ReplicationResult]:
    """Run replications in this process, in order; all share one root seed (drawn once if None)."""
    indices = list(range(replications)) if isinstance(replications, int) else list(replications)
    root = resolve_root_seed(root_seed)
    bar = tqdm(indices, disable=not progress, unit="rep", **tqdm_options)
    return [
        run_replication(build, scenario, k, root, until, report_every=report_every, trace=trace)
        for k in bar
    ]
