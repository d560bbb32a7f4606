"""Population: the ledger conserves people exactly; cohorts are integer, alert before action."""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from models.population import Ledger, State, group_counts, sample_cohorts
from models.zones import Zone

PEOPLE = np.array([[10, 50, 20], [0, 7, 3]])   # zones x (children, adults, elderly)


def make_zone(children: float = 0.2, elderly: float = 0.15) -> Zone:
    return Zone(id="z", lon=113.0, lat=33.0, area_km2=4.0, population_night=1000,
                share_children=children, share_elderly=elderly, share_multistorey=0.5,
                ground_elevation_m=50.0, gauge="G1")


def totals_by_state(ledger: Ledger) -> list[int]:
    return ledger.counts.sum(axis=(0, 2)).tolist()


# --- ledger ---------------------------------------------------------------------------------------

def test_everybody_starts_at_home():
    ledger = Ledger(simpy.Environment(), PEOPLE)
    assert ledger.total == 90
    np.testing.assert_array_equal(ledger.counts[:, State.AT_HOME], PEOPLE)
    assert ledger.state_total(State.AT_HOME) == 90
    assert all(ledger.state_total(s) == 0 for s in State if s != State.AT_HOME)
    assert ledger.monitors[State.AT_HOME].current == 90.0
    assert ledger.monitors[State.DEAD].current == 0.0


def test_move_shifts_people_between_states_of_one_zone():
    ledger = Ledger(simpy.Environment(), PEOPLE)
    ledger.move(0, State.AT_HOME, State.WARNED, np.array([1, 2, 3]))
    ledger.move(0, State.WARNED, State.PUBLIC_SHELTER, np.array([0, 2, 1]))
    assert ledger.held(0, State.AT_HOME).tolist() == [9, 48, 17]
    assert ledger.held(0, State.WARNED).tolist() == [1, 0, 2]
    assert ledger.held(0, State.PUBLIC_SHELTER).tolist() == [0, 2, 1]
    assert ledger.held(1, State.AT_HOME).tolist() == [0, 7, 3]   # other zone untouched
    assert ledger.state_total(State.PUBLIC_SHELTER) == 3


def test_held_is_a_copy():
    ledger = Ledger(simpy.Environment(), PEOPLE)
    held = ledger.held(0, State.AT_HOME)
    held[:] = 0
    assert ledger.held(0, State.AT_HOME).tolist() == [10, 50, 20]


@pytest.mark.parametrize("people", [np.array([11, 0, 0]), np.array([2, -1, 0]),
                                    np.array([0, 0, 21])])
def test_invalid_move_raises_and_changes_nothing(people):
    ledger = Ledger(simpy.Environment(), PEOPLE)
    ledger.move(0, State.AT_HOME, State.WARNED, np.array([0, 0, 1]))
    before = ledger.counts.copy()
    monitors = {s: m.arrays() for s, m in ledger.monitors.items()}
    with pytest.raises(ValueError, match="cannot move"):
        ledger.move(0, State.AT_HOME, State.WARNED, people)
    np.testing.assert_array_equal(ledger.counts, before)
    assert [ledger.state_total(s) for s in State] == totals_by_state(ledger)
    for state, (times, values) in monitors.items():
        after_times, after_values = ledger.monitors[state].arrays()
        np.testing.assert_array_equal(after_times, times)
        np.testing.assert_array_equal(after_values, values)


def test_negative_entries_that_sum_to_zero_are_rejected():
    ledger = Ledger(simpy.Environment(), PEOPLE)
    with pytest.raises(ValueError):
        ledger.move(0, State.AT_HOME, State.WARNED, np.array([1, -1, 0]))


def test_an_all_zero_move_is_a_no_op():
    ledger = Ledger(simpy.Environment(), PEOPLE)
    ledger.move(1, State.WARNED, State.DEAD, np.zeros(3, dtype=np.int64))
    np.testing.assert_array_equal(ledger.counts[:, State.AT_HOME], PEOPLE)


