"""Monitored SimPy resources: SimPy's semantics (checked by whole-trace tests) plus their monitors
(waits, queue length, in-use and stock levels) and trace rows."""

from __future__ import annotations

import math

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.resources import (
    MonitoredContainer,
    MonitoredPriorityResource,
    MonitoredResource,
    MonitoredStore,
    PriorityContainer,
)
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


# --- MonitoredContainer ------------------------------------------------------------------------


def getter(env, log, box, name, arrive, amount, **options):
    yield env.timeout(arrive)
    yield box.get(amount, entity=name, **options)
    log.append((f"{name} got {amount}", env.now))


def putter(env, log, box, name, arrive, amount):
    yield env.timeout(arrive)
    yield box.put(amount, entity=name)
    log.append((f"{name} put {amount}", env.now))


def test_container_serves_withdrawals_first_come_first_served(env):
    log: list = []
    trace = Trace(enabled=True)
    box = MonitoredContainer(env, capacity=10, init=2, name="water", trace=trace)
    env.process(getter(env, log, box, "a", 0, 5))
    env.process(getter(env, log, box, "b", 1, 1))  # fits, but waits behind a (FIFO)
    env.process(putter(env, log, box, "truck", 2, 4))
    env.run(until=5)

    assert log == [("truck put 4", 2), ("a got 5", 2), ("b got 1", 2)]
    assert box.level == 0
    assert box.waits.values.tolist() == [2, 1]
    assert box.put_waits.values.tolist() == [0]
    assert series(box.queue_length, [0, 1, 2, 5]) == [1, 2, 0, 0]
    # Stock 2 until t=2, where it goes 6 -> 1 -> 0 within the instant.
    assert series(box.stock, [0, 1.9, 2, 5]) == [2, 2, 0, 0]
    assert box.stock.peak == 6
    assert box.stock.mean() == pytest.approx(2 * 2 / 5)
    assert rows(trace) == [
        (0, "request", "a", "water", 5), (1, "request", "b", "water", 1),
        (2, "request", "truck", "water", 4), (2, "put", "truck", "water", 4),
        (2, "get", "a", "water", 5), (2, "get", "b", "water", 1),
    ]


def test_container_put_waits_while_full(env):
    log: list = []
    box = MonitoredContainer(env, capacity=10, init=8, name="tank")
    env.process(putter(env, log, box, "truck", 0, 5))
    env.process(getter(env, log, box, "pump", 3, 4))
    env.run()

    assert log == [("pump got 4", 3), ("truck put 5", 3)]
    assert box.level == 9
    assert box.put_waits.values.tolist() == [3]
    assert series(box.stock, [0, 3]) == [8, 9]
    assert box.stock.peak == 9  # 8 -> 4 -> 9 within t=3


# --- PriorityContainer -------------------------------------------------------------------------


def supply(env, log, box, deliveries):
    for at, amount in deliveries:
        yield env.timeout(at - env.now)
        yield box.put(amount, entity="depot")
        log.append((f"put {amount}", env.now))


def test_strict_priority_container_keeps_stock_for_the_most_important_request(env):
    log: list = []
    trace = Trace(enabled=True)
    box = PriorityContainer(env, name="fuel", trace=trace, strict=True)
    env.process(getter(env, log, box, "low", 0, 2, priority=5))
    env.process(getter(env, log, box, "high", 1, 6, priority=0))
    env.process(supply(env, log, box, [(2, 3), (3, 4), (4, 1)]))
    env.run()

    # t=2: level 3 would fit "low", but "high" (6) comes first and holds it back.
    assert log == [("put 3", 2), ("put 4", 3), ("high got 6", 3), ("put 1", 4),
                   ("low got 2", 4)]
    assert box.level == 0
    assert box.waits.values.tolist() == [2, 4]
    assert series(box.queue_length, [0, 1, 2, 3, 4]) == [1, 2, 2, 1, 0]
    assert series(box.stock, [0, 2, 3, 4]) == [0, 3, 1, 0]
    assert [(row[0], row[2]) for row in trace.rows("get")] == [(3, "high"), (4, "low")]


