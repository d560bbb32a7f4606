"""The reference M/M/c queue: Poisson arrivals, exponential service, ``c`` identical servers.

It is the engine's validation model (its mean wait has the closed-form Erlang C answer) and the
demo until the disaster models land. A real reading: calls to an emergency call centre (12345 /
119) answered by ``c`` call-takers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from models.queue.scenario import QueueScenario
from sim.monitors import LevelMonitor, TallyMonitor
from sim.resources import MonitoredResource
from sim.runner import ReplicationContext

__all__ = ["QueueRun", "build_queue", "erlang_c"]


@dataclass(frozen=True)
class ErlangC:
    """Steady-state M/M/c figures; times in the unit of the rates' inverse."""

    wait_probability: float
    mean_wait: float
    utilisation: float


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> ErlangC:
    """Erlang C probability of waiting and mean wait W_q for M/M/c (needs ρ = λ/(cμ) < 1).

    P_w = [a^c/c! · 1/(1−ρ)] / [Σ_{k<c} a^k/k! + a^c/c! · 1/(1−ρ)], a = λ/μ;
    W_q = P_w / (cμ − λ). Source: shared/domain/REFERENCE-PARAMETERS.md (queueing reference);
    e.g. Gross & Harris, Fundamentals of Queueing Theory, §2.3.
    """
    a = arrival_rate / service_rate
    rho = a / servers
    if not 0 < rho < 1:
        raise ValueError(f"Erlang C needs 0 < rho < 1, got rho = {rho:.3f}")
    # Terms a^k/k! computed iteratively to stay finite for large c.
    term, head = 1.0, 0.0
    for k in range(servers):
        head += term
        term *= a / (k + 1)
    tail = term / (1 - rho)
    p_wait = tail / (head + tail)
    return ErlangC(p_wait, p_wait / (servers * service_rate - arrival_rate), rho)


class QueueRun:
    """One replication of the queue: its resource and the post-warm-up wait tally."""

    def __init__(self, ctx: ReplicationContext, scenario: QueueScenario) -> None:
        self.scenario = scenario
        params = scenario.queue
        self.env = env = ctx.env
        self.servers = MonitoredResource(env, params.servers, name="servers", trace=ctx.trace)
        self.waits = TallyMonitor("wait")
        self.arrived = 0
        self._arrivals = ctx.streams["queue.arrivals"]
        self._service = ctx.streams["queue.service"]
        self._traced = ctx.trace.enabled
        env.process(self._source())

    def _source(self):
        env, interarrival = self.env, self.scenario.queue.mean_interarrival
        draw = self._arrivals.exponential
        while True:
            yield env.timeout(draw(interarrival))
            self.arrived += 1
            env.process(self._customer(self.arrived))

    def _customer(self, number: int):
        env, params = self.env, self.scenario.queue
        arrived = env.now
        with self.servers.request(entity=f"customer-{number}" if self._traced else "") as req:
            yield req
            if arrived >= params.warmup:
                self.waits.observe(env.now - arrived)
            yield env.timeout(self._service.exponential(params.mean_service))

    def kpis(self) -> Mapping[str, float]:
        params = self.scenario.queue
        waits = self.waits.values
        kpis = {
            "customers_served": float(waits.size),
            "wait_mean_min": self.waits.mean(),
            "wait_p90_min": self.waits.quantile(0.9),
            "wait_probability": float((waits > 0).mean()) if waits.size else math.nan,
            "utilisation": self.servers.utilisation(),
            "queue_length_mean": self.servers.queue_length.mean(),
        }
        try:
            exact = erlang_c(1 / params.mean_interarrival, 1 / params.mean_service, params.servers)
            kpis["wait_mean_erlang_c_min"] = exact.mean_wait
        except ValueError:  # rho >= 1: no steady state, no analytic answer
            kpis["wait_mean_erlang_c_min"] = math.nan
        return kpis

    def series(self) -> Mapping[str, LevelMonitor]:
        return {"queue_length": self.servers.queue_length, "servers_busy": self.servers.in_use}


def build_queue(ctx: ReplicationContext, scenario: QueueScenario) -> QueueRun:
    """Register the queue's processes for one replication."""
    return QueueRun(ctx, scenario)