@st.composite
def move_sequences(draw):
    """A population and a sequence of (zone, src, dst, fractions) moves."""
    zones = draw(st.integers(1, 3))
    people = np.array(draw(st.lists(st.lists(st.integers(0, 40), min_size=3, max_size=3),
                                    min_size=zones, max_size=zones)))
    moves = draw(st.lists(st.tuples(st.integers(0, zones - 1), st.sampled_from(list(State)),
                                    st.sampled_from(list(State)),
                                    st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3),
                                    st.integers(0, 3)),
                          max_size=40))
    return people, moves


@settings(max_examples=150, deadline=None)
@given(case=move_sequences())
def test_random_moves_conserve_people_and_monitors_follow_totals(case):
    people, moves = case
    env = simpy.Environment()
    ledger = Ledger(env, people)
    total = int(people.sum())
    for zone, src, dst, fractions, excess in moves:
        held = ledger.held(zone, src)
        n = np.floor(held * np.array(fractions)).astype(np.int64)
        if excess:   # every few moves, ask for more than is there: refused, nothing changes
            bad = n.copy()
            bad[excess - 1] = held[excess - 1] + 1
            before = ledger.counts.copy()
            with pytest.raises(ValueError):
                ledger.move(zone, src, dst, bad)
            np.testing.assert_array_equal(ledger.counts, before)
        ledger.move(zone, src, dst, n)
        assert ledger.counts.sum() == total
        assert (ledger.counts >= 0).all()
    assert ledger.total == total
    by_state = totals_by_state(ledger)
    assert [ledger.state_total(s) for s in State] == by_state
    assert [ledger.monitors[s].current for s in State] == [float(x) for x in by_state]


def test_monitors_trace_state_totals_over_time():
    env = simpy.Environment()
    ledger = Ledger(env, PEOPLE)

    def timeline():
        yield env.timeout(10)
        ledger.move(0, State.AT_HOME, State.WARNED, np.array([5, 10, 5]))
        yield env.timeout(20)
        ledger.move(0, State.WARNED, State.IN_TRANSIT, np.array([5, 5, 0]))
        ledger.move(1, State.AT_HOME, State.IN_TRANSIT, np.array([0, 2, 0]))
        yield env.timeout(30)
        ledger.move(0, State.IN_TRANSIT, State.PUBLIC_SHELTER, np.array([5, 5, 0]))

    env.process(timeline())
    env.run(until=100)
    assert ledger.monitors[State.AT_HOME].arrays()[1].tolist() == [90, 70, 68]
    assert ledger.monitors[State.WARNED].arrays()[0].tolist() == [0, 10, 30]
    assert ledger.monitors[State.WARNED].arrays()[1].tolist() == [0, 20, 10]
    assert ledger.monitors[State.IN_TRANSIT].arrays()[1].tolist() == [0, 12, 2]
    assert ledger.monitors[State.PUBLIC_SHELTER].series([59, 60]).tolist() == [0, 10]
    # time-weighted mean of people warned: 20 for 20 min, 10 for 70 min, over 100 min
    assert ledger.monitors[State.WARNED].mean() == pytest.approx((20 * 20 + 10 * 70) / 100)


# --- groups ---------------------------------------------------------------------------------------

def test_group_counts_split_people_exactly_and_reproducibly():
    zone = make_zone()
    a = group_counts(zone, 10_000, np.random.default_rng(3))
    b = group_counts(zone, 10_000, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.sum() == 10_000
    np.testing.assert_allclose(a / 10_000, [0.2, 0.65, 0.15], atol=0.02)
    assert group_counts(make_zone(0.0, 0.0), 50, np.random.default_rng(3)).tolist() == [0, 50, 0]


# --- cohorts --------------------------------------------------------------------------------------

BINS = 12
TIMES = np.arange(BINS) * 10.0


def alert_curves(rng: np.random.Generator, zones: int, final: np.ndarray) -> np.ndarray:
    """Random non-decreasing alert shares ending at ``final[z]``."""
    steps = rng.dirichlet(np.ones(BINS), size=zones)
    return np.cumsum(steps, axis=1) * final[:, None]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), never_act=st.floats(0.0, 1.0),
       pai_bins=st.integers(1, 2 * BINS), pai_final=st.floats(0.5, 1.0))
