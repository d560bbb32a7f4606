"""The flood model's fast paths give exactly what the plain computations they replace give.

Speed work on the flood model (see docs/models/flood.md, "Speed") must not change a single
result. Each shortcut is checked here against the straightforward formulation it stands for:
cohort action bins summed by a reshape instead of a loop over delays, the last part of a
departing group handed over whole, one zone's depth without the others, a group's tally
observation kept once with its count, the dispatcher's plain-loop choice of the fastest
unit (earliest listed on a tie), and the ledger's three-group moves unrolled.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from models.flood.run import _split_people
from models.hazards.flood import HazardField
from models.population import Ledger, State, _sum_by_bin, sample_cohorts
from models.rescue import RescueRequest, RescueSection, RescueService, TeamSpec
from models.zones import Zone
from sim.monitors import TallyMonitor
from sim.trace import Trace

# --- cohorts -------------------------------------------------------------------------------------


def _sum_by_bin_loop(delays: np.ndarray) -> np.ndarray:
    """The plain formulation: out[g, i + d] += delays[g, i, d]."""
    groups, bins, k = delays.shape
    out = np.zeros((groups, bins + k - 1), dtype=delays.dtype)
    for d in range(k):
        out[:, d : d + bins] += delays[:, :, d]
    return out


@settings(max_examples=200, deadline=None)
@given(groups=st.integers(1, 3), bins=st.integers(1, 12), k=st.integers(1, 15),
       seed=st.integers(0, 2**32 - 1))
def test_sum_by_bin_equals_the_loop_over_delays(groups, bins, k, seed):
    delays = np.random.default_rng(seed).integers(0, 1000, size=(groups, bins, k))
    np.testing.assert_array_equal(_sum_by_bin(delays), _sum_by_bin_loop(delays))


def _sample_cohorts_loop(times, people, alert_share, pai_cdf, never_act, rng):
    """sample_cohorts as first written (a Python loop over the action delay)."""
    zones, groups = people.shape
    bins = alert_share.shape[1]
    p_alert = np.diff(alert_share, axis=1, prepend=0.0).clip(min=0.0)
    p_delay = np.diff(pai_cdf, prepend=0.0).clip(min=0.0)
    p_delay = np.append(p_delay, max(0.0, 1.0 - p_delay.sum()))
    p_delay /= p_delay.sum()
    alerted = np.zeros((zones, groups, bins), dtype=np.int64)
    acting = np.zeros((zones, groups, bins), dtype=np.int64)
    for z in range(zones):
        probs = np.append(p_alert[z], max(0.0, 1.0 - p_alert[z].sum()))
        probs /= probs.sum()
        counts = rng.multinomial(people[z], probs)[:, :bins]
        alerted[z] = counts
        acts = rng.binomial(counts, 1.0 - never_act)
        delays = rng.multinomial(acts, p_delay)
        k = delays.shape[2] - 1
        for shift in range(min(k, bins)):
            acting[z, :, shift:] += delays[:, : bins - shift, shift]
    return alerted, acting


@settings(max_examples=60, deadline=None)
@given(bins=st.integers(1, 10), pai_bins=st.integers(1, 14), seed=st.integers(0, 2**32 - 1),
       never_act=st.sampled_from([0.0, 0.1, 1.0]))
def test_cohorts_are_drawn_and_summed_as_before(bins, pai_bins, seed, never_act):
    times = np.arange(bins) * 15.0
    people = np.array([[300, 1200, 500], [0, 7, 1]])
    alert = np.cumsum(np.full((2, bins), 0.9 / bins), axis=1)
    pai = np.linspace(0.0, 1.0, pai_bins)
    new = sample_cohorts(times, people, alert, pai, never_act, np.random.default_rng(seed))
    alerted, acting = _sample_cohorts_loop(times, people, alert, pai, never_act,
                                           np.random.default_rng(seed))
    np.testing.assert_array_equal(new.alerted, alerted)
    np.testing.assert_array_equal(new.acting, acting)


# --- splitting a departing group -----------------------------------------------------------------


def _split_people_general(people, sizes):
    """Largest remainder for every part, the last one included."""
    left, remaining, parts = list(people), sum(people), []
    for size in sizes:
        size = min(size, remaining)
        if size <= 0:
            parts.append([0] * len(left))
            continue
        share = [n * size / remaining for n in left]
        part = [int(x) for x in share]
        for g in sorted(range(len(left)), key=lambda g: part[g] - share[g])[: size - sum(part)]:
            part[g] += 1
        parts.append(part)
        left = [n - p for n, p in zip(left, part, strict=True)]
        remaining -= size
    return parts


@settings(max_examples=300, deadline=None)
@given(people=st.lists(st.integers(0, 3_000_000), min_size=3, max_size=3),
       cuts=st.lists(st.floats(0, 1), max_size=4))
def test_the_last_part_handed_over_whole_is_what_the_shares_give(people, cuts):
    total = sum(people)
    sizes = [int(c * total) for c in cuts]
    sizes.append(max(0, total - sum(sizes)))
    assert _split_people(people, sizes) == _split_people_general(people, sizes)


# --- hazard --------------------------------------------------------------------------------------


def test_one_zone_depth_is_exactly_its_entry_of_all_zones_depths():
    rng = np.random.default_rng(3)
    times = np.array([0.0, 20.0, 40.0, 60.0, 90.0])
    depth = rng.random((4, times.size)) * 3
    field = HazardField(times, depth, depth / 2, np.zeros(4))
    for t in [-5.0, 0.0, 7.3, 20.0, 33.333, 59.999, 60.0, 75.5, 90.0, 200.0,
              *rng.uniform(0, 90, 50)]:
        all_zones, _ = field.at(t)
        for z in range(4):
            assert field.depth_at(z, t) == float(all_zones[z])   # bit for bit


# --- tallies -------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(obs=st.lists(st.tuples(st.floats(-1e6, 1e6), st.integers(0, 50)), max_size=30))
def test_a_counted_observation_is_that_many_single_ones(obs):
    counted, single = TallyMonitor(), TallyMonitor()
    for value, count in obs:
        counted.observe(value, count)
        for _ in range(count):
            single.observe(value)
    assert counted.count == single.count
    np.testing.assert_array_equal(counted.values, single.values)
    if single.count:
        assert counted.mean() == single.mean()
        assert counted.quantile(0.9) == single.quantile(0.9)
        np.testing.assert_array_equal(counted.quantile([0.1, 0.5]), single.quantile([0.1, 0.5]))
        assert counted.summary() == single.summary()
    else:
        assert math.isnan(counted.mean()) and math.isnan(counted.quantile(0.5))


# --- rescue dispatch -----------------------------------------------------------------------------


def test_of_identical_free_units_the_first_listed_is_sent():
    """Two units of one team at one base: equal arrival times; the first in the pool goes."""
    env = simpy.Environment()
    zone = Zone(id="river", lon=113.0, lat=33.0, area_km2=4.0, population_night=1000,
                share_children=0.2, share_elderly=0.2, share_multistorey=0.5,
                ground_elevation_m=50.0, gauge="G1")
    team = TeamSpec(id="boat", type="water_rescue", base_lon=113.0, base_lat=33.1,
                    people_per_trip=10, count=2)
    trace = Trace(enabled=True)
    rescued: list[tuple[float, int]] = []

    def on_rescued(req: RescueRequest, people: np.ndarray, upper: np.ndarray) -> None:
        rescued.append((env.now, int(people.sum())))

    service = RescueService(env, RescueSection(teams=[team]), [zone], on_rescued, trace)
    service.request(0, np.array([0, 5, 0]), np.zeros(3, dtype=np.int64), 2)
    env.run(until=1000)
    assert [entity for _, _, entity, _, _ in trace.rows("rescued")] == ["team-boat-0"]
    assert [n for _, n in rescued] == [5]


# --- ledger --------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), groups=st.sampled_from([2, 3, 4]))
def test_ledger_moves_equal_the_plain_array_arithmetic(seed, groups):
    """The three-group move is unrolled (others take the loop): a random walk of moves, valid
    and invalid, leaves the same counts, totals and levels as array arithmetic."""
    rng = np.random.default_rng(seed)
    people = rng.integers(0, 20, size=(2, groups))
    env = simpy.Environment()
    ledger = Ledger(env, people)
    expected = np.zeros((2, len(State), groups), dtype=np.int64)
    expected[:, State.AT_HOME] = people
    for _ in range(40):
        z = int(rng.integers(2))
        src, dst = (State(int(s)) for s in rng.integers(0, len(State), size=2))
        moved = rng.integers(-1, 8, size=groups).tolist()
        if min(moved) < 0 or (np.array(moved) > expected[z, src]).any():
            with pytest.raises(ValueError):
                ledger.move(z, src, dst, moved)
        else:
            ledger.move(z, src, dst, moved)
            expected[z, src] -= moved
            expected[z, dst] += moved
        np.testing.assert_array_equal(ledger.counts, expected)
        for s in State:
            assert ledger.state_total(s) == expected[:, s].sum()
            assert ledger.monitors[s].current == expected[:, s].sum()
