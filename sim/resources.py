"""SimPy resources that monitor themselves.

Each wrapper keeps SimPy's own semantics and adds: a queue-length :class:`LevelMonitor`, a
:class:`TallyMonitor` of waits (minutes from request to grant), a level/in-use monitor where it
makes sense, and rows in an optional :class:`Trace`. Requests accept an ``entity`` label used only
for the trace.

:class:`PriorityContainer` adds what SimPy lacks: a container whose withdrawals are served by
priority (lower number first, then first come first served). When stock arrives the most important
waiting request is served first; with ``strict=True`` (the default) a request that cannot be met
yet holds back all less important ones, so arriving stock is kept for it.
"""

from __future__ import annotations

import itertools
from typing import Any

import simpy
from simpy.resources.base import Put
from simpy.resources.container import ContainerGet, ContainerPut
from simpy.resources.resource import PriorityRequest, Release, Request, SortedQueue
from simpy.resources.store import StoreGet, StorePut

from sim.monitors import LevelMonitor, TallyMonitor
from sim.trace import Trace

__all__ = [
    "MonitoredResource",
    "MonitoredPriorityResource",
    "MonitoredContainer",
    "PriorityContainer",
    "MonitoredStore",
]

_DISABLED_TRACE = Trace(enabled=False)


class _Timed:
    """Mixin for request events: remembers when and by whom the request was made."""

    requested_at: float
    entity: str

    def _stamp(self, resource: Any, entity: str, quantity: float = float("nan")) -> None:
        self.requested_at = resource._env.now
        self.entity = entity
        if resource.trace.enabled:
            resource._log("request", self, quantity)

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


class _ContainerPut(_Timed, ContainerPut):
    def __init__(self, container: simpy.Container, amount: float, entity: str = "") -> None:
        self._stamp(container, entity, amount)
        super().__init__(container, amount)


class _ContainerGet(_Timed, ContainerGet):
    def __init__(self, container: simpy.Container, amount: float, entity: str = "") -> None:
        self._stamp(container, entity, amount)
        super().__init__(container, amount)


_sequence = itertools.count()


class _PriorityContainerGet(_ContainerGet):
    def __init__(
        self, container: PriorityContainer, amount: float, priority: float = 0, entity: str = ""
    ) -> None:
        self.priority = priority
        # Sort key read by SortedQueue: priority, then request time, then arrival order.
        self.key = (priority, container._env.now, next(_sequence))
        super().__init__(container, amount, entity)


class _StorePut(_Timed, StorePut):
    def __init__(self, store: simpy.Store, item: Any, entity: str = "") -> None:
        self._stamp(store, entity)
        super().__init__(store, item)


class _StoreGet(_Timed, StoreGet):
    def __init__(self, store: simpy.Store, entity: str = "") -> None:
        self._stamp(store, entity)
        super().__init__(store)


class _Monitoring:
    """Shared bookkeeping: queue-length monitor, wait tally, trace hooks.

    Subclasses call :meth:`_init_monitoring` after SimPy's ``__init__`` and implement
    :meth:`_waiting`. Levels are recorded only where they change (a request queued, served,
    released or cancelled), not on every SimPy trigger, to keep the hot path short.
    """

    name: str
    trace: Trace
    _env: simpy.Environment

    def _init_monitoring(self, name: str, trace: Trace | None) -> None:
        self.name = name
        self.trace = trace if trace is not None else _DISABLED_TRACE
        self.queue_length = LevelMonitor(self._env, f"{name}.queue")
        self.waits = TallyMonitor(f"{name}.wait")

    def _waiting(self) -> int:
        """Number of requests waiting to be served."""
        raise NotImplementedError

    def _enqueued(self, event: Any) -> Any:
        if not event.triggered:
            self.queue_length.record(self._waiting())
        return event

    def _log(self, kind: str, event: Any, quantity: float) -> None:
        if self.trace.enabled:
            self.trace.log(self._env.now, kind, event.entity, self.name, quantity)

    def _served(self, kind: str, event: Any, quantity: float) -> None:
        self.waits.observe(self._env.now - event.requested_at)
        if self.trace.enabled:
            self._log(kind, event, quantity)

    def _cancelled(self, event: Any) -> None:
        self.queue_length.record(self._waiting())
        self._log("cancel", event, float("nan"))
        # The cancelled request may have been holding back those queued behind it (a FIFO head,
        # or the strict-priority head of a PriorityContainer): serve any that can go now.
        if isinstance(event, Put):
            self._trigger_put(None)  # type: ignore[attr-defined]
        else:
            self._trigger_get(None)  # type: ignore[attr-defined]