def test_cohorts_are_integer_bounded_and_nobody_acts_before_alerted(seed, never_act, pai_bins,
                                                                     pai_final):
    rng = np.random.default_rng(seed)
    people = rng.integers(0, 500, size=(3, 3))
    alert = alert_curves(rng, 3, rng.uniform(0.0, 1.0, 3))
    pai = np.minimum(np.linspace(0.0, pai_final, pai_bins), 1.0)
    cohorts = sample_cohorts(TIMES, people, alert, pai, never_act, rng)
    for counts in (cohorts.alerted, cohorts.acting):
        assert np.issubdtype(counts.dtype, np.integer)
        assert counts.shape == (3, 3, BINS)
        assert (counts >= 0).all()
    assert (cohorts.alerted.sum(axis=2) <= people).all()
    assert (cohorts.acting.sum(axis=2) <= cohorts.alerted.sum(axis=2)).all()
    assert (np.cumsum(cohorts.acting, axis=2) <= np.cumsum(cohorts.alerted, axis=2)).all()


def test_nobody_acts_when_never_act_is_one():
    rng = np.random.default_rng(5)
    alert = alert_curves(rng, 2, np.array([0.9, 1.0]))
    cohorts = sample_cohorts(TIMES, PEOPLE, alert, np.ones(BINS), 1.0, rng)
    assert cohorts.alerted.sum() > 0
    assert cohorts.acting.sum() == 0


def test_everybody_alerted_acts_at_once_with_instant_pai_and_never_act_zero():
    rng = np.random.default_rng(5)
    alert = alert_curves(rng, 2, np.array([0.9, 1.0]))
    cohorts = sample_cohorts(TIMES, PEOPLE, alert, np.ones(BINS), 0.0, rng)
    np.testing.assert_array_equal(cohorts.acting, cohorts.alerted)


def test_a_one_bin_pai_delay_shifts_action_by_one_bin():
    rng = np.random.default_rng(5)
    alert = alert_curves(rng, 2, np.array([0.9, 1.0]))
    pai = np.r_[0.0, np.ones(BINS - 1)]
    cohorts = sample_cohorts(TIMES, PEOPLE, alert, pai, 0.0, rng)
    np.testing.assert_array_equal(cohorts.acting[..., 1:], cohorts.alerted[..., :-1])
    assert not cohorts.acting[..., 0].any()   # the last bin's alerted act past the horizon


def test_everybody_alerted_in_the_first_bin_when_the_share_starts_at_one():
    cohorts = sample_cohorts(TIMES, PEOPLE, np.ones((2, BINS)), np.ones(BINS), 0.0,
                             np.random.default_rng(0))
    np.testing.assert_array_equal(cohorts.alerted[..., 0], PEOPLE)
    assert not cohorts.alerted[..., 1:].any()


def test_cohort_shares_match_the_alert_curve_for_a_large_population():
    people = np.array([[200_000, 600_000, 200_000]])
    alert = np.linspace(0.1, 0.8, BINS)[None, :]
    cohorts = sample_cohorts(TIMES, people, alert, np.linspace(0.0, 1.0, BINS), 0.2,
                             np.random.default_rng(9))
    share = np.cumsum(cohorts.alerted.sum(axis=1)[0]) / people.sum()
    np.testing.assert_allclose(share, alert[0], atol=3e-3)
    acted = cohorts.acting.sum() / cohorts.alerted.sum()
    assert 0.0 < acted < 0.8 + 3e-3     # 80 % ever act, some after the horizon


def test_same_seed_gives_the_same_cohorts():
    alert = alert_curves(np.random.default_rng(1), 2, np.array([0.7, 0.9]))
    pai = np.linspace(0.0, 1.0, BINS)
    a = sample_cohorts(TIMES, PEOPLE, alert, pai, 0.1, np.random.default_rng(42))
    b = sample_cohorts(TIMES, PEOPLE, alert, pai, 0.1, np.random.default_rng(42))
    np.testing.assert_array_equal(a.alerted, b.alerted)
    np.testing.assert_array_equal(a.acting, b.acting)
    np.testing.assert_array_equal(a.times, TIMES)
