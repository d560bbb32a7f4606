"""Flood hazard: gauge hydrographs, overtopping, breaches, dam-break wave, NetCDF import."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from typer.testing import CliRunner

from drsim.cli import app
from models.catalog import build
from models.hazards.flood import (
    FloodHazardSection,
    HazardField,
    check_references,
    flood_hazard,
    haversine_km,
)
from models.loading import bundled_path, load_scenario
from models.zones import Zone
from sim.config import ConfigError, validate
from sim.runner import run_replication

G = 9.81
R_EARTH_KM = 6371.0088


def make_zone(zone_id: str, ground: float = 42.0, protection: float = 0.0, gauge: str = "G1",
              lon: float = 114.0, lat: float = 33.0) -> Zone:
    return Zone(id=zone_id, lon=lon, lat=lat, area_km2=10.0, population_night=1000,
                share_children=0.2, share_elderly=0.2, share_multistorey=0.5,
                ground_elevation_m=ground, protection_m=protection, gauge=gauge)


def x_end(m: float) -> float:
    """End of the recession in units of the rise time: x^m·exp(m(1 − x)) = 0.01, x > 1."""
    return brentq(lambda x: m * (math.log(x) + 1 - x) - math.log(0.01), 1.0 + 1e-9, 100.0)


SHAPE = 2.0
RISE_H = 12.0  # with duration = RISE_H·x_end: the rise starts at 12 h and peaks at 24 h


def stage(t_h: float, base: float = 40.0, peak: float = 46.0) -> float:
    """The documented hydrograph, evaluated by hand: base + (peak − base)·x^m·e^(m(1 − x))."""
    x = (t_h - (24.0 - RISE_H)) / RISE_H
    return base if x <= 0 else base + (peak - base) * x**SHAPE * math.exp(SHAPE * (1 - x))


def gauge(**over: Any) -> dict[str, Any]:
    spec = {"id": "G1", "name": "Suiping", "lon": 114.0, "lat": 33.0, "base_stage_m": 40.0,
            "peak_stage_m": 46.0, "time_to_peak_h": 24.0, "duration_h": RISE_H * x_end(SHAPE),
            "warning_stage_m": 47.0, "shape": SHAPE}
    spec.update(over)
    return spec


def section(**over: Any) -> FloodHazardSection:
    data: dict[str, Any] = {"time_step": "30min", "gauges": [gauge()]}
    data.update(over)
    return validate(FloodHazardSection, data, "test.toml")


def run(sec: FloodHazardSection, zones: list[Zone], seed: int = 1, horizon_h: float = 48.0,
        base_dir: Path | None = None) -> HazardField:
    """The field, for a scenario file ``s.toml`` in ``base_dir`` (if given)."""
    return flood_hazard(sec, zones, np.random.default_rng(seed), horizon_h * 60,
                        None if base_dir is None else base_dir / "s.toml")


# --- built-in generator ------------------------------------------------------------------------


def test_time_grid_is_regular_from_zero_to_the_horizon() -> None:
    field = flood_hazard(section(time_step="25min"), [make_zone("A")],
                         np.random.default_rng(0), 100.0)
    np.testing.assert_allclose(field.times, [0, 25, 50, 75, 100])
    field = flood_hazard(section(time_step="30min"), [make_zone("A")],
                         np.random.default_rng(0), 100.0)
    np.testing.assert_allclose(field.times, [0, 30, 60, 90, 100])


def test_depth_follows_the_hand_computed_hydrograph() -> None:
    field = run(section(drain_m_per_h=math.inf), [make_zone("A", ground=42.0)])
    for t_h, expected in [(12.0, 0.0), (18.0, 6 * 0.25 * math.e - 2.0), (24.0, 4.0),
                          (36.0, 6 * 4 * math.exp(-2) - 2.0)]:
        depth, _ = field.at(t_h * 60)
        assert depth[0] == pytest.approx(expected, abs=1e-9), t_h
        assert expected == pytest.approx(max(0.0, stage(t_h) - 42.0))
    assert field.peak_depth()[0] == pytest.approx(4.0)
    assert field.peak_time()[0] == pytest.approx(24 * 60)
    np.testing.assert_allclose(field.gauge_stage["G1"][field.times == 18 * 60],
                               [40 + 6 * 0.25 * math.e])


def test_flooded_zone_drains_no_faster_than_the_drain_rate() -> None:
    field = run(section(drain_m_per_h=0.05), [make_zone("A", ground=42.0)])
    rate = 0.05 / 60
    times = field.times
    river = np.array([max(0.0, stage(t / 60) - 42.0) for t in times])
    start = brentq(lambda t: stage(t) - 42.0, 12.0, 24.0) * 60
    for k, t in enumerate(times):  # d(t) = max over wet s <= t of river(s) − rate·(t − s)
        wet = (times <= t) & (times >= start)
        expected = max(0.0, (river[wet] - rate * (t - times[wet])).max()) if wet.any() else 0.0
        assert field.depth[0, k] == pytest.approx(expected, abs=1e-9)
    depth_36h, _ = field.at(36 * 60)
    assert 4.0 - 0.05 * 12 <= depth_36h[0] <= 4.0
    assert depth_36h[0] > stage(36) - 42.0


def test_high_protection_keeps_zones_dry_but_the_warning_stage_identifies_the_threat() -> None:
    warning = 40 + 6 * 0.25 * math.e  # the stage at 18 h
    zones = [make_zone("A", protection=10.0), make_zone("B", ground=60.0)]
    field = run(section(gauges=[gauge(warning_stage_m=warning)]), zones)
    assert np.all(field.depth == 0) and np.all(field.velocity == 0)
    np.testing.assert_allclose(field.identified_at, [18 * 60, 18 * 60], atol=1e-6)
    assert np.all(np.isinf(field.arrival_times()))
    assert np.all(np.isinf(field.peak_time()))
    ahead = run(section(gauges=[gauge(warning_stage_m=warning, forecast_lead_h=2)]), zones)
    np.testing.assert_allclose(ahead.identified_at, [16 * 60, 16 * 60], atol=1e-6)
    early = run(section(gauges=[gauge(warning_stage_m=warning, forecast_lead_h=30)]), zones)
    np.testing.assert_array_equal(early.identified_at, [0.0, 0.0])
    never = run(section(gauges=[gauge(warning_stage_m=50.0)]), zones)
    assert np.all(np.isinf(never.identified_at))


def test_a_certain_breach_floods_a_protected_zone_from_its_time() -> None:
    sec = section(drain_m_per_h=math.inf,
                  breaches=[{"zone": "A", "probability": 1.0, "time_h": 20.0}])
    field = run(sec, [make_zone("A", protection=10.0), make_zone("B", protection=10.0)])
    assert field.at(19.5 * 60)[0][0] == 0.0
    for t_h in (20.0, 24.0, 30.0):
        assert field.at(t_h * 60)[0][0] == pytest.approx(stage(t_h) - 42.0)
    assert np.all(field.depth[1] == 0)
    assert field.identified_at[0] == pytest.approx(20 * 60)
    assert field.identified_at[1] == math.inf


def test_a_breach_at_a_stage_happens_when_the_gauge_reaches_it() -> None:
    sec = section(drain_m_per_h=math.inf, time_step="1min",
                  breaches=[{"zone": "A", "probability": 1.0, "at_stage_m": 45.0}])
    field = run(sec, [make_zone("A", protection=10.0)])
    when = brentq(lambda t: stage(t) - 45.0, 12.0, 24.0) * 60
    assert field.identified_at[0] == pytest.approx(when, abs=1e-6)
    before, after = math.floor(when), math.ceil(when)  # grid minutes around the breach
    assert field.at(before)[0][0] == 0.0
    assert field.at(after)[0][0] == pytest.approx(stage(after / 60) - 42.0)


def test_an_impossible_breach_never_floods() -> None:
    sec = section(breaches=[{"zone": "A", "probability": 0.0, "time_h": {"uniform": [1, 30]}}])
    for seed in range(20):
        field = run(sec, [make_zone("A", protection=10.0)], seed=seed)
        assert np.all(field.depth == 0)
        assert field.identified_at[0] == math.inf


def test_haversine_by_hand() -> None:
    assert haversine_km(114.0, 33.0, 114.0, 33.1) == pytest.approx(R_EARTH_KM * math.radians(0.1))
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(R_EARTH_KM * math.radians(1.0))


def test_dam_break_wave_arrives_after_distance_over_celerity() -> None:
    dam = {"name": "Banqiao", "lon": 114.0, "lat": 33.0, "failure_time_h": 2.0,
           "peak_depth_m": 4.0, "celerity_m_s": 5.0, "attenuation_km": 20.0, "duration_h": 2.0,
           "rise_fraction": 0.25}
    sec = section(time_step="1min", gauges=[gauge(warning_stage_m=100.0)], dam_break=dam)
    zones = [make_zone("near", ground=60.0, lat=33.1), make_zone("far", ground=60.0, lat=35.0)]
    field = run(sec, zones, horizon_h=8.0)
    distance_km = R_EARTH_KM * math.radians(0.1)  # 11.1195 km along a meridian
    arrival = 120.0 + distance_km * 1000 / 5.0 / 60  # 157.07 min
    height = 4.0 * math.exp(-distance_km / 20.0)
    # Half the peak depth is reached a quarter of the way up the rise (30 min): 15 min later.
    assert field.arrival_times(height / 2)[0] == pytest.approx(arrival + 15.0, abs=1e-9)
    assert field.at(arrival - 1)[0][0] == 0.0
    assert height * (1 - 1 / 30) <= field.peak_depth()[0] <= height
    assert field.depth_above(0, 1e-9)[1] == pytest.approx(arrival + 120.0, abs=1.0)
    np.testing.assert_allclose(field.velocity[0], np.minimum(np.sqrt(G * field.depth[0]), 5.0))
    assert field.identified_at[0] == 120.0
    assert np.all(field.depth[1] == 0) and field.identified_at[1] == math.inf  # beyond 100 km
    no_dam = run(section(time_step="1min", gauges=[gauge(warning_stage_m=100.0)],
                         dam_break={**dam, "probability": 0.0}), zones, horizon_h=8.0)
    assert np.all(no_dam.depth == 0)


def test_velocity_follows_the_froude_relation() -> None:
    sec = section(froude=0.3, breaches=[{"zone": "B", "probability": 1, "time_h": 20,
                                         "froude": 0.6}])
    field = run(sec, [make_zone("A", ground=40.5), make_zone("B", protection=10.0)])
    np.testing.assert_allclose(field.velocity[0], 0.3 * np.sqrt(G * field.depth[0]))
    breached = field.times >= 20 * 60
    np.testing.assert_allclose(field.velocity[1][breached],
                               np.minimum(0.6 * np.sqrt(G * field.depth[1][breached]), 5.0))
    assert field.peak_velocity()[0] == pytest.approx(0.3 * math.sqrt(G * 5.5))
    capped = run(section(froude=0.3, max_velocity_m_s=1.0), [make_zone("A", ground=40.5)])
    assert capped.peak_velocity()[0] == 1.0


UNCERTAIN = {"triangular": [44.0, 46.0, 48.0]}


def test_same_seed_same_field_and_other_seeds_differ_when_uncertain() -> None:
    sec = section(gauges=[gauge(peak_stage_m=UNCERTAIN)],
                  breaches=[{"zone": "B", "probability": 0.5, "time_h": {"uniform": [10, 30]}}])
    zones = [make_zone("A"), make_zone("B", protection=10.0)]
    one, same, other = run(sec, zones, seed=7), run(sec, zones, seed=7), run(sec, zones, seed=8)
    for name in ("depth", "velocity", "identified_at"):
        np.testing.assert_array_equal(getattr(one, name), getattr(same, name))
    assert not np.array_equal(one.depth, other.depth)
    fixed = section()
    np.testing.assert_array_equal(run(fixed, zones, seed=7).depth, run(fixed, zones, seed=8).depth)


def test_fixing_one_parameter_leaves_every_other_draw_unchanged() -> None:
    g2 = gauge(id="G2", peak_stage_m=UNCERTAIN, time_to_peak_h={"uniform": [20, 30]})
    zones = [make_zone("A"), make_zone("B", gauge="G2"), make_zone("C", gauge="G2",
                                                                     protection=10.0)]
    extra = {"breaches": [{"zone": "C", "probability": 0.5, "time_h": {"uniform": [10, 30]}}],
             "froude": {"uniform": [0.2, 0.4]}}
    uncertain = section(gauges=[gauge(peak_stage_m=UNCERTAIN), g2], **extra)
    fixed = section(gauges=[gauge(peak_stage_m=46.0), g2], **extra)
    differs = False
    for seed in range(10):
        a, b = run(uncertain, zones, seed=seed), run(fixed, zones, seed=seed)
        np.testing.assert_array_equal(a.depth[1:], b.depth[1:])
        np.testing.assert_array_equal(a.velocity[1:], b.velocity[1:])
        np.testing.assert_array_equal(a.identified_at[1:], b.identified_at[1:])
        differs |= not np.array_equal(a.depth[0], b.depth[0])
    assert differs


@settings(max_examples=60, deadline=None)
@given(base=st.floats(0, 100), rise=st.floats(0.01, 20), ttp=st.floats(0, 60),
       duration=st.floats(0.1, 200), shape=st.floats(1, 10), ground=st.floats(-5, 25),
       protection=st.floats(0, 10), drain=st.sampled_from([0.0, 0.05, 1.0, math.inf]),
       fill=st.sampled_from([None, 0.2, 5.0]), breach_p=st.floats(0, 1),
       breach_h=st.floats(0, 60), seed=st.integers(0, 2**16))
def test_depth_is_never_negative_nor_above_the_river(
        base: float, rise: float, ttp: float, duration: float, shape: float, ground: float,
        protection: float, drain: float, fill: float | None, breach_p: float, breach_h: float,
        seed: int) -> None:
    spec = gauge(base_stage_m=base, peak_stage_m={"uniform": [base + rise / 2, base + rise]},
                 time_to_peak_h=ttp, duration_h={"normal": [duration, duration / 4]},
                 shape=shape, warning_stage_m=base + rise / 2)
    sec = section(time_step="20min", gauges=[spec], drain_m_per_h=drain, fill_m_per_h=fill,
                  breaches=[{"zone": "A", "probability": breach_p, "time_h": breach_h}])
    zone = make_zone("A", ground=base + ground, protection=protection + max(0.0, -ground) + 1e-6)
    field = run(sec, [zone], seed=seed, horizon_h=72)
    assert np.all(np.isfinite(field.depth)) and np.all(field.depth >= 0)
    assert np.all(np.isfinite(field.velocity)) and np.all(field.velocity >= 0)
    assert field.peak_depth()[0] <= max(0.0, base + rise - zone.ground_elevation_m) + 1e-9
    assert 0 <= field.identified_at[0] <= 60 * 60


# --- HazardField ---------------------------------------------------------------------------------


def small_field() -> HazardField:
    return HazardField(
        times=[0.0, 10.0, 20.0, 30.0],
        depth=[[0.0, 0.2, 0.4, 0.0], [0.5, 0.5, 0.5, 0.5], [0.0, 0.0, 0.05, 0.0]],
        velocity=[[0.0, 1.0, 2.0, 0.0], [0.1, 0.1, 0.1, 0.1], [0.0, 0.0, 0.0, 0.0]],
        identified_at=[0.0, 0.0, math.inf])


def test_arrival_times_interpolate_between_grid_times() -> None:
    field = small_field()
    np.testing.assert_allclose(field.arrival_times(0.1), [5.0, 0.0, math.inf])
    np.testing.assert_allclose(field.arrival_times(0.3), [15.0, 0.0, math.inf])
    np.testing.assert_allclose(field.arrival_times(0.01), [0.5, 0.0, 12.0])


def test_depth_above_gives_the_first_spell_and_peaks() -> None:
    field = small_field()
    assert field.depth_above(0, 0.1) == pytest.approx((5.0, 27.5))
    assert field.depth_above(1, 0.1) == (0.0, math.inf)
    assert field.depth_above(2, 0.1) == (math.inf, math.inf)
    np.testing.assert_allclose(field.peak_depth(), [0.4, 0.5, 0.05])
    np.testing.assert_allclose(field.peak_velocity(), [2.0, 0.1, 0.0])
    np.testing.assert_allclose(field.peak_time(), [20.0, 0.0, 20.0])
    depth, velocity = field.at(15.0)
    np.testing.assert_allclose(depth, [0.3, 0.5, 0.025])
    np.testing.assert_allclose(velocity, [1.5, 0.1, 0.0])
    np.testing.assert_allclose(field.at(99.0)[0], [0.0, 0.5, 0.0])
    np.testing.assert_allclose(field.at(-5.0)[0], [0.0, 0.5, 0.0])


def test_hazard_field_is_read_only_and_checked() -> None:
    field = small_field()
    with pytest.raises(ValueError):
        field.depth[0, 0] = 1.0
    with pytest.raises(ValueError, match=">= 0"):
        HazardField([0.0, 1.0], [[0.0, -1.0]], [[0.0, 0.0]], [0.0])
    with pytest.raises(ValueError, match="start at 0"):
        HazardField([5.0, 1.0], [[0.0, 1.0]], [[0.0, 0.0]], [0.0])


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    ({"gauges": [gauge()], "netcdf": "f.nc"}, "remove the generator's gauges"),
    ({}, "give either [[hazard.gauges]]"),
    ({"gauges": [gauge(peak_stage_m=39.0)]}, "peak_stage_m must be > 40"),
    ({"gauges": [gauge(peak_stage_m={"uniform": [39, 45]})]}, "for every value it can take"),
    ({"gauges": [gauge(), gauge()]}, "repeated: G1"),
    ({"gauges": [gauge()], "breaches": [{"zone": "A", "probability": 1, "time_h": 1,
                                         "at_stage_m": 44}]}, "exactly one of time_h"),
    ({"gauges": [gauge()], "depth_var": "h"}, "only apply with netcdf"),
    ({"gauges": [gauge(duration_h=0)]}, "duration_h must be > 0"),
    ({"gauges": [gauge()], "time_step": "0min"}, "time_step must be longer than zero"),
    ({"gauges": [gauge(colour="blue")]}, "unknown field"),
])
def test_bad_sections_get_one_clear_line(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate(FloodHazardSection, data, "scenario.toml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_check_references_names_each_bad_id() -> None:
    sec = section(breaches=[{"zone": "nowhere", "probability": 1, "time_h": 1},
                            {"zone": "A", "probability": 1, "at_stage_m": 39.0}],
                  dam_break={"lon": 114, "lat": 33, "failure_time_h": 1, "peak_depth_m": 3,
                             "celerity_m_s": 5, "attenuation_km": 10, "duration_h": 2,
                             "zones": ["A", "ghost"]})
    zones = [make_zone("A"), make_zone("B", gauge="G9"), make_zone("C", ground=30.0)]
    problems = dict(check_references(sec, zones))
    assert problems.keys() == {"zones[1].gauge", "zones[2].ground_elevation_m",
                               "hazard.breaches[0].zone", "hazard.breaches[1].at_stage_m",
                               "hazard.dam_break.zones[1]"}
    assert problems["zones[1].gauge"] == "unknown gauge 'G9' (expected one of: G1)"
    assert check_references(section(), [make_zone("A")]) == []
    with pytest.raises(ValueError, match="unknown gauge"):
        run(sec, zones)


# --- NetCDF import -------------------------------------------------------------------------------


FILE_DEPTH = np.array([  # time (h) x zone, zones in the file's order C, A, X, B
    [0.0, 0.0, 9.0, 0.0],
    [0.3, 1.0, 9.0, 0.0],
    [0.6, 2.0, 9.0, 0.02],
])


def write_zone_file(path: Path, velocity: bool = True, engine: str = "scipy") -> Path:
    data: dict[str, Any] = {"depth": (("time", "zone"), FILE_DEPTH)}
    if velocity:
        data["velocity"] = (("time", "zone"), FILE_DEPTH * 0.5)
    ds = xr.Dataset(data, coords={"time": ("time", [0.0, 1.0, 3.0], {"units": "hours"}),
                                  "zone": ["C", "A", "X", "B"]})
    ds.to_netcdf(path, engine=engine)
    return path


def nc_section(name: str, **over: Any) -> FloodHazardSection:
    return validate(FloodHazardSection, {"netcdf": name, "time_step": "30min", **over}, "s.toml")


ABC = [make_zone("A"), make_zone("B"), make_zone("C")]


def test_netcdf_by_zone_is_reordered_interpolated_and_held(tmp_path: Path) -> None:
    write_zone_file(tmp_path / "flood.nc")
    field = run(nc_section("flood.nc", identification_lead_h=0.5), ABC, horizon_h=5,
                base_dir=tmp_path)
    np.testing.assert_allclose(field.times, np.arange(0, 301, 30))
    np.testing.assert_allclose(field.depth[:, 2], [1.0, 0.0, 0.3])  # 1 h, order A, B, C
    np.testing.assert_allclose(field.depth[:, 4], [1.5, 0.01, 0.45])  # 2 h: halfway to 3 h
    np.testing.assert_allclose(field.depth[:, -1], [2.0, 0.02, 0.6])  # 5 h: last value held
    np.testing.assert_allclose(field.velocity, field.depth * 0.5)
    assert field.zone_ids == ("A", "B", "C")
    # wet (0.01 m) at 0.6 min, 120 min, 2 min; identified half an hour earlier, not before 0
    np.testing.assert_allclose(field.identified_at, [0.0, 90.0, 0.0])


def test_netcdf_without_velocity_uses_the_froude_relation(tmp_path: Path) -> None:
    write_zone_file(tmp_path / "flood.nc", velocity=False)
    field = run(nc_section(str(tmp_path / "flood.nc"), froude=0.4), ABC, horizon_h=5)
    np.testing.assert_allclose(field.velocity, 0.4 * np.sqrt(G * field.depth))
    assert np.all(field.identified_at == np.maximum(field.arrival_times(0.01), 0))


def test_netcdf4_file_is_read_too(tmp_path: Path) -> None:
    write_zone_file(tmp_path / "flood4.nc", engine="h5netcdf")
    field = run(nc_section("flood4.nc"), ABC, horizon_h=5, base_dir=tmp_path)
    np.testing.assert_allclose(field.depth[:, -1], [2.0, 0.02, 0.6])


def test_netcdf_on_a_lat_lon_grid_is_sampled_at_the_nearest_cell(tmp_path: Path) -> None:
    lat, lon = np.array([33.0, 33.1, 33.2]), np.array([114.0, 114.1])
    cells = (10 * np.arange(3)[:, None] + np.arange(2)[None, :]).astype(float)  # 10·i + j
    depth = np.stack([0 * cells, cells / 10, cells / 5])
    times = np.array(["2021-07-20T00:00", "2021-07-20T02:00", "2021-07-20T04:00"],
                     dtype="datetime64[ns]")
    xr.Dataset({"h": (("time", "lat", "lon"), depth)},
               coords={"time": times, "lat": lat, "lon": lon}).to_netcdf(
        tmp_path / "grid.nc", engine="scipy")
    zones = [make_zone("A", lon=114.02, lat=33.09), make_zone("B", lon=114.14, lat=33.24)]
    field = run(nc_section("grid.nc", depth_var="h"), zones, horizon_h=4, base_dir=tmp_path)
    np.testing.assert_allclose(field.depth[:, -1], [10 / 5, 21 / 5])  # cells (1, 0) and (2, 1)
    np.testing.assert_allclose(field.at(60.0)[0], [0.5, 1.05])
    outside = [make_zone("far", lon=115.0, lat=33.1)]
    with pytest.raises(ConfigError, match="zone 'far' .* lies outside the grid"):
        run(nc_section("grid.nc", depth_var="h"), outside, horizon_h=4, base_dir=tmp_path)


def test_netcdf_time_in_minutes(tmp_path: Path) -> None:
    ds = xr.Dataset({"depth": (("zone", "time"), [[0.0, 3.0]])},
                    coords={"time": ("time", [0.0, 60.0], {"units": "minutes"}), "zone": ["A"]})
    ds.to_netcdf(tmp_path / "m.nc", engine="scipy")
    field = run(nc_section("m.nc"), [make_zone("A")], horizon_h=2, base_dir=tmp_path)
    np.testing.assert_allclose(field.depth[0], [0.0, 1.5, 3.0, 3.0, 3.0])


@pytest.mark.parametrize(("setup", "message"), [
    ("missing-file", "file not found"),
    ("missing-zone", "zone 'D' is not in the file's 'zone' coordinate"),
    ("missing-variable", "no variable 'water' (the file has: depth, velocity)"),
    ("missing-velocity", "no variable 'speed'"),
    ("wrong-dims", "expected (time, zone) or (time, lat, lon)"),
    ("bad-units", "time units 'fortnights'"),
    ("not-netcdf", "cannot be read as NetCDF"),
])
def test_netcdf_problems_are_one_line_config_errors(tmp_path: Path, setup: str,
                                                    message: str) -> None:
    write_zone_file(tmp_path / "flood.nc")
    zones, over, name = ABC, {}, "flood.nc"
    if setup == "missing-file":
        name = "nope.nc"
    elif setup == "missing-zone":
        zones = [*ABC, make_zone("D")]
    elif setup == "missing-variable":
        over = {"depth_var": "water"}
    elif setup == "missing-velocity":
        over = {"velocity_var": "speed"}
    elif setup == "wrong-dims":
        xr.Dataset({"depth": (("time", "reach"), [[1.0]])},
                   coords={"time": ("time", [0.0], {"units": "hours"})}).to_netcdf(
            tmp_path / "flood.nc", engine="scipy")
    elif setup == "bad-units":
        xr.Dataset({"depth": (("time", "zone"), [[1.0, 1.0, 1.0]])},
                   coords={"time": ("time", [0.0], {"units": "fortnights"}),
                           "zone": ["A", "B", "C"]}).to_netcdf(tmp_path / "flood.nc",
                                                                engine="scipy")
    elif setup == "not-netcdf":
        (tmp_path / "flood.nc").write_text("depth,velocity\n1,2\n")
    with pytest.raises(ConfigError) as info:
        run(nc_section(name, **over), zones, horizon_h=5, base_dir=tmp_path)
    problem = info.value.problems[0]
    assert problem.path == "hazard.netcdf"
    assert problem.source == str(tmp_path / "s.toml")         # the scenario file
    assert problem.message.startswith(f"{tmp_path / name}: ")  # then the hazard file
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# --- documentation -------------------------------------------------------------------------------


def test_the_documented_example_validates_and_runs() -> None:
    import re
    import tomllib

    doc = (Path(__file__).parents[2] / "docs" / "models" / "flood-hazard.md").read_text("utf-8")
    text = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    sec = validate(FloodHazardSection, tomllib.loads(text)["hazard"], "flood-hazard.md")
    zones = [make_zone("suiping-town", ground=62.0, protection=2.0, gauge="ru-suiping",
                       lon=114.01, lat=33.15),
             make_zone("suiping-lowland", ground=61.0, gauge="ru-suiping", lon=114.05, lat=33.1),
             make_zone("xincai-lowland", ground=35.0, protection=2.5, gauge="hong-xincai",
                       lon=114.98, lat=32.75)]
    assert check_references(sec, zones) == []
    field = run(sec, zones, horizon_h=96)
    assert field.depth.shape == (3, 96 * 6 + 1)
    assert np.all(np.isfinite(field.identified_at))  # every zone's gauge passes its warning stage
    assert FloodHazardSection.model_validate(sec.model_dump()) == sec


# --- an imported field beside its scenario file ---------------------------------------------------


def imported_tiny_flood(folder: Path) -> Path:
    """tiny-flood with its hazard imported from ``data/flood.nc`` (a path relative to the
    scenario file), written as ``folder/plans/imported.toml``."""
    text = bundled_path("tiny-flood").read_text(encoding="utf-8")
    head, rest = text.split("[hazard]\n", 1)
    tail = rest.split("[warnings]\n", 1)[1]
    plans = folder / "plans"
    (plans / "data").mkdir(parents=True)
    depth = np.array([[0.0, 0.0, 0.0, 0.0], [0.8, 0.3, 0.0, 0.0], [2.0, 1.2, 0.2, 0.0],
                      [1.5, 0.9, 0.1, 0.0]])                      # time x zone (m)
    xr.Dataset({"depth": (("time", "zone"), depth)},
               coords={"time": ("time", [0.0, 6.0, 12.0, 36.0], {"units": "hours"}),
                       "zone": ["riverside", "town", "terrace", "hill"]}).to_netcdf(
        plans / "data" / "flood.nc", engine="scipy")
    path = plans / "imported.toml"
    path.write_text(f'{head}[hazard]\nnetcdf = "data/flood.nc"\n\n[warnings]\n{tail}',
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("cwd, given", [("elsewhere", "absolute"), (".", "plans/imported.toml")])
def test_a_relative_netcdf_path_is_read_beside_the_scenario_from_any_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, given: str) -> None:
    scenario = imported_tiny_flood(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / cwd)
    result = CliRunner().invoke(app, ["run", str(scenario) if given == "absolute" else given,
                                      "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "tiny-flood: 1 replication" in result.stdout
    loaded = load_scenario(scenario)
    assert loaded.source_file == scenario
    field = flood_hazard(loaded.hazard, loaded.zones, np.random.default_rng(1), loaded.horizon,
                         loaded.source_file)
    np.testing.assert_allclose(field.peak_depth(), [2.0, 1.2, 0.2, 0.0])


def test_a_missing_netcdf_file_is_one_line_naming_the_scenario_file_and_field(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = imported_tiny_flood(tmp_path)
    nc = scenario.parent / "data" / "flood.nc"
    loaded = load_scenario(scenario)
    nc.unlink()
    # Gone after loading: the hazard reader says so, naming the scenario file and the field.
    with pytest.raises(ConfigError) as info:
        run_replication(build, loaded, 0, 1, loaded.horizon)
    assert (info.value.problems[0].source, info.value.problems[0].path) == (
        str(scenario), "hazard.netcdf")
    assert str(info.value) == f"{scenario}: hazard.netcdf: {nc}: file not found"
    # Gone before: the loader does, with the line (exit code 2, no traceback).
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", str(scenario), "--no-progress"])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in result.output
    assert re.fullmatch(rf"error: {re.escape(str(scenario))}:\d+: hazard.netcdf: "
                        rf"{re.escape(str(nc))}: file not found.*", line), line
    nc.mkdir()
    with pytest.raises(ConfigError, match="hazard.netcdf: .*flood.nc: is not a file"):
        load_scenario(scenario)
