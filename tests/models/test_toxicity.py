"""AEGL threat zones, probit lethality and the indoor (shelter-in-place) box model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.hazards.toxicity import (
    AEGL_DURATIONS_MIN,
    AMMONIA_PROBIT,
    CHLORINE_PROBIT,
    PROBITS,
    aegl,
    indoor_concentration,
    probit_lethality,
    threat_zones,
    toxic_load,
)


def phi(x: float) -> float:
    """Standard normal CDF, by hand."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


# --- AEGL ----------------------------------------------------------------------------------------

# REFERENCE-PARAMETERS.md, ppm at 10 min / 30 min / 60 min / 4 h / 8 h.
REFERENCE_AEGL = {
    ("chlorine", 1): (0.5, 0.5, 0.5, 0.5, 0.5),
    ("chlorine", 2): (2.8, 2.8, 2.0, 1.0, 0.71),
    ("chlorine", 3): (50, 28, 20, 10, 7.1),
    ("ammonia", 1): (30, 30, 30, 30, 30),
    ("ammonia", 2): (220, 220, 160, 110, 110),
    ("ammonia", 3): (2700, 1600, 1100, 550, 390),
}


@pytest.mark.parametrize("chemical, level", sorted(REFERENCE_AEGL))
def test_aegl_at_the_tabulated_durations(chemical: str, level: int) -> None:
    got = aegl(chemical, level, AEGL_DURATIONS_MIN)
    np.testing.assert_allclose(got, REFERENCE_AEGL[chemical, level], rtol=1e-12)


def test_aegl_interpolates_as_a_power_law_between_durations() -> None:
    # Chlorine AEGL-3 at 20 min, between 50 ppm (10 min) and 28 ppm (30 min):
    # 50 · (28/50)^(ln(20/10)/ln(30/10)) = 34.681 ppm.
    assert float(aegl("chlorine", 3, 20.0)) == pytest.approx(34.6812, rel=1e-5)
    # Ammonia AEGL-2 at 2 h, between 160 ppm (1 h) and 110 ppm (4 h): 160·(110/160)^0.5.
    assert float(aegl("ammonia", 2, 120.0)) == pytest.approx(160 * math.sqrt(110 / 160),
                                                            rel=1e-12)
    assert float(aegl("ammonia", 2, 120.0)) == pytest.approx(132.665, rel=1e-5)


def test_aegl_is_held_outside_10_minutes_to_8_hours() -> None:
    np.testing.assert_allclose(aegl("chlorine", 3, [1.0, 5.0, 600.0, 1440.0]),
                               [50, 50, 7.1, 7.1])


def test_aegl_by_cas_number_and_chinese_name() -> None:
    assert float(aegl("7664-41-7", 3, 60)) == 1100
    assert float(aegl("液氯", 2, 60)) == 2.0


def test_aegl_errors() -> None:
    with pytest.raises(ValueError, match="no AEGL table for 'propane'"):
        aegl("propane", 2, 60)
    with pytest.raises(ValueError, match="level must be 1, 2 or 3"):
        aegl("chlorine", 4, 60)
    with pytest.raises(ValueError, match="> 0 minutes"):
        aegl("chlorine", 2, 0)


def test_threat_zones_from_running_means() -> None:
    times = np.arange(0.0, 121.0)  # minutes
    # Receptor 0: 60 ppm chlorine for 15 min. Highest means: 10 min 60, 30 min 30, 60 min 15.
    # Receptor 1: 2.5 ppm for 100 min. Receptor 2: clean air.
    c = np.zeros((3, times.size))
    c[0, 5:20] = 60.0
    c[1, 10:110] = 2.5
    zones = threat_zones(c, times, "chlorine")
    np.testing.assert_allclose(zones.peak_mean_ppm[:, 0], [60.0, 30.0, 15.0])
    np.testing.assert_allclose(zones.peak_mean_ppm[:, 1], [2.5, 2.5, 2.5])
    # 10 min: 60 >= 50 (AEGL-3); 30 min: 30 >= 28 (AEGL-3); 60 min: 15 < 20 but >= 2 (AEGL-2).
    assert zones.level(10.0).tolist() == [3, 1, 0]
    assert zones.level(30.0).tolist() == [3, 1, 0]
    assert zones.level(60.0).tolist() == [2, 2, 0]  # 2.5 >= AEGL-2(60 min) = 2.0
    assert zones.exceeds.shape == (3, 3, 3)


