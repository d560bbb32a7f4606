"""SimPy resources that monitor themselves.

Each wrapper keeps SimPy's own semantics and adds: a queue-length :class:`LevelMonitor`, a
:class:`TallyMonitor` of waits (minutes from request to grant), an in-use monitor, and rows in an
optional :class:`Trace`. Requests accept an ``entity`` label used only for the trace.
"""

from __future__ import annotations

from typing import Any

import simpy
from simpy.resources.resource import PriorityRequest, Release, Request

from sim.monitors import LevelMonitor, TallyMonitor
from sim.trace import Trace

__all__ = ["MonitoredPriorityResource", "MonitoredResource"]

_DISABLED_TRACE = Trace(enabled=False)


class _Timed:
    """Mixin for request events: remembers when and by whom the request was made."""

    requested_at: float
    entity: str

    def _stamp(self, resource: Any, entity: str) -> None:
        self.requested_at = resource._env.now
        self.entity = entity
        if resource.trace.enabled:
            resource._log("request", self, float("nan"))

    def cancel(self) -> None:
        pending = not self.triggered  # type: ignore[attr-defined]
        super().cancel()  # type: ignore[misc]
        if pending:
            self.resource._cancelled(self)  # type: ignore[attr-defined]


class _Request(_Timed, Request):
    def __init__(self, resource: simpy.Resource, entity: str = "") -> None:
        self._stamp(resource, entity)
        super().__init__(resource)


class _PriorityRequest(_Timed, PriorityRequest):
    def __init__(
        self, resource: simpy.PriorityResource, priority: int = 0, entity: str = ""
    ) -> None:
        self._stamp(resource, entity)
        super().__init__(resource, priority, preempt=False)


class _MonitoredResourceBase:
    """Shared bookkeeping of both resources: queue-length and in-use monitors, wait tally, trace
    rows. Levels are recorded only where they change (a request queued, granted, released or
    cancelled), not on every SimPy trigger, to keep the hot path short."""

    name: str
    trace: Trace
    capacity: int
    put_queue: Any
    users: list
    _env: simpy.Environment

    def _init_monitoring(self, name: str, trace: Trace | None) -> None:
        """Call after SimPy's ``__init__``."""
        self.name = name
        self.trace = trace if trace is not None else _DISABLED_TRACE
        self.queue_length = LevelMonitor(self._env, f"{name}.queue")
        self.waits = TallyMonitor(f"{name}.wait")
        self.in_use = LevelMonitor(self._env, f"{name}.in_use")

    def _enqueued(self, event: Any) -> Any:
        if not event.triggered:
            self.queue_length.record(len(self.put_queue))
        return event

    def _log(self, kind: str, event: Any, quantity: float) -> None:
        if self.trace.enabled:
            self.trace.log(self._env.now, kind, event.entity, self.name, quantity)

    def _cancelled(self, event: Any) -> None:
        self.queue_length.record(len(self.put_queue))
        self._log("cancel", event, float("nan"))
        # A unit released in this same instant may not have been handed on yet (SimPy does that
        # when the release event is processed): serve whoever can go now.
        self._trigger_put(None)  # type: ignore[attr-defined]

    def _do_put(self, event: Any) -> Any:
        result = super()._do_put(event)  # type: ignore[misc]
        if event.triggered:
            # SimPy removes a granted request from put_queue only after _do_put returns.
            self.queue_length.record(len(self.put_queue) - 1)
            self.in_use.record(len(self.users))
            self.waits.observe(self._env.now - event.requested_at)
            if self.trace.enabled:
                self._log("grant", event, len(self.users))
        return result

    def _do_get(self, event: Release) -> Any:
        was_user = event.request in self.users
        result = super()._do_get(event)  # type: ignore[misc]
        if was_user:
            self.in_use.record(len(self.users))
            self._log("release", event.request, len(self.users))
        return result

    def utilisation(self, until: float | None = None) -> float:
        """Time-weighted share of the capacity in use (0–1)."""
        return self.in_use.mean(until) / self.capacity

    def stats(self, until: float | None = None) -> dict[str, float]:
        """Utilisation, mean and max queue length, and wait summary (minutes)."""
        waits = self.waits.summary()
        return {
            "utilisation": self.utilisation(until),
            "queue_mean": self.queue_length.mean(until),
            "queue_max": self.queue_length.max(until),
            "served": waits["count"],
            "wait_mean": waits["mean"],
            "wait_p90": waits["p90"],
        }


class MonitoredResource(_MonitoredResourceBase, simpy.Resource):
    """A :class:`simpy.Resource` (``capacity`` identical servers) that records itself."""

    def __init__(
        self, env: simpy.Environment, capacity: int = 1, name: str = "resource",
        trace: Trace | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"{name}: capacity must be >= 1, got {capacity}")
        super().__init__(env, capacity)
        self._init_monitoring(name, trace)

    def request(self, entity: str = "") -> _Request:  # type: ignore[override]
        """Ask for one unit of capacity; use as ``with res.request() as req: yield req``."""
        return self._enqueued(_Request(self, entity))


class MonitoredPriorityResource(_MonitoredResourceBase, simpy.PriorityResource):
    """A :class:`simpy.PriorityResource` (lower ``priority`` number served first) that records
    itself. Without preemption."""

    def __init__(
        self, env: simpy.Environment, capacity: int = 1, name: str = "resource",
        trace: Trace | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"{name}: capacity must be >= 1, got {capacity}")
        super().__init__(env, capacity)
        self._init_monitoring(name, trace)

    def request(self, priority: int = 0, entity: str = "") -> _PriorityRequest:  # type: ignore[override]
        """Ask for one unit with ``priority`` (lower is more urgent)."""
        return self._enqueued(_PriorityRequest(self, priority, entity))
