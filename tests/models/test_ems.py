"""The shared EMS (models/response/ems.py) and care in the chemical model, as specifications:

* the outcome model by hand: P(death | wait w) = m·(1 − e·exp(−w/τ)), never admitted = m;
* a hand-built case: one casualty, one ambulance, known legs, known wait, known risk; and its
  drawn deaths match that risk over many casualties;
* casualties are conserved at every moment (hypothesis): injured = awaiting care + in hospital +
  dead awaiting care + dead in care; beds are never exceeded;
* no ambulances (or no hospitals): everyone is never admitted, times are +inf, the untreated
  risk applies to all;
* more ambulances (paired, same seed) never raise deaths and lower them when the injured wait;
* the honest quantile: never admitted counts as +inf.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
import testkit
from hypothesis import given, settings
from hypothesis import strategies as st

from models.loading import load_scenario
from models.response.ems import (
    ADMITTED,
    DEAD_AWAITING,
    DEAD_IN_CARE,
    WAITING,
    Ems,
    Hospital,
    Triage,
    quantile_with_inf,
)

CHLORINE = {"kind": "continuous", "chemical": "chlorine", "rate_kg_s": 2.0, "duration": "1h"}


def constant_travel(minutes: float):
    def travel(a, b, now):
        return 0.0 if a == b else minutes
    return travel


RED = (Triage("red", 0, 0.5, 60.0, 0.8),)


def hand_built(ambulances: int, beds: int, leg: float = 10.0, handover: float = 5.0,
               per_trip: int = 2, categories=RED):
    env = simpy.Environment()
    ems = Ems(env, zones=[(0.0, 0.0), (1.0, 0.0)], base=(0.0, 1.0), ambulances=ambulances,
              hospitals=[Hospital((1.0, 1.0), beds)], travel=constant_travel(leg),
              patients_per_trip=per_trip, handover=handover, categories=list(categories))
    return env, ems


# --- the outcome model ----------------------------------------------------------------------------

def test_death_probability_by_hand() -> None:
    red = Triage("red", 0, untreated_mortality=0.4, deterioration_min=120.0, care_efficacy=0.9)
    # Admitted after 60 min: 0.4 · (1 − 0.9 · e^(−0.5)) = 0.4 · (1 − 0.545878) = 0.181649.
    assert red.death_probability(60.0) == pytest.approx(0.181649, abs=1e-6)
    assert red.death_probability(0.0) == pytest.approx(0.04)          # care at once: m(1 − e)
    assert red.death_probability(math.inf) == 0.4                      # never: untreated
    waits = [0.0, 10.0, 60.0, 240.0, 1e4]
    risks = [red.death_probability(w) for w in waits]
    assert risks == sorted(risks)                                      # waiting never helps


def test_one_casualty_with_a_known_wait() -> None:
    """Injured at 30 min; legs of 10 min, handover 5: admitted at 30 + 10 + 10 + 5 = 55."""
    env, ems = hand_built(ambulances=1, beds=5)
    ems.casualties(0, 0, 1, 30.0, np.random.default_rng(1))
    env.run(until=300)
    assert ems.admitted_at == [55.0]
    assert ems.waits().tolist() == [25.0]
    expected = 0.5 * (1 - 0.8 * math.exp(-25.0 / 60.0))                # 0.236398
    assert ems.expected_care_deaths() == pytest.approx(expected)
    k = ems.kpis()
    assert k["time_to_hospital_p50_min"] == k["time_to_hospital_p90_min"] == 25.0
    assert k["casualties_not_admitted"] == 0.0


def test_drawn_care_deaths_match_the_hand_computed_risk() -> None:
    """4,000 casualties, an ambulance for every two: all alive admitted 25 min after injury; the
    share who die is m·(1 − e·e^(−25/τ)) within sampling error."""
    n = 4000
    env, ems = hand_built(ambulances=n // 2, beds=n)
    ems.casualties(0, 0, n, 0.0, np.random.default_rng(7))
    env.run(until=600)
    # Admitted 25 min after injury, or died before that (never admitted: inf).
    assert set(ems.waits().tolist()) == {25.0, math.inf}
    assert np.isinf(ems.waits()).sum() == ems.dead_awaiting.current
    p = 0.5 * (1 - 0.8 * math.exp(-25.0 / 60.0))
    dead = sum(ems.care_deaths())
    assert abs(dead - n * p) < 4 * math.sqrt(n * p * (1 - p))
    # Who dies before admission (their time came first) dies awaiting care: P = m(1 − e^(−25/τ)).
    awaiting, _ = ems.care_deaths()
    q = 0.5 * (1 - math.exp(-25.0 / 60.0))
    assert abs(awaiting - n * q) < 4 * math.sqrt(n * q * (1 - q))


# --- conservation ---------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(ambulances=st.integers(0, 4), beds=st.integers(0, 12), per_trip=st.integers(1, 3),
       leg=st.floats(1.0, 60.0), counts=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1),
                                                            st.integers(0, 8),
                                                            st.floats(0.0, 100.0)),
                                                  min_size=1, max_size=6),
       seed=st.integers(0, 2**16))
def test_casualties_are_conserved_and_beds_never_exceeded(ambulances, beds, per_trip, leg,
                                                          counts, seed) -> None:
    categories = (Triage("red", 0, 0.6, 30.0, 0.7), Triage("yellow", 1, 0.2, 90.0, 0.9))
    env, ems = hand_built(ambulances, beds, leg=leg, per_trip=per_trip, categories=categories)
    rng = np.random.default_rng(seed)
    for zone, category, n, at in counts:
        ems.casualties(zone, category, n, at, rng)
    checks = []

    def watch():
        while True:
            checks.append((ems.injured.current, ems.awaiting_care.current,
                           ems.in_hospital.current, ems.dead_awaiting.current,
                           ems.dead_in_care.current, ems.waiting.current))
            yield env.timeout(2.5)

    env.process(watch())
    env.run(until=400)
    for injured, awaiting, in_hospital, dead_a, dead_c, at_zone in checks:
        assert injured == awaiting + in_hospital + dead_a + dead_c
        assert 0 <= at_zone <= awaiting
        assert in_hospital + dead_c <= beds
    total = sum(n for _, _, n, _ in counts)
    states = np.bincount(ems.state, minlength=4) if ems.state else np.zeros(4, int)
    assert states.sum() == total == ems.injured.current
    assert states[WAITING] == ems.awaiting_care.current
    assert states[ADMITTED] == ems.in_hospital.current
    assert states[DEAD_AWAITING] == ems.dead_awaiting.current
    assert states[DEAD_IN_CARE] == ems.dead_in_care.current
    k = ems.kpis()
    assert k["casualties_not_admitted"] == total - (states[ADMITTED] + states[DEAD_IN_CARE])
    # Fates beyond the horizon: at least the deaths that happened, at most all the doomed.
    awaiting, in_care = ems.care_deaths()
    assert awaiting >= states[DEAD_AWAITING] and in_care >= states[DEAD_IN_CARE]
    assert awaiting + in_care <= sum(math.isfinite(t) for t in ems.dies_at)


# --- no ambulances, no hospitals ------------------------------------------------------------------

@pytest.mark.parametrize("ambulances, beds", [(0, 10), (3, 0)])
def test_without_ambulances_or_beds_nobody_is_admitted(ambulances: int, beds: int) -> None:
    env, ems = hand_built(ambulances, beds)
    ems.casualties(0, 0, 20, 0.0, np.random.default_rng(3))
    env.run(until=1e5)          # long enough for every doomed casualty's time to come
    k = ems.kpis()
    assert k["casualties_not_admitted"] == 20.0
    assert math.isinf(k["time_to_hospital_p50_min"]) and math.isinf(k["time_to_hospital_p90_min"])
    doomed = sum(math.isfinite(t) for t in ems.dies_at)
    assert k["deaths_awaiting_care"] == doomed == ems.dead_awaiting.current
    assert ems.expected_care_deaths() == pytest.approx(20 * 0.5)       # the untreated risk


def test_a_chemical_scenario_without_ambulances_reports_inf_and_all_not_admitted() -> None:
    result, run = testkit.run_kept(load_scenario("tiny-plume", {"source.release": CHLORINE,
                                                                "response.ambulances": 0}))
    k = result.kpis
    assert k["injured_needing_hospital"] > 100
    assert k["casualties_not_admitted"] == k["injured_needing_hospital"]
    assert math.isinf(k["time_to_hospital_p50_min"]) and math.isinf(k["time_to_hospital_p90_min"])
    assert k["deaths"] == run.exposure_deaths + k["deaths_awaiting_care"]
    assert k["deaths_expected"] == pytest.approx(
        k["deaths_expected_from_exposure"] + sum(
            c.untreated_mortality * n for c, n in zip(run.categories, run.triaged.sum(axis=1),
                                                      strict=True)))


# --- more ambulances ------------------------------------------------------------------------------

@pytest.mark.parametrize("replication", [0, 1, 2])
def test_more_ambulances_never_raise_deaths_and_lower_them_when_the_injured_wait(
        replication: int) -> None:
    """Paired (same seed, same casualties and fates): 2, 6, 20, 60 ambulances, beds plenty."""
    deaths, expected, care = [], [], []
    for ambulances in (2, 6, 20, 60):
        result, run = testkit.run_kept(load_scenario("tiny-plume", {
            "source.release": CHLORINE, "response.ambulances": ambulances,
            "response.hospitals.0.beds": 3000}), replication)
        k = result.kpis
        deaths.append(k["deaths"])
        expected.append(k["deaths_expected"])
        care.append(k["deaths_awaiting_care"])
        exposure = (run.exposure_deaths, k["deaths_expected_from_exposure"],
                    k["injured_needing_hospital"])
        if ambulances == 2:
            first_exposure = exposure
        assert exposure == first_exposure        # the release harms the same people
    assert all(b <= a for a, b in zip(deaths, deaths[1:], strict=False)), deaths
    assert all(b <= a + 1e-9 for a, b in zip(expected, expected[1:], strict=False)), expected
    assert deaths[-1] < deaths[0] and care[-1] < care[0]


# --- honest quantiles -----------------------------------------------------------------------------

def test_quantile_with_inf() -> None:
    assert quantile_with_inf(np.array([10.0, 20.0, 30.0]), 0.5) == 20.0
    assert quantile_with_inf(np.array([10.0, 20.0]), 0.5) == 15.0      # linear, as numpy
    assert quantile_with_inf(np.array([10.0, 20.0, math.inf]), 0.5) == 20.0
    assert quantile_with_inf(np.array([10.0, 20.0, math.inf]), 0.9) == math.inf
    assert quantile_with_inf(np.array([10.0, math.inf]), 0.5) == math.inf
    assert math.isnan(quantile_with_inf(np.array([]), 0.5))
    v = np.array([3.0, 1.0, 7.0, 2.0])
    assert quantile_with_inf(v, 0.9) == pytest.approx(np.quantile(v, 0.9))