def test_threat_zone_means_use_the_exact_step_function() -> None:
    # Irregular times; a 10-min window sliding over a 4-min spike of 100 ppm: mean 40 ppm.
    times = np.array([0.0, 3.0, 7.0, 30.0])
    c = np.array([[0.0, 100.0, 0.0, 0.0]])
    zones = threat_zones(c, times, "ammonia", durations_min=(10.0, 2.0))
    np.testing.assert_allclose(zones.peak_mean_ppm[:, 0], [40.0, 100.0])


# --- probits -------------------------------------------------------------------------------------


def test_probit_constants_are_the_reference_ones() -> None:
    assert (CHLORINE_PROBIT.k1, CHLORINE_PROBIT.k2, CHLORINE_PROBIT.n) == (-8.29, 0.92, 2.0)
    assert (AMMONIA_PROBIT.k1, AMMONIA_PROBIT.k2, AMMONIA_PROBIT.n) == (-35.9, 1.85, 2.0)
    assert PROBITS["7782-50-5"] is CHLORINE_PROBIT


@pytest.mark.parametrize("ppm, minutes, probit, expected", [
    # chlorine, 100 ppm for 30 min: load 3e5, Pr = -8.29 + 0.92·ln(3e5) = 3.3126 -> 4.58 %
    (100.0, 30.0, CHLORINE_PROBIT, phi(-8.29 + 0.92 * math.log(3e5) - 5)),
    (100.0, 30.0, CHLORINE_PROBIT, 0.045765),
    # chlorine, 400 ppm for 30 min: load 4.8e6, Pr = 5.863 -> 80.6 %
    (400.0, 30.0, CHLORINE_PROBIT, phi(-8.29 + 0.92 * math.log(4.8e6) - 5)),
    # ammonia, 20,000 ppm for 30 min: load 1.2e10, Pr = 7.035 -> 97.9 %
    (20_000.0, 30.0, AMMONIA_PROBIT, phi(-35.9 + 1.85 * math.log(1.2e10) - 5)),
    (20_000.0, 30.0, AMMONIA_PROBIT, 0.979),
])
def test_probit_lethality_against_hand_values(ppm, minutes, probit, expected) -> None:
    load = toxic_load(np.full(int(minutes), ppm), 1.0, probit.n)
    assert float(load) == pytest.approx(ppm**2 * minutes, rel=1e-12)
    got = float(probit_lethality(load, probit.k1, probit.k2))
    assert got == pytest.approx(expected, rel=1e-3)


def test_no_load_no_death() -> None:
    np.testing.assert_array_equal(probit_lethality([0.0, 0.0], -8.29, 0.92), [0.0, 0.0])
    assert float(probit_lethality(toxic_load(np.zeros(10), 1.0, 2.0), -8.29, 0.92)) == 0.0


