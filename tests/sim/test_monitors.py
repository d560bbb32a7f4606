"""Level monitors (time-weighted) and tally monitors, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.monitors import LevelMonitor, TallyMonitor


def play(env: simpy.Environment, monitor: LevelMonitor, steps, until: float) -> None:
    """Record each (time, value) of ``steps`` at its time, then run to ``until``."""

    def driver():
        for at, value in steps:
            yield env.timeout(at - env.now)
            monitor.record(value)

    env.process(driver())
    env.run(until=until)


@pytest.fixture
def level(env: simpy.Environment) -> LevelMonitor:
    """Level 0 on [0, 2), 3 on [2, 5), 1 on [5, 8) (after a transient 6 at t=5), 2 on [8, 10]."""
    monitor = LevelMonitor(env, "queue")
    play(env, monitor, [(2, 3), (5, 6), (5, 1), (8, 2)], until=10)
    return monitor


def test_changes_are_stored_once_per_instant(level: LevelMonitor):
    times, values = level.arrays()
    assert times.tolist() == [0, 2, 5, 8]
    assert values.tolist() == [0, 3, 1, 2]
    assert level.current == 2
    assert level.start == 0


def test_time_weighted_mean(level: LevelMonitor):
    assert level.mean() == pytest.approx((0 * 2 + 3 * 3 + 1 * 3 + 2 * 2) / 10)  # 1.6
    assert level.mean(until=6) == pytest.approx((0 * 2 + 3 * 3 + 1 * 1) / 6)
    assert level.mean(until=12) == pytest.approx((16 + 2 * 2) / 12)  # the last level holds on


def test_max_counts_held_values_and_peak_keeps_the_transient(level: LevelMonitor):
    assert level.max() == 3
    assert level.max(until=2) == 0  # the 3 set at t=2 has not held for any time yet
    assert level.peak == 6  # the same-instant transient at t=5


def test_time_at_or_above(level: LevelMonitor):
    assert level.time_at_or_above(2) == pytest.approx(3 + 2)
    assert level.time_at_or_above(1) == pytest.approx(3 + 3 + 2)
    assert level.time_at_or_above(4) == 0
    assert level.time_at_or_above(-math.inf) == pytest.approx(10)
    assert level.time_at_or_above(3, until=4) == pytest.approx(2)


def test_series_on_a_grid(level: LevelMonitor):
    grid = [0, 1.5, 2, 4.9, 5, 7, 8, 10]
    # At a change instant the series shows the level after all changes at that instant.
    assert level.series(grid).tolist() == [0, 0, 3, 3, 1, 1, 2, 2]


def test_series_before_the_monitor_started_takes_its_initial_value(env: simpy.Environment):
    env.run(until=3)
    monitor = LevelMonitor(env, "stock", initial=5)
    play(env, monitor, [(4, 7)], until=6)
    assert monitor.start == 3
    assert monitor.series([0, 2.9, 3, 3.5, 4, 6]).tolist() == [5, 5, 5, 5, 7, 7]


def test_series_before_start_keeps_the_initial_value_after_a_change_at_the_start(env):
    # Regression: a change at the creation instant overwrites the first stored value; a shelter
    # opened at t=3 and filled at once must not show as full before it opened.
    env.run(until=3)
    monitor = LevelMonitor(env, "shelter", initial=0)
    monitor.record(7)
    env.run(until=5)
    assert monitor.series([0, 2.9, 3, 4]).tolist() == [0, 0, 7, 7]
    assert monitor.mean() == 7


def test_mean_before_the_monitor_started_is_an_error(env: simpy.Environment):
    env.run(until=3)
    monitor = LevelMonitor(env, initial=1)
    with pytest.raises(ValueError, match="before the monitor started"):
        monitor.mean(until=2)


def test_statistics_at_time_zero_give_the_current_value(env: simpy.Environment):
    monitor = LevelMonitor(env, initial=4)
    monitor.record(9)  # same instant as the start: replaces the initial value
    assert monitor.mean() == 9
    assert monitor.max() == 9
    assert monitor.time_at_or_above(0) == 0
    assert monitor.peak == 9


def test_recording_an_unchanged_value_adds_no_change_point(env: simpy.Environment):
    monitor = LevelMonitor(env, initial=2)
    play(env, monitor, [(1, 2), (3, 2), (4, 5)], until=5)
    times, values = monitor.arrays()
    assert times.tolist() == [0, 4]
    assert values.tolist() == [2, 5]


# --- tallies -----------------------------------------------------------------------------------


def test_tally_statistics():
    tally = TallyMonitor("wait")
    for value in (4, 1, 3, 2):
        tally.observe(value)
    assert tally.count == 4
    assert tally.values.tolist() == [4, 1, 3, 2]
    assert tally.mean() == 2.5
    assert tally.quantile(0.5) == 2.5
    assert tally.quantile(0.9) == pytest.approx(3.7)  # linear: 3 + 0.7 * (4 - 3)
    np.testing.assert_allclose(tally.quantile([0, 1]), [1, 4])
    assert tally.summary() == pytest.approx(
        {"count": 4, "mean": 2.5, "p50": 2.5, "p90": 3.7, "max": 4})


def test_empty_tally_gives_nan():
    tally = TallyMonitor("wait")
    assert tally.count == 0
    assert tally.values.size == 0
    assert math.isnan(tally.mean())
    assert math.isnan(tally.quantile(0.9))
    quantiles = tally.quantile([0.5, 0.9])
    assert quantiles.shape == (2,) and np.isnan(quantiles).all()
    summary = tally.summary()
    assert summary["count"] == 0
    assert all(math.isnan(summary[key]) for key in ("mean", "p50", "p90", "max"))


# --- invariants --------------------------------------------------------------------------------

# Gaps in quarter minutes keep the event times exact in binary floating point; a gap of 0 makes
# several changes at the same instant.
quarters = st.integers(0, 200).map(lambda k: k / 4)
steps_strategy = st.lists(st.tuples(quarters, st.integers(-20, 20)), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(steps=steps_strategy, initial=st.integers(-20, 20),
       tail=st.integers(1, 80).map(lambda k: k / 4))
def test_level_monitor_invariants(steps, initial, tail):
    env = simpy.Environment()
    monitor = LevelMonitor(env, initial=initial)
    at, timeline = 0.0, []
    for gap, value in steps:
        at += gap
        timeline.append((at, value))
    end = at + tail
    play(env, monitor, timeline, until=end)

    # Reference: the value in force after each instant, held until the next instant.
    held = {0.0: initial}
    for t, value in timeline:
        held[t] = value
    instants = sorted(held)
    durations = np.diff([*instants, end])
    values = np.array([held[t] for t in instants], dtype=float)
    positive = values[durations > 0]

    assert positive.min() - 1e-9 <= monitor.mean() <= positive.max() + 1e-9
    assert monitor.mean() == pytest.approx(np.dot(durations, values) / end)
    assert monitor.max() == positive.max()
    assert monitor.peak == max(initial, *(value for _, value in steps))
    assert monitor.time_at_or_above(-math.inf) == pytest.approx(end)
    assert monitor.time_at_or_above(0) == pytest.approx(durations[values >= 0].sum())
    assert monitor.series([end]).tolist() == [held[instants[-1]]]
