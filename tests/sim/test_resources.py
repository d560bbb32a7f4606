"""Monitored SimPy resources: SimPy's semantics (checked by whole-trace tests) plus their monitors
(waits, queue length, in-use level) and trace rows."""

from __future__ import annotations

import math

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.resources import MonitoredPriorityResource, MonitoredResource
from sim.trace import Trace

NAN = None  # how a NaN quantity shows in rows()


def rows(trace: Trace) -> list[tuple]:
    """The trace rows with NaN quantities as None, so whole traces compare with ==."""
    return [(t, kind, entity, place, NAN if math.isnan(q) else q)
            for t, kind, entity, place, q in trace.rows()]


def series(monitor, grid) -> list[float]:
    return monitor.series(grid).tolist()


# --- MonitoredResource -------------------------------------------------------------------------


def user(env, log, res, name, arrive, hold):
    yield env.timeout(arrive)
    log.append((f"{name} request", env.now))
    with res.request(entity=name) as req:
        yield req
        log.append((f"{name} got", env.now))
        yield env.timeout(hold)
    log.append((f"{name} done", env.now))


def test_resource_serves_first_come_first_served(env):
    log: list = []
    trace = Trace(enabled=True)
    res = MonitoredResource(env, capacity=1, name="boat", trace=trace)
    for name, arrive in [("a", 0), ("b", 1), ("c", 2)]:
        env.process(user(env, log, res, name, arrive, hold=3))
    env.run(until=12)

    assert log == [
        ("a request", 0), ("a got", 0), ("b request", 1), ("c request", 2),
        ("a done", 3), ("b got", 3), ("b done", 6), ("c got", 6), ("c done", 9),
    ]
    assert res.waits.values.tolist() == [0, 2, 4]
    assert series(res.queue_length, [0, 1, 2, 3, 5, 6, 12]) == [0, 1, 2, 1, 1, 0, 0]
    assert res.queue_length.mean() == pytest.approx((1 + 2 + 1 * 3) / 12)
    assert series(res.in_use, [0, 3, 8.9, 9, 12]) == [1, 1, 1, 0, 0]
    assert res.utilisation() == pytest.approx(9 / 12)
    assert rows(trace) == [
        (0, "request", "a", "boat", NAN), (0, "grant", "a", "boat", 1),
        (1, "request", "b", "boat", NAN), (2, "request", "c", "boat", NAN),
        (3, "release", "a", "boat", 0), (3, "grant", "b", "boat", 1),
        (6, "release", "b", "boat", 0), (6, "grant", "c", "boat", 1),
        (9, "release", "c", "boat", 0),
    ]


def test_resource_utilisation_and_stats_for_a_two_server_schedule(env):
    log: list = []
    res = MonitoredResource(env, capacity=2, name="crew")
    # a: 0-4, b: 1-3, c arrives at 2, waits for b, serves 3-8.
    for name, arrive, hold in [("a", 0, 4), ("b", 1, 2), ("c", 2, 5)]:
        env.process(user(env, log, res, name, arrive, hold))
    env.run(until=10)

    assert [entry for entry in log if "got" in entry[0]] == [("a got", 0), ("b got", 1),
                                                              ("c got", 3)]
    # Busy servers: 1 on [0,1), 2 on [1,4), 1 on [4,8), 0 on [8,10] -> mean 11/10 of 2 servers.
    assert series(res.in_use, [0, 1, 2, 3, 4, 8, 10]) == [1, 2, 2, 2, 1, 0, 0]
    assert res.utilisation() == pytest.approx(0.55)
    assert res.utilisation(until=4) == pytest.approx((1 + 2 * 3) / 4 / 2)
    stats = res.stats()
    assert stats == pytest.approx({
        "utilisation": 0.55, "queue_mean": 0.1, "queue_max": 1, "served": 3,
        "wait_mean": 1 / 3, "wait_p90": 0.8,
    })


def test_resource_capacity_must_be_positive(env):
    with pytest.raises(ValueError, match="capacity"):
        MonitoredResource(env, capacity=0, name="boat")
    with pytest.raises(ValueError, match="capacity"):
        MonitoredPriorityResource(env, capacity=0, name="boat")


def test_untraced_resource_logs_nothing_but_still_monitors(env):
    log: list = []
    res = MonitoredResource(env, capacity=1, name="boat")
    env.process(user(env, log, res, "a", 0, 2))
    env.process(user(env, log, res, "b", 0, 2))
    env.run()
    assert len(res.trace) == 0
    assert res.waits.values.tolist() == [0, 2]


# --- MonitoredPriorityResource -----------------------------------------------------------------