def test_toxic_load_over_irregular_steps() -> None:
    c = np.array([[10.0, 20.0, 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(toxic_load(c, [1.0, 2.0, 5.0], 2.0), [100 + 800, 8.0])
    with pytest.raises(ValueError):
        toxic_load([-1.0], 1.0, 2.0)
    with pytest.raises(ValueError):
        probit_lethality(-1.0, 1.0, 1.0)


@given(st.floats(0.0, 1e12), st.floats(0.0, 1e12))
def test_lethality_grows_with_the_load(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    p = probit_lethality([lo, hi], CHLORINE_PROBIT.k1, CHLORINE_PROBIT.k2)
    assert 0.0 <= p[0] <= p[1] <= 1.0


# --- indoor box model ----------------------------------------------------------------------------


def test_indoor_step_input_matches_the_analytic_solution() -> None:
    """Outdoor 100 ppm for the first hour, then clean: Ci = 100(1 − e^(−λt)), then decays."""
    lam_h = 0.5
    times = np.concatenate([np.linspace(0, 60, 7), [75.0, 90.0, 133.0, 180.0]])  # irregular
    co = np.where(times < 60, 100.0, 0.0)
    ci = indoor_concentration(co, times, lam_h)
    lam = lam_h / 60
    at_60 = 100 * (1 - math.exp(-lam * 60))
    expected = np.where(times <= 60, 100 * (1 - np.exp(-lam * times)),
                        at_60 * np.exp(-lam * (times - 60)))
    np.testing.assert_allclose(ci, expected, rtol=1e-12, atol=1e-12)
    assert at_60 == pytest.approx(39.3469, rel=1e-5)  # 1 - e^(-0.5)


def test_indoor_linear_ramp_matches_the_analytic_solution() -> None:
    """Outdoor rising a ppm/min from 0: Ci = a·(t − (1 − e^(−λt))/λ)."""
    a, lam_h = 2.0, 1.2
    times = np.array([0.0, 5.0, 12.0, 30.0, 31.0, 90.0])
    ci = indoor_concentration(a * times, times, lam_h, outdoor="linear")
    lam = lam_h / 60
    np.testing.assert_allclose(ci, a * (times - (1 - np.exp(-lam * times)) / lam), rtol=1e-10,
                               atol=1e-12)


def test_indoor_is_vectorised_over_receptors_with_their_own_exchange_rates() -> None:
    times = np.arange(0.0, 61.0, 10.0)
    co = np.array([np.full(7, 50.0), np.full(7, 50.0), np.full(7, 50.0)])
    ci = indoor_concentration(co, times, [0.2, 1.0, 0.0], ci0=[0.0, 0.0, 5.0])
    np.testing.assert_allclose(ci[0, -1], 50 * (1 - math.exp(-0.2)), rtol=1e-12)
    np.testing.assert_allclose(ci[1, -1], 50 * (1 - math.exp(-1.0)), rtol=1e-12)
    np.testing.assert_array_equal(ci[2], 5.0)  # sealed: no exchange
    linear = indoor_concentration(co, times, [0.2, 1.0, 0.0], ci0=[0.0, 0.0, 5.0],
                                  outdoor="linear")
    np.testing.assert_array_equal(linear[2], 5.0)


def test_shelter_in_place_cuts_the_dose_of_a_short_plume() -> None:
    """A 20-min plume at λ = 0.5/h: the indoor toxic load is a small share of the outdoor one."""
    times = np.arange(0.0, 241.0)
    co = np.where(times < 20, 200.0, 0.0)
    ci = indoor_concentration(co, times, 0.5)
    outdoor = toxic_load(co[:-1], 1.0, 2.0)
    indoor = toxic_load(ci[:-1], 1.0, 2.0)
    assert indoor < 0.1 * outdoor
    assert probit_lethality(indoor, CHLORINE_PROBIT.k1, CHLORINE_PROBIT.k2) < probit_lethality(
        outdoor, CHLORINE_PROBIT.k1, CHLORINE_PROBIT.k2)


def test_indoor_errors() -> None:
    with pytest.raises(ValueError, match="increasing"):
        indoor_concentration([1.0, 2.0], [0.0, 0.0], 0.5)
    with pytest.raises(ValueError, match="air_exchange_per_h"):
        indoor_concentration([1.0, 2.0], [0.0, 1.0], -0.5)
    with pytest.raises(ValueError, match="outdoor"):
        indoor_concentration([1.0, 2.0], [0.0, 1.0], 0.5, outdoor="cubic")