def test_non_strict_priority_container_serves_lower_priorities_that_fit(env):
    log: list = []
    box = PriorityContainer(env, name="fuel", strict=False)
    env.process(getter(env, log, box, "low", 0, 2, priority=5))
    env.process(getter(env, log, box, "high", 1, 6, priority=0))
    env.process(supply(env, log, box, [(2, 3), (3, 4), (4, 1)]))
    env.run()

    assert log == [("put 3", 2), ("low got 2", 2), ("put 4", 3), ("put 1", 4),
                   ("high got 6", 4)]
    assert box.level == 0
    assert series(box.stock, [0, 2, 3, 4]) == [0, 1, 5, 0]


def test_priority_container_is_first_come_first_served_among_equal_priorities(env):
    log: list = []
    box = PriorityContainer(env, name="fuel")
    env.process(getter(env, log, box, "first", 0, 3, priority=1))
    env.process(getter(env, log, box, "second", 1, 3, priority=1))
    env.process(getter(env, log, box, "third", 1, 3, priority=1))
    env.process(supply(env, log, box, [(2, 3), (3, 6)]))
    env.run()

    assert log == [("put 3", 2), ("first got 3", 2), ("put 6", 3), ("second got 3", 3),
                   ("third got 3", 3)]


# --- MonitoredStore ----------------------------------------------------------------------------


def test_store_hands_items_over_in_order_and_blocks_puts_when_full(env):
    log: list = []
    trace = Trace(enabled=True)
    store = MonitoredStore(env, capacity=2, name="shelf", trace=trace)

    def consumer(name, arrive):
        yield env.timeout(arrive)
        item = yield store.get(entity=name)
        log.append((f"{name} got {item}", env.now))

    def producer():
        yield env.timeout(1)
        for item in ("p1", "p2", "p3", "p4"):
            yield store.put(item, entity=item)
            log.append((f"put {item}", env.now))

    env.process(consumer("c1", 0))
    env.process(producer())
    env.process(consumer("c2", 5))
    env.run()

    assert log == [("put p1", 1), ("c1 got p1", 1), ("put p2", 1), ("put p3", 1),
                   ("c2 got p2", 5), ("put p4", 5)]
    assert store.items == ["p3", "p4"]
    assert store.waits.values.tolist() == [1, 0]
    assert series(store.queue_length, [0, 1, 5]) == [1, 0, 0]
    assert series(store.size, [0, 1, 4.9, 5]) == [0, 2, 2, 2]
    assert [row[1:] for row in rows(trace) if row[1] != "request"] == [
        ("put", "p1", "shelf", 1), ("get", "c1", "shelf", 0), ("put", "p2", "shelf", 1),
        ("put", "p3", "shelf", 2), ("get", "c2", "shelf", 1), ("put", "p4", "shelf", 2),
    ]


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


def test_explicit_cancel_of_a_queued_container_get(env):
    trace = Trace(enabled=True)
    box = MonitoredContainer(env, name="water", trace=trace)
    gets = []

    def waiter():
        gets.append(box.get(5, entity="w"))
        yield env.timeout(2)
        gets[0].cancel()

    env.process(waiter())
    env.process(supply(env, [], box, [(3, 5)]))
    env.run()

    assert not gets[0].triggered
    assert box.level == 5  # the cancelled request took nothing
    assert series(box.queue_length, [0, 2, 3]) == [1, 0, 0]
    assert [row[:3] for row in trace.rows()] == [
        (0, "request", "w"), (2, "cancel", "w"), (3, "request", "depot"), (3, "put", "depot")]


def test_cancelling_a_granted_request_changes_nothing(env):
    trace = Trace(enabled=True)
    res = MonitoredResource(env, capacity=1, name="boat", trace=trace)
    req = res.request(entity="a")
    req.cancel()  # already granted: cancel is a no-op, the request still holds the unit
    assert req.triggered and res.count == 1
    assert [row[1] for row in trace.rows()] == ["request", "grant"]


def impatient(env, log, box, name, arrive, amount, priority, patience):
    """Ask for ``amount``; give up (cancel the request) after ``patience`` minutes."""
    yield env.timeout(arrive)
    req = box.get(amount, priority=priority, entity=name)
    result = yield req | env.timeout(patience)
    if req in result:
        log.append((f"{name} got {amount}", env.now))
    else:
        req.cancel()
        log.append((f"{name} gave up", env.now))


