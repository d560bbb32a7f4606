"""Chemical properties and release source terms (continuous, instantaneous, evaporating pool)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from models.hazards.source import (
    Chemical,
    ContinuousRelease,
    InstantaneousRelease,
    PoolRelease,
    Release,
    ReleaseRate,
)
from sim.config import ConfigError, StrictModel, validate

RELEASE = TypeAdapter(Release)


# --- properties ----------------------------------------------------------------------------------

# Literature values (CRC Handbook of Chemistry and Physics; NIST WebBook): molecular weight
# (g/mol), normal boiling point (°C), vapour pressure (kPa) and liquid density (kg/m³) at 20 °C.
LITERATURE = {
    "chlorine": ("7782-50-5", 70.90, -34.04, 678.0, 1410.0),
    "ammonia": ("7664-41-7", 17.03, -33.33, 857.0, 610.0),
    "propane": ("74-98-6", 44.10, -42.1, 836.0, 500.0),
    "MTBE": ("1634-04-4", 88.15, 55.2, 26.8, 740.0),
}


@pytest.mark.parametrize("name", sorted(LITERATURE))
def test_shipped_chemicals_match_the_literature(name: str) -> None:
    cas, mw, tb_c, pv_kpa, rho = LITERATURE[name]
    chem = Chemical.lookup(name)
    assert chem.cas == cas
    assert chem.name == name
    assert chem.molecular_weight == pytest.approx(mw, abs=0.01)
    assert chem.boiling_point_k - 273.15 == pytest.approx(tb_c, abs=0.2)
    assert chem.vapour_pressure_pa(293.15) / 1000 == pytest.approx(pv_kpa, rel=0.03)
    assert chem.liquid_density_kg_m3(293.15) == pytest.approx(rho, rel=0.02)
    # At the normal boiling point the vapour pressure is one atmosphere.
    assert chem.vapour_pressure_pa(chem.boiling_point_k) == pytest.approx(101_325, rel=0.01)


@pytest.mark.parametrize("alias, name", [
    ("LPG", "propane"), ("liquefied petroleum gas", "propane"), ("液化石油气", "propane"),
    ("液氯", "chlorine"), ("Chlorine", "chlorine"), ("Cl2", "chlorine"), ("7782-50-5", "chlorine"),
    ("液氨", "ammonia"), ("NH3", "ammonia"), ("methyl tert-butyl ether", "MTBE"),
    (" mtbe ", "MTBE"),
])
def test_names_aliases_and_cas_numbers_resolve(alias: str, name: str) -> None:
    assert Chemical.lookup(alias) == Chemical.lookup(name)


def test_other_chemicals_come_from_the_package_by_name() -> None:
    butane = Chemical.lookup("butane")
    assert butane.cas == "106-97-8"
    assert butane.molecular_weight == pytest.approx(58.12, abs=0.01)


@pytest.mark.parametrize("text", ["unobtainium-42", "", "   "])
def test_unknown_chemical_is_a_clear_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="unknown chemical|required"):
        Chemical.lookup(text)


def test_unknown_chemical_error_names_the_input() -> None:
    with pytest.raises(ValueError, match="unknown chemical 'unobtainium-42'.*CAS number"):
        Chemical.lookup("unobtainium-42")


def test_outside_the_table_range_the_correlations_take_over() -> None:
    chlorine = Chemical.lookup("chlorine")
    # Perry's coefficients cover 172-417 K; below, Lee-Kesler and COSTALD.
    low = chlorine.vapour_pressure_pa(165.0)
    assert 0 < low < chlorine.vapour_pressure_pa(175.0)
    assert 1500 < chlorine.liquid_density_kg_m3(165.0) < 1800


def test_no_liquid_above_the_critical_temperature() -> None:
    with pytest.raises(ValueError, match="critical temperature"):
        Chemical.lookup("propane").vapour_pressure_pa(400.0)


# --- releases ------------------------------------------------------------------------------------


def test_continuous_release_runs_at_its_rate_until_its_duration() -> None:
    release = ContinuousRelease(chemical="chlorine", rate_kg_s=2.5, duration="30min")
    t = np.array([-1.0, 0.0, 100.0, 1799.0, 1800.0, 5000.0])
    np.testing.assert_array_equal(release.release_rate_kg_s(t), [0, 2.5, 2.5, 2.5, 0, 0])
    np.testing.assert_allclose(release.released_kg(t), [0, 0, 250, 4497.5, 4500, 4500])
    assert release.rate_function() == ReleaseRate(2.5, 1800.0)


def test_a_stop_time_ends_the_release_early() -> None:
    release = ContinuousRelease(chemical="ammonia", rate_kg_s=1.0, duration="2h")
    rate = release.rate_function(stop_s=600.0)  # the hazmat team arrives after 10 min
    assert rate.end_s == 600.0 and rate.total_kg == 600.0
    assert release.release_rate_kg_s(601.0, stop_s=600.0) == 0.0
    assert release.rate_function(stop_s=-5.0).total_kg == 0.0


def test_an_exhausted_inventory_ends_the_release() -> None:
    release = ContinuousRelease(chemical="chlorine", rate_kg_s=5.0, duration="1h",
                                inventory_kg=900.0)
    assert release.rate_function().end_s == pytest.approx(180.0)
    assert release.released_kg(1e6) == pytest.approx(900.0)
    assert release.rate_function(stop_s=60.0).total_kg == pytest.approx(300.0)


def test_instantaneous_release_puts_its_mass_out_at_once() -> None:
    release = InstantaneousRelease(chemical="propane", mass_kg=1000.0)
    assert release.released_kg(1.0) == pytest.approx(1000.0)
    assert release.released_kg(0.5) == pytest.approx(500.0)
    assert release.rate_function(stop_s=0.0).total_kg == 0.0


def rmp_lb_per_min(u: float, mw: float, area_ft2: float, vp_mmhg: float, t_k: float) -> float:
    """US EPA RMP guidance eq. D-1, in its own units."""
    return 0.284 * u**0.78 * mw ** (2 / 3) * area_ft2 * vp_mmhg / (82.05 * t_k)


def test_pool_evaporation_follows_the_rmp_formula() -> None:
    pool = PoolRelease(chemical="MTBE", mass_kg=5000.0, area_m2=100.0, temperature_c=25.0,
                       wind_speed_m_s=1.5)
    mtbe = Chemical.lookup("MTBE")
    vp_mmhg = mtbe.vapour_pressure_pa(298.15) / 101_325 * 760
    area_ft2 = 100.0 / 0.3048**2
    expected_kg_s = rmp_lb_per_min(1.5, mtbe.molecular_weight, area_ft2, vp_mmhg, 298.15) \
        * 0.45359237 / 60
    assert pool.evaporation_kg_s() == pytest.approx(expected_kg_s, rel=1e-12)
    assert 0.5 < expected_kg_s < 0.8  # about 85 lb/min
    rate = pool.rate_function()
    assert rate.end_s == pytest.approx(5000.0 / expected_kg_s)
    assert rate.total_kg == pytest.approx(5000.0)


def test_pool_area_from_depth() -> None:
    by_depth = PoolRelease(chemical="MTBE", mass_kg=7400.0, depth_m=0.01)
    rho = Chemical.lookup("MTBE").liquid_density_kg_m3(298.15)
    assert by_depth.pool_area_m2() == pytest.approx(7400.0 / (rho * 0.01))


def test_a_refrigerated_pool_at_its_boiling_point_is_allowed_a_warm_one_is_not() -> None:
    cold = PoolRelease(chemical="ammonia", mass_kg=1000.0, area_m2=50.0, temperature_c=-34.0)
    assert cold.evaporation_kg_s() > 0
    with pytest.raises(ValidationError, match="would boil"):
        PoolRelease(chemical="chlorine", mass_kg=1000.0, area_m2=50.0, temperature_c=25.0)


def test_pool_needs_exactly_one_of_area_and_depth() -> None:
    with pytest.raises(ValidationError, match="exactly one of area_m2 and depth_m"):
        PoolRelease(chemical="MTBE", mass_kg=10.0)
    with pytest.raises(ValidationError, match="exactly one of area_m2 and depth_m"):
        PoolRelease(chemical="MTBE", mass_kg=10.0, area_m2=1.0, depth_m=0.01)


@pytest.mark.parametrize("spec, field", [
    ({"kind": "continuous", "chemical": "chlorine", "rate_kg_s": -1.0, "duration": "10min"},
     "rate_kg_s"),
    ({"kind": "continuous", "chemical": "chlorine", "rate_kg_s": 0.0, "duration": "10min"},
     "rate_kg_s"),
    ({"kind": "continuous", "chemical": "chlorine", "rate_kg_s": 1.0, "duration": 0},
     "duration"),
    ({"kind": "instantaneous", "chemical": "ammonia", "mass_kg": 0.0}, "mass_kg"),
    ({"kind": "instantaneous", "chemical": "ammonia", "mass_kg": -20.0}, "mass_kg"),
    ({"kind": "pool", "chemical": "MTBE", "mass_kg": -5.0, "area_m2": 10.0}, "mass_kg"),
    ({"kind": "pool", "chemical": "MTBE", "mass_kg": 5.0, "area_m2": 0.0}, "area_m2"),
])
def test_zero_or_negative_release_is_a_validation_error(spec: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        RELEASE.validate_python(spec)
    message = str(info.value)
    assert field in message
    assert "must be a positive number" in message
    assert "cannot be modelled" in message


class _Section(StrictModel):
    release: Release


def test_release_errors_in_a_file_name_the_field() -> None:
    data = {"release": {"kind": "continuous", "chemical": "chlorine", "rate_kg_s": -2.0,
                        "duration": "1h"}}
    with pytest.raises(ConfigError) as info:
        validate(_Section, data, "scenario.toml")
    text = str(info.value)
    assert "release.continuous.rate_kg_s" in text and "positive number of kg/s" in text


def test_unknown_chemical_in_a_release_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="unknown chemical 'kryptonite'"):
        ContinuousRelease(chemical="kryptonite", rate_kg_s=1.0, duration="1h")


def test_release_kind_selects_the_model() -> None:
    pool = RELEASE.validate_python({"kind": "pool", "chemical": "MTBE", "mass_kg": 100.0,
                                    "depth_m": 0.01})
    assert isinstance(pool, PoolRelease)
    assert math.isclose(pool.rate_function().total_kg, 100.0)
