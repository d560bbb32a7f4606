"""Gaussian plume, puff and puff-train dispersion, checked against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

import models.hazards.plume as plume_module
from models.geo import haversine_km
from models.hazards.plume import (
    CALM_WIND_M_S,
    PASQUILL_TABLE,
    WeatherStep,
    briggs_sigmas,
    concentration_series,
    kg_m3_to_ppm,
    local_metres,
    lonlat_from_local,
    pasquill_class,
    plume_concentration,
    ppm_to_kg_m3,
    puff_concentration,
    puff_train_concentration,
    weather_jitter,
)
from models.hazards.source import ContinuousRelease, InstantaneousRelease, ReleaseRate

# --- Briggs sigmas -------------------------------------------------------------------------------

# Briggs (1973) at x = 1000 m, worked by hand from the table in REFERENCE-PARAMETERS.md:
# class: (rural sigma_y, rural sigma_z, urban sigma_y, urban sigma_z), metres.
AT_1000_M = {
    "A": (0.22e3 / math.sqrt(1.1), 200.0, 0.32e3 / math.sqrt(1.4), 0.24e3 * math.sqrt(2.0)),
    "B": (0.16e3 / math.sqrt(1.1), 120.0, 0.32e3 / math.sqrt(1.4), 0.24e3 * math.sqrt(2.0)),
    "C": (0.11e3 / math.sqrt(1.1), 80.0 / math.sqrt(1.2), 0.22e3 / math.sqrt(1.4), 200.0),
    "D": (0.08e3 / math.sqrt(1.1), 60.0 / math.sqrt(2.5), 0.16e3 / math.sqrt(1.4),
          140.0 / math.sqrt(1.3)),
    "E": (0.06e3 / math.sqrt(1.1), 30.0 / 1.3, 0.11e3 / math.sqrt(1.4), 80.0 / math.sqrt(2.5)),
    "F": (0.04e3 / math.sqrt(1.1), 16.0 / 1.3, 0.11e3 / math.sqrt(1.4), 80.0 / math.sqrt(2.5)),
}
# The same, as decimals (rounded to 4 places), so a typo in both forms cannot go unseen.
AT_1000_M_DECIMALS = {
    "A": (209.7618, 200.0, 270.4494, 339.4113), "B": (152.5540, 120.0, 270.4494, 339.4113),
    "C": (104.8809, 73.0297, 185.9339, 200.0), "D": (76.2770, 37.9473, 135.2247, 122.7881),
    "E": (57.2078, 23.0769, 92.9670, 50.5964), "F": (38.1385, 12.3077, 92.9670, 50.5964),
}


@pytest.mark.parametrize("cls", "ABCDEF")
def test_briggs_sigmas_at_1_km_match_the_table(cls: str) -> None:
    rural = briggs_sigmas(1000.0, cls, urban=False)
    urban = briggs_sigmas(1000.0, cls, urban=True)
    got = (float(rural[0]), float(rural[1]), float(urban[0]), float(urban[1]))
    assert got == pytest.approx(AT_1000_M[cls], rel=1e-12)
    assert got == pytest.approx(AT_1000_M_DECIMALS[cls], abs=1e-4)


def test_briggs_sigmas_broadcast_over_distance_and_class_and_clip_at_1_m() -> None:
    sy, sz = briggs_sigmas([[0.0], [1000.0]], ["D", "F"])
    assert sy.shape == (2, 2)
    assert sy[1, 0] == pytest.approx(AT_1000_M["D"][0])
    assert sy[1, 1] == pytest.approx(AT_1000_M["F"][0])
    np.testing.assert_allclose(sy[0], briggs_sigmas(1.0, ["D", "F"])[0])
    assert np.all(sy > 0) and np.all(sz > 0)


def test_unknown_stability_class_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown stability class 'G'"):
        briggs_sigmas(100.0, "G")
    with pytest.raises(ValueError, match="unknown stability class"):
        briggs_sigmas(100.0, "AB")


# --- Pasquill classes ----------------------------------------------------------------------------

# One representative speed per wind band of the table: < 2, 2-3, 3-5, 5-6, > 6 m/s. In-between
# classes resolve to the more stable one (A-B -> B, B-C -> C, C-D -> D).
SPEEDS = (1.0, 2.5, 4.0, 5.5, 7.0)
ROWS = {
    "strong": "ABBCC",  # A, A-B, B, C, C
    "moderate": "BBCDD",  # A-B, B, B-C, C-D, D
    "slight": "BCCDD",
    "over_4_8": "EEDDD",
    "under_3_8": "FFEDD",
}


@pytest.mark.parametrize("column", sorted(ROWS))
def test_pasquill_table(column: str) -> None:
    day = column in ("strong", "moderate", "slight")
    for speed, expected in zip(SPEEDS, ROWS[column], strict=True):
        kwargs = {"insolation": column} if day else {"night_cloud": column}
        assert pasquill_class(speed, **kwargs) == expected, (column, speed)


def test_pasquill_table_holds_the_reference_entries() -> None:
    assert PASQUILL_TABLE["strong"] == ("A", "A-B", "B", "C", "C")
    assert PASQUILL_TABLE["moderate"] == ("A-B", "B", "B-C", "C-D", "D")
    assert PASQUILL_TABLE["under_3_8"] == ("F", "F", "E", "D", "D")


def test_a_speed_on_a_band_boundary_belongs_to_the_faster_band() -> None:
    assert pasquill_class(1.99, insolation="strong") == "A"
    assert pasquill_class(2.0, insolation="strong") == "B"  # A-B
    assert pasquill_class(6.0, insolation="moderate") == "D"
    assert pasquill_class(0.0, night_cloud="under_3_8") == "F"


def test_overcast_and_sunrise_sunset_give_neutral() -> None:
    assert pasquill_class(1.0, insolation="strong", overcast=True) == "D"
    assert pasquill_class(1.0, night_cloud="under_3_8", overcast=True) == "D"
    assert pasquill_class(1.0, night_cloud="under_3_8", near_sunrise_sunset=True) == "D"


def test_pasquill_needs_day_or_night_and_a_real_speed() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        pasquill_class(3.0)
    with pytest.raises(ValueError, match="exactly one"):
        pasquill_class(3.0, insolation="strong", night_cloud="over_4_8")
    with pytest.raises(ValueError, match="insolation must be"):
        pasquill_class(3.0, insolation="blinding")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="wind_speed_10m"):
        pasquill_class(-1.0, insolation="strong")


# --- steady plume --------------------------------------------------------------------------------


def hand_plume(q: float, u: float, y: float, z: float, h: float, sy: float, sz: float) -> float:
    """The reference formula, written out independently of the module."""
    return (q / (2 * math.pi * u * sy * sz) * math.exp(-y * y / (2 * sy * sy))
            * (math.exp(-((z - h) ** 2) / (2 * sz * sz))
               + math.exp(-((z + h) ** 2) / (2 * sz * sz))))


@pytest.mark.parametrize("cls, urban, y, z, h", [
    ("D", False, 0.0, 0.0, 0.0),  # centreline at ground level
    ("D", False, 120.0, 0.0, 0.0),  # off axis
    ("F", False, -40.0, 1.5, 0.0),  # breathing height
    ("B", False, 0.0, 0.0, 30.0),  # elevated source, ground receptor
    ("E", True, 60.0, 10.0, 25.0),  # elevated source, elevated receptor, urban
    ("A", True, 300.0, 0.0, 50.0),
])
def test_plume_matches_the_hand_formula_at_1_km(cls, urban, y, z, h) -> None:
    q, u = 2.5, 3.2
    sy, sz = AT_1000_M[cls][2:] if urban else AT_1000_M[cls][:2]
    expected = hand_plume(q, u, y, z, h, sy, sz)
    got = float(plume_concentration(q, u, 1000.0, y, z, h, cls, urban=urban))
    assert got == pytest.approx(expected, rel=1e-9)
    assert got > 0


def test_plume_centreline_value_in_numbers() -> None:
    # 1 kg/s, 5 m/s, class D rural, 1 km, ground: 1 / (π·5·76.277·37.947) = 2.1993e-5 kg/m³.
    got = float(plume_concentration(1.0, 5.0, 1000.0, 0.0, 0.0, 0.0, "D"))
    assert got == pytest.approx(1.0 / (math.pi * 5.0 * 76.2770 * 37.9473), rel=1e-5)
    assert got == pytest.approx(2.1993e-5, rel=1e-4)


def test_plume_is_zero_upwind_and_at_the_source() -> None:
    c = plume_concentration(1.0, 3.0, np.array([-500.0, -1.0, 0.0, 1.0]), 0.0, 0.0, 0.0, "D")
    assert c[0] == c[1] == c[2] == 0.0
    assert c[3] > 0


def test_plume_vectorises_over_receptors() -> None:
    x = np.linspace(100, 5000, 50)
    y = np.linspace(-200, 200, 50)
    c = plume_concentration(1.0, 3.0, x[:, None], y[None, :], 0.0, 0.0, "C")
    assert c.shape == (50, 50)
    one = plume_concentration(1.0, 3.0, x[7], y[11], 0.0, 0.0, "C")
    assert c[7, 11] == pytest.approx(float(one), rel=1e-15)


@pytest.mark.parametrize("u", [0.0, 0.2, -1.0])
def test_calm_wind_is_clamped_to_half_a_metre_per_second(u: float) -> None:
    c = plume_concentration(1.0, u, 500.0, 0.0, 0.0, 0.0, "F")
    assert np.isfinite(c)
    assert c == pytest.approx(plume_concentration(1.0, CALM_WIND_M_S, 500.0, 0, 0, 0, "F"))
    p = puff_concentration(10.0, u, 600.0, 300.0, 0.0, 0.0, 0.0, "F")
    assert np.isfinite(p) and p > 0


def test_wind_speed_nan_is_an_error() -> None:
    with pytest.raises(ValueError, match="nan"):
        plume_concentration(1.0, math.nan, 500.0, 0.0, 0.0, 0.0, "D")


# --- puff ----------------------------------------------------------------------------------------


def test_puff_matches_the_hand_formula() -> None:
    mass, u, t = 500.0, 2.0, 500.0  # centre 1 km downwind
    sy, sz = AT_1000_M["D"][:2]
    x, y, z, h = 1100.0, 50.0, 2.0, 10.0
    expected = (mass / ((2 * math.pi) ** 1.5 * sy * sy * sz)
                * math.exp(-((x - u * t) ** 2) / (2 * sy * sy)) * math.exp(-y * y / (2 * sy * sy))
                * (math.exp(-((z - h) ** 2) / (2 * sz * sz))
                   + math.exp(-((z + h) ** 2) / (2 * sz * sz))))
    assert float(puff_concentration(mass, u, t, x, y, z, h, "D")) == pytest.approx(expected,
                                                                                   rel=1e-9)


def test_puff_is_zero_before_its_release() -> None:
    assert float(puff_concentration(1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, "D")) == 0.0
    assert float(puff_concentration(1.0, 3.0, -10.0, 0.0, 0.0, 0.0, 0.0, "D")) == 0.0


@pytest.mark.parametrize("h", [0.0, 20.0])
def test_puff_mass_balance(h: float) -> None:
    """The puff integrated over the half space z >= 0 holds the mass released."""
    mass, u, t, cls = 100.0, 3.0, 600.0, "D"
    centre = u * t
    sy, sz = (float(s) for s in briggs_sigmas(centre, cls))
    x = np.linspace(centre - 6 * sy, centre + 6 * sy, 97)
    y = np.linspace(-6 * sy, 6 * sy, 97)
    dz = sz / 8
    z = (np.arange(int((h + 7 * sz) / dz)) + 0.5) * dz  # cell centres from the ground up
    c = puff_concentration(mass, u, t, x[:, None, None], y[None, :, None], z[None, None, :], h,
                           cls)
    total = c.sum() * (x[1] - x[0]) * (y[1] - y[0]) * dz
    assert total == pytest.approx(mass, rel=0.01)


# --- units and coordinates -----------------------------------------------------------------------


def test_ppm_conversion_uses_24_45_litres_per_mole() -> None:
    # 1 ppm chlorine = 70.9 / 24.45 mg/m³ = 2.8998 mg/m³
    assert float(ppm_to_kg_m3(1.0, 70.9)) == pytest.approx(70.9 / 24.45 * 1e-6, rel=1e-12)
    assert float(kg_m3_to_ppm(2.8998e-6, 70.9)) == pytest.approx(1.0, rel=1e-4)


@pytest.mark.parametrize("lat0", [32.98, 50.0])
def test_local_projection_is_good_to_a_thousandth_over_20_km(lat0: float) -> None:
    lon0 = 114.02
    bearings = np.radians(np.arange(0, 360, 22.5))
    east, north = 20_000 * np.sin(bearings), 20_000 * np.cos(bearings)
    lon, lat = lonlat_from_local(east, north, lon0, lat0)
    great_circle = haversine_km(lon0, lat0, lon, lat) * 1000
    np.testing.assert_allclose(np.hypot(east, north), great_circle, rtol=1e-3)
    back_e, back_n = local_metres(lon, lat, lon0, lat0)
    np.testing.assert_allclose(back_e, east, atol=1e-6)
    np.testing.assert_allclose(back_n, north, atol=1e-6)


# --- puff train ----------------------------------------------------------------------------------


def along_cross(east, north, wind_from_deg: float):
    """Downwind and crosswind coordinates for a wind blowing FROM wind_from_deg."""
    theta = math.radians(wind_from_deg)
    de, dn = -math.sin(theta), -math.cos(theta)
    return east * de + north * dn, north * de - east * dn


def test_wind_from_the_west_carries_the_gas_east() -> None:
    east = np.array([2000.0, -2000.0, 0.0, 0.0])
    north = np.array([0.0, 0.0, 2000.0, -2000.0])
    c = puff_train_concentration(ReleaseRate(1.0, 3600.0), [(0.0, 3.0, 270.0, "D")], east,
                                 north, [3000.0])
    assert c[0, 0] > 0 and c[1:, 0].max() == 0.0


@pytest.mark.parametrize("wind_from", [270.0, 37.0])
def test_slug_train_of_a_steady_release_is_the_steady_plume(wind_from: float) -> None:
    q, u, cls = 2.0, 3.0, "D"
    along = np.array([150.0, 300.0, 1000.0, 1000.0, 2500.0, 4000.0])
    cross = np.array([0.0, 10.0, 0.0, 90.0, -150.0, 300.0])
    theta = math.radians(wind_from)
    de, dn = -math.sin(theta), -math.cos(theta)
    east, north = along * de - cross * dn, along * dn + cross * de
    times = np.array([4000.0, 5000.0, 7000.0])
    c = puff_train_concentration(ReleaseRate(q, 3 * 3600.0), [(0.0, u, wind_from, cls)], east,
                                 north, times)
    expected = plume_concentration(q, u, along, cross, 0.0, 0.0, cls)
    np.testing.assert_allclose(c, np.repeat(expected[:, None], 3, axis=1), rtol=1e-9)


def test_gaussian_puff_train_converges_to_the_plume_far_from_the_source() -> None:
    q, u = 1.0, 3.0
    x = np.array([3000.0, 5000.0, 8000.0])
    c = puff_train_concentration(ReleaseRate(q, 4 * 3600.0), [(0.0, u, 270.0, "D")], x,
                                 np.zeros(3), [3 * 3600.0], shape="gaussian")
    expected = plume_concentration(q, u, x, 0.0, 0.0, 0.0, "D")
    np.testing.assert_allclose(c[:, 0], expected, rtol=0.01)


def test_gaussian_puff_train_is_the_sum_of_its_puffs() -> None:
    """Brute force: every puff (mass, release time, wind of its release) summed everywhere."""
    rng = np.random.default_rng(7)
    east, north = rng.uniform(-3000, 3000, 400), rng.uniform(-3000, 3000, 400)
    steps = [WeatherStep(0.0, 2.0, 250.0, "D"), WeatherStep(300.0, 4.0, 200.0, "C"),
             WeatherStep(700.0, 0.0, 90.0, "F")]  # the last one calm
    rate = ReleaseRate(1.5, 930.0)  # 15 puffs of 90 kg and a last one of 45 kg
    times = np.arange(60.0, 2400.0, 90.0)
    got = puff_train_concentration(rate, steps, east, north, times, shape="gaussian",
                                   source_height_m=5.0, receptor_height_m=1.5)
    expected = np.zeros_like(got)
    for k in range(16):
        length = min(60.0, 930.0 - 60.0 * k)
        centre = 60.0 * k + length / 2
        step = [s for s in steps if s.start_s <= centre][-1]  # the wind it is released into
        x, y = along_cross(east, north, step.wind_from_deg)
        expected += puff_concentration(1.5 * length, step.wind_speed_m_s, times[None, :] - centre,
                                       x[:, None], y[:, None], 1.5, 5.0, step.stability)
    assert expected.max() > 0
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-7 * expected.max())


def test_cutting_puffs_at_six_sigma_changes_nothing_visible(monkeypatch) -> None:
    rng = np.random.default_rng(3)
    east, north = rng.uniform(-5000, 5000, 600), rng.uniform(-5000, 5000, 600)
    steps = [(0.0, 3.0, 300.0, "E"), (900.0, 2.0, 250.0, "B")]
    times = np.arange(120.0, 4000.0, 120.0)
    cut = puff_train_concentration(ReleaseRate(1.0, 1500.0), steps, east, north, times)
    monkeypatch.setattr(plume_module, "K_SIGMA", 1e4)  # reach every receptor
    full = puff_train_concentration(ReleaseRate(1.0, 1500.0), steps, east, north, times)
    np.testing.assert_allclose(cut, full, rtol=0, atol=1e-7 * full.max())


def test_a_short_release_is_a_puff() -> None:
    """A 1-second release, as a slug, is the Gaussian puff of its mass."""
    release = InstantaneousRelease(chemical="chlorine", mass_kg=500.0)
    x = np.array([1500.0, 1800.0, 2100.0, 1800.0])
    y = np.array([0.0, 0.0, 0.0, 100.0])
    c = puff_train_concentration(release.rate_function(), [(0.0, 3.0, 270.0, "D")], x, y, [600.5])
    expected = puff_concentration(500.0, 3.0, 600.0, x, y, 0.0, 0.0, "D")
    np.testing.assert_allclose(c[:, 0], expected, rtol=0.01)


def test_puff_train_mass_balance() -> None:
    """All the mass released is in the air: integrate the slug train over x, y and z >= 0."""
    rate = ReleaseRate(2.0, 300.0)  # 600 kg over 5 min
    t = 1200.0
    x = np.arange(-1000.0, 6000.0, 25.0)
    y = np.arange(-1200.0, 1200.0, 25.0)
    ex, ny = np.meshgrid(x, y, indexing="ij")
    dz = 4.0
    total = 0.0
    for z in (np.arange(60) + 0.5) * dz:
        c = puff_train_concentration(rate, [(0.0, 3.0, 270.0, "D")], ex.ravel(), ny.ravel(), [t],
                                     receptor_height_m=z)
        total += c.sum() * 25.0 * 25.0 * dz
    assert total == pytest.approx(600.0, rel=0.01)


def test_the_release_stops_and_the_cloud_moves_on() -> None:
    release = ContinuousRelease(chemical="ammonia", rate_kg_s=3.0, duration="2h")
    rate = release.rate_function(stop_s=900.0)  # the hazmat team stops it after 15 min
    times = np.array([600.0, 1200.0, 3000.0])
    c = puff_train_concentration(rate, [(0.0, 3.0, 270.0, "D")], [500.0], [0.0], times)
    steady = plume_concentration(3.0, 3.0, 500.0, 0.0, 0.0, 0.0, "D")
    assert c[0, 0] == pytest.approx(float(steady), rel=1e-6)  # still leaking
    assert c[0, 2] < 1e-9 * c[0, 0]  # long gone


def test_a_generic_rate_function_matches_the_exact_one() -> None:
    exact = puff_train_concentration(ReleaseRate(2.0, 1e9), [(0.0, 3.0, 270.0, "D")],
                                     [1000.0, 2000.0], [0.0, 50.0], [3600.0])
    generic = puff_train_concentration(lambda t: np.full(np.shape(t), 2.0),
                                       [(0.0, 3.0, 270.0, "D")], [1000.0, 2000.0], [0.0, 50.0],
                                       [3600.0])
    np.testing.assert_allclose(generic, exact, rtol=1e-9)


def test_calm_weather_step_is_clamped_not_divided_by() -> None:
    c = puff_train_concentration(ReleaseRate(1.0, 600.0), [(0.0, 0.0, 0.0, "F")],
                                 [0.0, 100.0, 0.0], [-100.0, 0.0, -300.0], [300.0, 900.0])
    assert np.all(np.isfinite(c)) and c.max() > 0
    calm = puff_train_concentration(ReleaseRate(1.0, 600.0), [(0.0, CALM_WIND_M_S, 0.0, "F")],
                                    [0.0, 100.0, 0.0], [-100.0, 0.0, -300.0], [300.0, 900.0])
    np.testing.assert_array_equal(c, calm)


def test_concentration_series_in_ppm_on_lon_lat() -> None:
    lon0, lat0 = 114.02, 32.98
    east, north = np.array([800.0, 1500.0, 3000.0]), np.array([100.0, -50.0, 0.0])
    lon, lat = lonlat_from_local(east, north, lon0, lat0)
    weather = [(0.0, 2.5, 270.0, "D")]
    times = np.array([1800.0, 3600.0])
    ppm = concentration_series(ReleaseRate(1.0, 7200.0), weather, np.column_stack([lon, lat]),
                               (lon0, lat0), times, molecular_weight=70.906)
    kg = puff_train_concentration(ReleaseRate(1.0, 7200.0), weather, east, north, times)
    np.testing.assert_allclose(ppm, kg * 1e6 * 24.45 / 70.906, rtol=1e-9)
    assert ppm.shape == (3, 2)


def test_weather_hook_is_applied_once_per_step_and_is_reproducible() -> None:
    calls = []

    def hook(index: int, step: WeatherStep) -> WeatherStep:
        calls.append(index)
        return step._replace(wind_from_deg=90.0)  # the wind turns: from the east

    c = puff_train_concentration(ReleaseRate(1.0, 3600.0),
                                 [(0.0, 3.0, 270.0, "D"), (1800.0, 3.0, 270.0, "D")],
                                 [-1000.0, 1000.0], [0.0, 0.0], [1500.0], weather_hook=hook)
    assert calls == [0, 1]
    assert c[0, 0] > 0 and c[1, 0] == 0.0

    def run(seed: int) -> np.ndarray:
        jitter = weather_jitter(np.random.default_rng(seed), direction_sd_deg=20.0,
                                speed_log_sd=0.2)
        return puff_train_concentration(ReleaseRate(1.0, 3600.0), [(0.0, 3.0, 270.0, "D")],
                                        [1000.0, 1000.0], [0.0, 300.0], [1500.0],
                                        weather_hook=jitter)

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


@pytest.mark.parametrize("steps, message", [
    ([], "at least one"),
    ([(10.0, 3.0, 270.0, "D")], "after the release starts"),
    ([(0.0, 3.0, 270.0, "D"), (0.0, 3.0, 270.0, "D")], "increasing"),
    ([(0.0, 3.0, 270.0, "X")], "unknown stability class"),
    ([(0.0, -3.0, 270.0, "D")], "wind speeds"),
])
def test_bad_weather_is_an_error(steps, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        puff_train_concentration(ReleaseRate(1.0, 60.0), steps, [100.0], [0.0], [120.0])


def test_nothing_released_nothing_in_the_air() -> None:
    c = puff_train_concentration(ReleaseRate(1.0, 0.0), [(0.0, 3.0, 270.0, "D")], [100.0],
                                 [0.0], [120.0, 240.0])
    np.testing.assert_array_equal(c, 0.0)
    before = puff_train_concentration(ReleaseRate(1.0, 600.0), [(0.0, 3.0, 270.0, "D")], [100.0],
                                      [0.0], [-60.0, 0.0])
    np.testing.assert_array_equal(before, 0.0)


def test_a_time_varying_release_is_seen_downwind_after_the_travel_time() -> None:
    """A rate falling linearly from 4 to 0 kg/s over an hour (a generic rate function, so no
    slugs merge): far downwind the concentration follows the rate at the emission time."""

    def rate(t):
        t = np.asarray(t, dtype=float)
        return np.where((t >= 0) & (t < 3600), 4.0 * (1 - t / 3600), 0.0)

    x, u = 3000.0, 3.0
    times = np.array([1500.0, 2000.0, 2500.0, 3000.0])
    c = puff_train_concentration(rate, [(0.0, u, 270.0, "D")], [x], [0.0], times)
    per_kg_s = float(plume_concentration(1.0, u, x, 0.0, 0.0, 0.0, "D"))
    emitted = rate(times - x / u)
    np.testing.assert_allclose(c[0], emitted * per_kg_s, rtol=0.02)


def test_concentrations_scale_with_the_release_rate() -> None:
    rng = np.random.default_rng(11)
    east, north = rng.uniform(-2000, 2000, 200), rng.uniform(-2000, 2000, 200)
    steps = [(0.0, 2.0, 10.0, "E"), (600.0, 3.0, 60.0, "D")]
    times = np.arange(60.0, 1800.0, 60.0)
    one = puff_train_concentration(ReleaseRate(1.0, 900.0), steps, east, north, times)
    three = puff_train_concentration(ReleaseRate(3.0, 900.0), steps, east, north, times)
    np.testing.assert_allclose(three, 3.0 * one, rtol=1e-12, atol=1e-300)
    assert one.min() >= 0.0


def test_docs_worked_example() -> None:
    """The numbers of the worked example in docs/models/chemical-physics.md."""
    from models.hazards.toxicity import (
        CHLORINE_PROBIT,
        aegl,
        indoor_concentration,
        probit_lethality,
        threat_zones,
        toxic_load,
    )

    cls = pasquill_class(3.0, insolation="slight", overcast=True)
    assert cls == "D"
    sy, sz = briggs_sigmas(1000.0, cls)
    assert (float(sy), float(sz)) == pytest.approx((76.28, 37.95), abs=0.005)
    c = float(plume_concentration(2.0, 3.0, 1000.0, 0.0, 0.0, 0.0, cls))
    assert c == pytest.approx(7.331e-5, rel=1e-3)
    ppm = float(kg_m3_to_ppm(c, 70.906))
    assert ppm == pytest.approx(25.28, abs=0.005)
    assert float(aegl("chlorine", 3, 30)) == 28.0
    # Distance at which the steady centreline falls to each 30-min AEGL.
    for level, metres in ((3, 940), (2, 4181), (1, 15474)):
        target = float(ppm_to_kg_m3(aegl("chlorine", level, 30), 70.906))
        assert float(plume_concentration(2.0, 3.0, metres - 1, 0, 0, 0, cls)) > target
        assert float(plume_concentration(2.0, 3.0, metres + 1, 0, 0, 0, cls)) < target

    release = ContinuousRelease(chemical="chlorine", rate_kg_s=2.0, duration="30min")
    lon, lat = lonlat_from_local([1000.0], [0.0], 114.02, 32.98)
    times = 60.0 * np.arange(41)
    series = concentration_series(release.rate_function(stop_s=1200.0),
                                  [(0.0, 3.0, 270.0, "D")], np.column_stack([lon, lat]),
                                  (114.02, 32.98), times, molecular_weight=70.906)[0]
    np.testing.assert_allclose(series[[5, 6, 10, 20, 25, 26, 30]],
                               [2.215, 21.56, 25.28, 25.28, 22.88, 3.671, 0.0], atol=0.005)
    zones = threat_zones(series, times / 60, "chlorine")
    np.testing.assert_allclose(zones.peak_mean_ppm[:, 0], [25.28, 16.85, 8.42], atol=0.005)
    assert [int(zones.level(d)[0]) for d in (10.0, 30.0, 60.0)] == [2, 2, 2]
    outdoor = float(toxic_load(series[:-1], 1.0, 2.0))
    assert outdoor == pytest.approx(12_510, rel=1e-3)
    p = float(probit_lethality(outdoor, CHLORINE_PROBIT.k1, CHLORINE_PROBIT.k2))
    assert p == pytest.approx(2.0e-6, rel=0.01)
    indoor = indoor_concentration(series, times / 60, 0.5)
    assert indoor.max() == pytest.approx(3.85, abs=0.005)
    assert indoor[-1] == pytest.approx(3.45, abs=0.005)
    assert float(toxic_load(indoor[:-1], 1.0, 2.0)) == pytest.approx(286, abs=0.5)