@pytest.mark.parametrize("strict", [True, False])
def test_cancelled_priority_requests_stop_holding_back_the_rest(env, strict):
    # Stock 5. "big" (10) gives up at t=3, "medium" (6) at t=4; "small" (2) fits all along.
    log: list = []
    trace = Trace(enabled=True)
    box = PriorityContainer(env, init=5, name="fuel", trace=trace, strict=strict)
    env.process(impatient(env, log, box, "big", 0, 10, priority=0, patience=3))
    env.process(impatient(env, log, box, "medium", 1, 6, priority=1, patience=3))
    env.process(impatient(env, log, box, "small", 2, 2, priority=5, patience=10))
    env.run()

    if strict:
        # Once "big" leaves, "medium" heads the queue and still holds "small" back; once
        # "medium" leaves too, "small" is served at once (not at some later delivery).
        assert log == [("big gave up", 3), ("medium gave up", 4), ("small got 2", 4)]
        assert series(box.queue_length, [0, 1, 2, 3, 4]) == [1, 2, 3, 2, 0]
        assert series(box.stock, [0, 3.9, 4]) == [5, 5, 3]
        assert [row[:3] for row in trace.rows() if row[1] != "request"] == [
            (3, "cancel", "big"), (4, "cancel", "medium"), (4, "get", "small")]
    else:
        assert log == [("small got 2", 2), ("big gave up", 3), ("medium gave up", 4)]
        assert series(box.queue_length, [0, 1, 2, 3, 4]) == [1, 2, 2, 1, 0]
        assert series(box.stock, [0, 2, 4]) == [5, 3, 3]
    assert box.waits.values.tolist() == [2 if strict else 0]


def test_cancelling_the_fifo_head_serves_the_next_withdrawal(env):
    log: list = []
    box = MonitoredContainer(env, init=5, name="water")

    def big():
        req = box.get(10, entity="big")
        yield env.timeout(3)
        req.cancel()
        log.append(("big gave up", env.now))

    env.process(big())
    env.process(getter(env, log, box, "small", 1, 2))  # fits, but waits behind "big" (FIFO)
    env.run()

    assert log == [("big gave up", 3), ("small got 2", 3)]
    assert box.level == 3
    assert series(box.queue_length, [0, 1, 3]) == [1, 2, 0]
    assert box.waits.values.tolist() == [2]


# --- invariant: stock is conserved and stays within [0, capacity] ------------------------------

operations = st.lists(
    st.tuples(
        st.integers(0, 40),  # time of the request
        st.sampled_from(["put", "get"]),
        st.integers(1, 12),  # amount
        st.integers(0, 3),  # priority of a get
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(ops=operations, capacity=st.integers(5, 20), init=st.integers(0, 20),
       strict=st.booleans(), cancel_at=st.one_of(st.none(), st.integers(0, 50)))
def test_priority_container_conserves_stock_within_bounds(ops, capacity, init, strict,
                                                          cancel_at):
    init = min(init, capacity)
    env = simpy.Environment()
    box = PriorityContainer(env, capacity=capacity, init=init, strict=strict)
    requests: list = []

    def request(at, kind, amount, priority):
        yield env.timeout(at)
        event = box.put(amount) if kind == "put" else box.get(amount, priority=priority)
        requests.append((kind, amount, event))
        yield event

    def canceller():
        # Abandon every request still waiting at `cancel_at`.
        yield env.timeout(cancel_at)
        for _, _, event in requests:
            event.cancel()

    for op in ops:
        env.process(request(*op))
    if cancel_at is not None:
        env.process(canceller())
    env.run(until=60)

    put = sum(amount for kind, amount, event in requests if kind == "put" and event.triggered)
    got = sum(amount for kind, amount, event in requests if kind == "get" and event.triggered)
    assert init + put - got == box.level == box.stock.current
    _, levels = box.stock.arrays()
    assert levels.min() >= 0
    assert box.stock.peak <= capacity and levels.max() <= capacity
    assert box.waits.count == sum(1 for kind, _, e in requests if kind == "get" and e.triggered)
    assert box.queue_length.current == len(box.get_queue)
