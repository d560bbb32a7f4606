"""Risk while waiting for rescue (models/waiting.py): hand-computed survival for a known wait, the
lives an earlier team saves, the inversion sampler, conservation with waiting deaths, and a
zero hazard that leaves every other result as it was.

The unit cases use the rescue tests' standard zone and boat (tests/models/test_rescue.py): the
first boat reaches a call at t = 0 after ARRIVE = 87.23 min; a later trip from the zone edge
takes the water leg, 7.5 min; every person rescued costs ``minutes_per_person``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_rescue import ARRIVE, WATER_MIN, boat, make_zone
from testkit import run_kept

from models.catalog import build
from models.loading import load_scenario
from models.population import State
from models.rescue import RescueSection, RescueService
from models.waiting import SMALL_N, WaitingHazard, WaitingRisk, WaitingSection, _binomial
from sim.runner import run_replication
from sim.trace import Trace

MEDIAN_H, SHAPE = 3.0, 1.5            # ground floor: half the adults dead after 3 h (test value)


def hazard(**kw) -> WaitingHazard:
    fields = dict(median_h=(MEDIAN_H, 1000.0), shape=(SHAPE, 3.0), group_factor=(1.5, 1.0, 3.0),
                  vehicle_factor=2.0)
    fields.update(kw)
    return WaitingHazard(**fields)


def survival(hours: float, factor: float = 1.0) -> float:
    """exp(-H) for adults on the ground floor, H = ln 2 · factor · (w / median)^shape."""
    return math.exp(-math.log(2) * factor * (hours / MEDIAN_H) ** SHAPE)


class World:
    """One zone, boat teams and the waiting risk, with the rescued and the dead logged."""

    def __init__(self, teams, seed: int = 7, recede_at: float = math.inf, **section) -> None:
        import simpy
        self.env = simpy.Environment()
        self.rescued: list[tuple[float, list[int]]] = []
        self.dead: list[list[int]] = []
        self.risk = WaitingRisk(self.env, hazard(), np.random.default_rng(seed), [recede_at],
                                lambda req, dead: self.dead.append(dead))
        self.service = RescueService(
            self.env, RescueSection(teams=teams, **{"people_per_request": 10**7, **section}),
            [make_zone()], lambda req, people, upper: self.rescued.append(
                (self.env.now, people.tolist())), Trace(enabled=False), risk=self.risk)

    def call(self, people, upper=(0, 0, 0)) -> None:
        self.service.request(0, np.array(people), np.array(upper), 2)


def test_cumulative_hazard_is_the_weibull_with_its_median():
    h = hazard()
    assert h.cumulative(0, 1, MEDIAN_H) == pytest.approx(math.log(2))       # half the adults
    assert h.cumulative(0, 2, MEDIAN_H) == pytest.approx(3 * math.log(2))   # elderly x3
    assert h.cumulative(0, 0, MEDIAN_H, in_vehicle=True) == pytest.approx(3 * math.log(2))
    assert h.cumulative(0, 1, 2 * MEDIAN_H) == pytest.approx(math.log(2) * 2 ** SHAPE)
    assert h.cumulative(1, 1, 0.0) == 0.0


def test_parameters_are_drawn_once_from_their_own_stream_in_a_fixed_order():
    section = WaitingSection()
    a = WaitingHazard.draw(section, np.random.default_rng(3))
    b = WaitingHazard.draw(section, np.random.default_rng(3))
    assert a == b
    assert 48.0 <= a.median_h[0] <= 192.0 and 168.0 <= a.median_h[1] <= 672.0
    fixed = WaitingSection(median_ground_h=10.0, shape_ground=2.0, median_upper_h=100.0,
                           shape_upper=3.0, children_factor=1.0, elderly_factor=2.0,
                           vehicle_factor=1.0)
    rng = np.random.default_rng(3)
    assert WaitingHazard.draw(fixed, rng) == WaitingHazard((10.0, 100.0), (2.0, 3.0),
                                                           (1.0, 1.0, 2.0), 1.0)
    assert rng.random() == np.random.default_rng(3).random()   # plain numbers draw nothing


@pytest.mark.parametrize("n", [20, 5000])        # inversion, and NumPy's binomial above SMALL_N
def test_expected_waiting_deaths_equal_the_hand_computed_survival_for_a_known_wait(n):
    """One call of n adults on a ground floor at t = 0; a boat takes them all on its first trip
    (idle at the call: dispatched at once, so nobody is drawn dead before the take). They wait
    until the rescue work there ends, ARRIVE + n · 0.01 min: expected deaths n (1 - exp(-H(w)))."""
    world = World([boat(people_per_trip=10**6, minutes_per_person=0.01)])
    world.call([0, n, 0])
    world.env.run(until=2000)
    w = (ARRIVE + n * 0.01) / 60
    assert world.risk.expected == pytest.approx(n * (1 - survival(w)), rel=1e-12)
    (_, out), = world.rescued
    assert sum(out) + world.risk.deaths == n                     # nobody lost or counted twice
    assert world.service.rescued == sum(out)


def test_the_clock_stops_when_the_water_recedes():
    """Water back below the rescue depth at 30 min: the wait counts 30 min, not ARRIVE."""
    world = World([boat(people_per_trip=100, minutes_per_person=0.0)], recede_at=30.0)
    world.call([0, 100, 0])
    world.env.run(until=2000)
    assert world.risk.expected == pytest.approx(100 * (1 - survival(0.5)), rel=1e-12)


def test_an_earlier_team_saves_the_hand_computed_lives():
    """Two calls of n adults, rescue work taking no time (so the trips' times do not depend on
    how many survived). One boat: call A out at T1 = ARRIVE; the boat, back at the zone edge at
    T1 + 7.5 min, reaches call B at T2 = T1 + 15 min.
    Two boats: both calls out at T1. The expected lives saved by the second boat are
    n · (S(T1) - S(T2)). One-boat accounting draws B's deaths at its dispatch and the rest up to
    T2 from the survivors, so its total is that value within a binomial error (sd computed)."""
    n, m = 100_000, 0.0
    t1 = ARRIVE
    t_dispatch = t1 + WATER_MIN
    t2 = t_dispatch + WATER_MIN
    one = World([boat(people_per_trip=n, minutes_per_person=m)], people_per_request=n)
    two = World([boat(people_per_trip=n, minutes_per_person=m, count=2)], people_per_request=n)
    for world in (one, two):
        world.call([0, 2 * n, 0])       # two calls of n (people_per_request)
        world.env.run(until=5000)
    assert [t for t, _ in two.rescued] == pytest.approx([t1 + WATER_MIN] * 2)
    assert [t for t, _ in one.rescued] == pytest.approx([t1 + WATER_MIN, t2 + WATER_MIN])
    s1, s2 = survival(t1 / 60), survival(t2 / 60)
    assert two.risk.expected == pytest.approx(2 * n * (1 - s1), rel=1e-12)
    p1 = 1 - survival(t_dispatch / 60)
    p2 = 1 - survival(t2 / 60) / survival(t_dispatch / 60)
    sd = math.sqrt(n * p1 * (1 - p1)) * p2
    saved = one.risk.expected - two.risk.expected
    assert saved > 0
    assert abs(saved - n * (s1 - s2)) < 6 * sd, (saved, n * (s1 - s2), sd)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, SMALL_N), p=st.floats(0.0, 1.0), u=st.floats(0.0, 1.0,
                                                                       exclude_max=True))
def test_inversion_is_the_binomial_quantile(n, p, u):
    """_binomial(n, p, u) is the smallest k with P(X <= k) >= u (the binomial's inverse CDF)."""
    from scipy import stats
    k = _binomial(n, p, u)
    assert 0 <= k <= n
    if 0.0 < p < 1.0 and n > 0:
        expected = int(stats.binom.ppf(u, n, p)) if u > 0 else 0
        # Floating-point sums may put u on the other side of a CDF step it nearly equals.
        if k != expected:
            assert abs(stats.binom.cdf(min(k, expected), n, p) - u) < 1e-9, (k, expected)


def test_inversion_draws_have_the_binomial_mean_and_variance():
    rng = np.random.default_rng(11)
    draws = np.array([_binomial(30, 0.2, u) for u in rng.random(40_000)])
    assert draws.mean() == pytest.approx(6.0, abs=4 * math.sqrt(4.8 / 40_000))
    assert draws.var() == pytest.approx(4.8, rel=0.05)


# --- the flood model ---------------------------------------------------------------------------

def _tiny(**overrides):
    return load_scenario("tiny-flood", {"hazard.breaches.0.probability": 1.0,
                                        "hazard.breaches.0.at_stage_m": 23.0, **overrides})


@settings(max_examples=8, deadline=None)
@given(median=st.floats(0.5, 50.0), shape=st.floats(0.5, 3.0), replication=st.integers(0, 5))
def test_people_are_conserved_and_deaths_add_up_by_cause(median, shape, replication):
    """With a deadly waiting hazard: every report time holds everyone exactly once, the dead are
    the sum of the three causes at every report time, and the KPIs agree with the ledger."""
    scenario = _tiny(**{"lifeloss.waiting.median_ground_h": median,
                        "lifeloss.waiting.median_upper_h": 2 * median,
                        "lifeloss.waiting.shape_ground": shape,
                        "lifeloss.waiting.sweep_every": "3h"})
    result, run = run_kept(scenario, replication, 1)
    series = result.timeseries
    states = [s.label for s in State]
    assert (series[states].sum(axis=1) == run.ledger.total).all()
    assert (series[states].to_numpy() >= 0).all()
    causes = series["dead_at_peak"] + series["dead_in_transit"] + series["dead_while_waiting"]
    np.testing.assert_array_equal(series["dead"].to_numpy(), causes.to_numpy())
    counts = run.ledger.counts
    assert (counts >= 0).all()
    np.testing.assert_array_equal(counts.sum(axis=1), run.people)
    kpis = result.kpis
    assert kpis["deaths"] == run.ledger.state_total(State.DEAD)
    assert kpis["deaths_while_waiting"] == series["dead_while_waiting"].iloc[-1]
    assert kpis["deaths_expected"] >= kpis["deaths_while_waiting_expected"] >= 0
    assert kpis["trapped"] > 0


def test_a_zero_waiting_hazard_changes_nothing_else():
    """Its own streams ('waiting', 'waiting.deaths'): with a hazard that kills nobody, every
    other KPI is exactly that of a run without the waiting risk."""
    off = _tiny(**{"lifeloss.waiting.enabled": False})
    harmless = _tiny(**{"lifeloss.waiting.median_ground_h": 1e12,
                        "lifeloss.waiting.median_upper_h": 1e12})
    for k in range(3):
        a = run_replication(build, off, k, 1, off.horizon).kpis
        b = run_replication(build, harmless, k, 1, harmless.horizon).kpis
        assert b["deaths_while_waiting"] == 0
        assert b["deaths_while_waiting_expected"] == pytest.approx(0.0, abs=1e-9)
        same = [key for key in a if "waiting" not in key and key != "deaths_expected"]
        assert {key: a[key] for key in same} == {key: b[key] for key in same}
        assert b["deaths_expected"] == pytest.approx(a["deaths_expected"], abs=1e-9)
