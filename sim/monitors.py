"""Monitors: time-weighted levels and tallies of observations.

A :class:`LevelMonitor` records a piecewise-constant quantity (queue length, stock, people in a
state) each time it changes; statistics weight each value by how long it held. A
:class:`TallyMonitor` records individual observations (waits, response times). Both store plain
Python lists while the simulation runs (cheap appends) and compute with NumPy afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import simpy

__all__ = ["LevelMonitor", "TallyMonitor"]


class LevelMonitor:
    """Time-weighted record of a level that changes at discrete instants (time in sim minutes).

    Several changes at the same instant keep only the last value for time weighting (they held for
    zero time); :attr:`peak` still sees every recorded value.
    """

    __slots__ = ("_env", "name", "_times", "_values", "peak", "_initial")

    def __init__(self, env: simpy.Environment, name: str = "", initial: float = 0.0) -> None:
        self._env = env
        self.name = name
        self._times: list[float] = [env.now]
        self._values: list[float] = [float(initial)]
        self.peak: float = float(initial)
        self._initial = float(initial)  # kept: a change at the start instant overwrites it

    def record(self, value: float) -> None:
        """Set the level to ``value`` from now on."""
        # SimPy's clock read directly: ``Environment.now`` is a property, and a model records
        # levels a hundred thousand times per run.
        now = self._env._now
        if value > self.peak:
            self.peak = value
        if now == self._times[-1]:
            self._values[-1] = value
        elif value != self._values[-1]:
            self._times.append(now)
            self._values.append(value)

    @property
    def current(self) -> float:
        return self._values[-1]

    @property
    def start(self) -> float:
        return self._times[0]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Change times and the value that holds from each of them on."""
        return np.asarray(self._times, dtype=float), np.asarray(self._values, dtype=float)

    def _durations(self, until: float | None) -> tuple[np.ndarray, np.ndarray]:
        end = self._env.now if until is None else float(until)
        times, values = self.arrays()
        if end < times[0]:
            raise ValueError(f"until={end} is before the monitor started at {times[0]}")
        keep = times <= end
        times, values = times[keep], values[keep]
        durations = np.diff(np.append(times, end))
        return durations, values

    def mean(self, until: float | None = None) -> float:
        """Time-weighted mean from the monitor's start until ``until`` (default: now)."""
        durations, values = self._durations(until)
        total = durations.sum()
        if total <= 0:
            return float(values[-1])
        return float(np.dot(durations, values) / total)

    def max(self, until: float | None = None) -> float:
        """Largest value that held for a positive time (or the current one at time zero)."""
        durations, values = self._durations(until)
        held = values[durations > 0]
        return float(held.max()) if held.size else float(values[-1])

    def time_at_or_above(self, threshold: float, until: float | None = None) -> float:
        """Total time (minutes) the level was >= ``threshold``."""
        durations, values = self._durations(until)
        return float(durations[values >= threshold].sum())

    def series(self, grid: Sequence[float] | np.ndarray) -> np.ndarray:
        """The level in force at each time of ``grid`` (after all changes at that instant).

        Grid times before the monitor started take its initial value.
        """
        times, values = self.arrays()
        idx = np.searchsorted(times, np.asarray(grid, dtype=float), side="right") - 1
        return np.where(idx >= 0, values[np.clip(idx, 0, None)], self._initial)

    def __repr__(self) -> str:
        return f"LevelMonitor({self.name!r}, current={self.current}, changes={len(self._times)})"


class TallyMonitor:
    """Individual observations, e.g. waiting times in minutes."""

    __slots__ = ("name", "_values", "_repeats", "_count")

    def __init__(self, name: str = "") -> None:
        self.name = name
        # Each distinct observation once, with how many times it was made: a per-person tally
        # of a group's wait stays one entry (the full list is built in C when asked for).
        self._values: list[float] = []
        self._repeats: list[int] = []
        self._count = 0

    def observe(self, value: float, count: int = 1) -> None:
        """Record ``value`` (``count`` times, e.g. once per person of a group)."""
        if count >= 1:
            self._values.append(value)
            self._repeats.append(count)
            self._count += count

    @property
    def count(self) -> int:
        return self._count

    @property
    def values(self) -> np.ndarray:
        return np.repeat(np.asarray(self._values, dtype=float),
                         np.asarray(self._repeats, dtype=np.int64))

    def mean(self) -> float:
        """Mean of the observations (NaN when there are none)."""
        return float(np.mean(self.values)) if self._count else float("nan")

    def quantile(self, q: float | Sequence[float]) -> float | np.ndarray:
        """Quantile(s) ``q`` in [0, 1] (linear interpolation; NaN when empty)."""
        if not self._count:
            return float("nan") if np.isscalar(q) else np.full(len(q), np.nan)  # type: ignore[arg-type]
        result = np.quantile(self.values, q)
        return float(result) if np.isscalar(q) else result

    def summary(self) -> dict[str, float]:
        """Count, mean, p50, p90 and max, as a flat dict."""
        if not self._count:
            nan = float("nan")
            return {"count": 0, "mean": nan, "p50": nan, "p90": nan, "max": nan}
        v = self.values
        p50, p90 = np.quantile(v, [0.5, 0.9])
        return {"count": v.size, "mean": float(v.mean()), "p50": float(p50), "p90": float(p90),
                "max": float(v.max())}

    def __repr__(self) -> str:
        return f"TallyMonitor({self.name!r}, count={self.count})"