def prioritised(env, log, res, name, arrive, priority, hold=1):
    yield env.timeout(arrive)
    with res.request(priority=priority, entity=name) as req:
        yield req
        log.append((name, env.now))
        yield env.timeout(hold)


def test_priority_resource_serves_lower_number_first_and_fifo_among_equals(env):
    log: list = []
    trace = Trace(enabled=True)
    res = MonitoredPriorityResource(env, capacity=1, name="pump", trace=trace)
    env.process(prioritised(env, log, res, "holder", 0, priority=9, hold=5))
    for name, arrive, priority in [("low", 1, 2), ("urgent-a", 2, 0), ("urgent-b", 3, 0),
                                   ("x", 4, 1), ("y", 4, 1)]:
        env.process(prioritised(env, log, res, name, arrive, priority))
    env.run()

    assert log == [("holder", 0), ("urgent-a", 5), ("urgent-b", 6), ("x", 7), ("y", 8),
                   ("low", 9)]
    assert res.waits.values.tolist() == [0, 3, 3, 3, 4, 8]
    assert series(res.queue_length, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) == [
        0, 1, 2, 3, 5, 4, 3, 2, 1, 0]
    assert [row[2] for row in trace.rows("grant")] == [
        "holder", "urgent-a", "urgent-b", "x", "y", "low"]


# --- cancellation ------------------------------------------------------------------------------


def test_request_abandoned_after_a_timeout_race_is_cancelled(env):
    log: list = []
    trace = Trace(enabled=True)
    res = MonitoredResource(env, capacity=1, name="boat", trace=trace)
    env.process(user(env, log, res, "holder", 0, hold=10))

    def impatient():
        yield env.timeout(1)
        with res.request(entity="impatient") as req:
            result = yield req | env.timeout(3)
            log.append(("impatient served" if req in result else "impatient gave up", env.now))

    env.process(impatient())
    env.run()

    assert log == [("holder request", 0), ("holder got", 0), ("impatient gave up", 4),
                   ("holder done", 10)]
    assert series(res.queue_length, [0, 1, 3.9, 4, 10]) == [0, 1, 1, 0, 0]
    assert res.waits.values.tolist() == [0]  # the one who gave up was never served
    assert rows(trace) == [
        (0, "request", "holder", "boat", NAN), (0, "grant", "holder", "boat", 1),
        (1, "request", "impatient", "boat", NAN), (4, "cancel", "impatient", "boat", NAN),
        (10, "release", "holder", "boat", 0),
    ]


def test_cancelling_a_granted_request_changes_nothing(env):
    trace = Trace(enabled=True)
    res = MonitoredResource(env, capacity=1, name="boat", trace=trace)
    req = res.request(entity="a")
    req.cancel()  # already granted: cancel is a no-op, the request still holds the unit
    assert req.triggered and res.count == 1
    assert [row[1] for row in trace.rows()] == ["request", "grant"]


# --- invariant: the monitors agree with SimPy's own state --------------------------------------

requests = st.lists(
    st.tuples(
        st.integers(0, 30),  # time of the request
        st.integers(1, 8),   # minutes held once granted
        st.integers(0, 3),   # priority (the priority resource only)
        st.one_of(st.none(), st.integers(0, 10)),  # patience: give up after this many minutes
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(ops=requests, capacity=st.integers(1, 3), prioritised=st.booleans())
def test_monitors_match_simpys_state_whatever_the_requests_and_cancellations(
        ops, capacity, prioritised):
    env = simpy.Environment()
    res = (MonitoredPriorityResource(env, capacity) if prioritised
           else MonitoredResource(env, capacity))
    granted: list[float] = []
    checks: list[tuple[int, int, int]] = []

    def client(at, hold, priority, patience):
        yield env.timeout(at)
        req = res.request(priority=priority) if prioritised else res.request()
        asked = env.now
        yield req | env.timeout(patience if patience is not None else 1e9)
        if not req.triggered:  # (granted in the instant patience ran out: keep it)
            req.cancel()
            checks.append((res.queue_length.current, len(res.put_queue), res.count))
            return
        granted.append(env.now - asked)
        checks.append((res.queue_length.current, len(res.put_queue), res.count))
        yield env.timeout(hold)
        res.release(req)

    for op in ops:
        env.process(client(*op))
    env.run(until=200)

    assert all(level == waiting for level, waiting, _ in checks)
    assert all(busy <= capacity for _, _, busy in checks)
    # The same waits; grants in one instant may resume their clients in another order.
    assert sorted(res.waits.values.tolist()) == pytest.approx(sorted(granted))
    assert res.in_use.current == res.count == 0
    assert res.queue_length.current == len(res.put_queue) == 0