class _MonitoredResourceBase(_Monitoring):
    """Monitoring for Resource-like classes: in-use level, utilisation, grant waits."""

    capacity: int
    put_queue: Any
    users: list

    def _init_resource_monitoring(self, name: str, trace: Trace | None) -> None:
        self._init_monitoring(name, trace)
        self.in_use = LevelMonitor(self._env, f"{name}.in_use")

    def _waiting(self) -> int:
        return len(self.put_queue)

    def _do_put(self, event: Any) -> Any:
        result = super()._do_put(event)  # type: ignore[misc]
        if event.triggered:
            # SimPy removes a granted request from put_queue only after _do_put returns.
            self.queue_length.record(len(self.put_queue) - 1)
            self.in_use.record(len(self.users))
            self._served("grant", event, len(self.users))
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
        self._init_resource_monitoring(name, trace)

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
        self._init_resource_monitoring(name, trace)

    def request(self, priority: int = 0, entity: str = "") -> _PriorityRequest:  # type: ignore[override]
        """Ask for one unit with ``priority`` (lower is more urgent)."""
        return self._enqueued(_PriorityRequest(self, priority, entity))


class MonitoredContainer(_Monitoring, simpy.Container):
    """A :class:`simpy.Container` (continuous or counted stock) recording its level, the queue of
    waiting withdrawals and their waits (minutes)."""

    def __init__(
        self, env: simpy.Environment, capacity: float = float("inf"), init: float = 0,
        name: str = "container", trace: Trace | None = None,
    ) -> None:
        super().__init__(env, capacity, init)
        self._init_monitoring(name, trace)
        self.stock = LevelMonitor(env, f"{name}.level", init)
        self.put_waits = TallyMonitor(f"{name}.put_wait")

    def _waiting(self) -> int:
        return len(self.get_queue)

    def put(self, amount: float, entity: str = "") -> _ContainerPut:  # type: ignore[override]
        """Add ``amount``; waits while the container is full."""
        return _ContainerPut(self, amount, entity)

    def get(self, amount: float, entity: str = "") -> _ContainerGet:  # type: ignore[override]
        """Withdraw ``amount``; waits (first come, first served) until it is available."""
        return self._enqueued(_ContainerGet(self, amount, entity))

    def _do_put(self, event: Any) -> Any:
        result = super()._do_put(event)
        if event.triggered:
            self.stock.record(self._level)
            self.put_waits.observe(self._env.now - event.requested_at)
            self._log("put", event, event.amount)
        return result

    def _do_get(self, event: Any) -> Any:
        result = super()._do_get(event)
        if event.triggered:
            # SimPy removes a served request from get_queue only after _do_get returns.
            self.stock.record(self._level)
            self.queue_length.record(len(self.get_queue) - 1)
            self._served("get", event, event.amount)
        return result


class PriorityContainer(MonitoredContainer):
    """A monitored container whose withdrawals are served by ``priority`` (lower number first,
    ties first come first served).

    ``strict=True``: the most important waiting request blocks less important ones until it can
    be met in full (stock is reserved for it). ``strict=False``: any waiting request that fits is
    served, most important first.
    """

    GetQueue = SortedQueue

    def __init__(
        self, env: simpy.Environment, capacity: float = float("inf"), init: float = 0,
        name: str = "container", trace: Trace | None = None, strict: bool = True,
    ) -> None:
        super().__init__(env, capacity, init, name, trace)
        self.strict = strict

    def get(  # type: ignore[override]
        self, amount: float, priority: float = 0, entity: str = ""
    ) -> _PriorityContainerGet:
        """Withdraw ``amount`` with ``priority`` (lower is more urgent)."""
        return self._enqueued(_PriorityContainerGet(self, amount, priority, entity))

    def _do_get(self, event: Any) -> Any:
        result = super()._do_get(event)
        # Returning a true value lets SimPy go on to the next (less important) request.
        return result if self.strict else True


class MonitoredStore(_Monitoring, simpy.Store):
    """A :class:`simpy.Store` of discrete items recording the item count and get waits."""

    def __init__(
        self, env: simpy.Environment, capacity: float = float("inf"), name: str = "store",
        trace: Trace | None = None,
    ) -> None:
        super().__init__(env, capacity)
        self._init_monitoring(name, trace)
        self.size = LevelMonitor(env, f"{name}.items")

    def _waiting(self) -> int:
        return len(self.get_queue)

    def put(self, item: Any, entity: str = "") -> _StorePut:  # type: ignore[override]
        return _StorePut(self, item, entity)

    def get(self, entity: str = "") -> _StoreGet:  # type: ignore[override]
        return self._enqueued(_StoreGet(self, entity))

    def _do_put(self, event: Any) -> Any:
        result = super()._do_put(event)
        if event.triggered:
            self.size.record(len(self.items))
            self._log("put", event, len(self.items))
        return result

    def _do_get(self, event: Any) -> Any:
        result = super()._do_get(event)
        if event.triggered:
            self.size.record(len(self.items))
            self.queue_length.record(len(self.get_queue) - 1)
            self._served("get", event, len(self.items))
        return result
