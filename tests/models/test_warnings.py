"""Warnings: delay curves (Lindell's Weibull, triangular) and the alert/action shares per zone,
against hand-computed values (USACE HEC-LifeSim technical reference, ch. 6 and 11)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models.warnings import (
    Channel,
    DelayCurve,
    DoorToDoor,
    WarningsSection,
    is_daytime,
    simulate_warnings,
)
from models.zones import Zone

LN2 = math.log(2.0)
# Everybody within a micro-minute: the issuance and PAI delays vanish at the grids used here.
INSTANT = DelayCurve(triangular=(0.0, 0.0, 1e-6))
TOL = 1e-6  # shares, after the at most 1e-6 min issuance delay of INSTANT


def make_zone(zone_id: str = "z", night: int = 2620, day: int | None = None) -> Zone:
    return Zone(id=zone_id, lon=113.0, lat=33.0, area_km2=4.0, population_night=night,
                population_day=day, share_children=0.2, share_elderly=0.2,
                share_multistorey=0.5, ground_elevation_m=50.0, gauge="G1")


def section(**changes) -> WarningsSection:
    """A warnings section with no identification/communication delay and instant issuance."""
    base = dict(identification_delay=0.0, communication_delay=0.0, issuance=INSTANT,
                protective_action=INSTANT, never_act=0.0)
    base.update(changes)
    return WarningsSection(**base)


def channel(reach_day: float, reach_night: float | None = None,
            delay: DelayCurve = INSTANT, name: str = "sms") -> Channel:
    return Channel(name=name, reach_day=reach_day,
                   reach_night=reach_day if reach_night is None else reach_night, delay=delay)


def run(sec: WarningsSection, zones: list[Zone], identified_at, grid, start_hour: float = 0.0,
        seed: int = 1):
    return simulate_warnings(sec, zones, np.asarray(identified_at, dtype=float),
                             np.asarray(grid, dtype=float), start_hour,
                             np.random.default_rng(seed))


# --- Weibull (Lindell) delay curve --------------------------------------------------------------

@pytest.mark.parametrize("median, shape", [(40.0, 1.0), (8.0, 0.6), (120.0, 3.5)])
def test_weibull_cdf_is_one_half_at_the_median(median, shape):
    assert float(DelayCurve(median=median, shape=shape).cdf(median)) == pytest.approx(0.5)


def test_weibull_is_lindells_curve_with_a_from_the_median():
    """P(t) = 1 - exp(-a t^b) with a = ln 2 / m^b (Lindell, as in HEC-LifeSim)."""
    m, b = 40.0, 1.7
    a = LN2 / m**b
    t = np.array([0.0, 5.0, 20.0, 40.0, 90.0, 300.0])
    np.testing.assert_allclose(DelayCurve(median=m, shape=b).cdf(t), 1 - np.exp(-a * t**b),
                               rtol=1e-12, atol=1e-15)


def test_weibull_with_shape_one_is_exponential():
    t = np.array([10.0, 20.0, 40.0])
    np.testing.assert_allclose(DelayCurve(median=10.0).cdf(t), [0.5, 0.75, 0.9375])


@pytest.mark.parametrize("shape", [0.4, 1.0, 2.5])
def test_weibull_cdf_is_monotone_from_zero_to_one(shape):
    p = DelayCurve(median=30.0, shape=shape).cdf(np.linspace(0.0, 30000.0, 3001))
    assert p[0] == 0.0
    assert np.all(np.diff(p) >= 0)
    assert np.all((p >= 0) & (p <= 1))
    assert p[-1] > 0.99


@settings(max_examples=200, deadline=None)
@given(median=st.floats(0.5, 1000.0), shape=st.floats(0.3, 5.0), p=st.floats(0.0, 0.999),
       lag=st.floats(0.0, 120.0), scale=st.floats(0.5, 1.5))
def test_weibull_quantile_inverts_cdf(median, shape, p, lag, scale):
    curve = DelayCurve(median=median, shape=shape, lag=lag)
    t = curve.quantile(p, scale)
    assert t >= lag
    # Adding a delay far below the lag's float resolution returns the lag itself (then the cdf
    # is 0 however small p was): the inversion is exact only up to that resolution.
    resolution = np.spacing(max(t, 1.0))
    tolerance = max(1e-9, float(curve.cdf(t + resolution, scale) - curve.cdf(t, scale)))
    assert float(curve.cdf(t, scale)) == pytest.approx(p, abs=tolerance + 1e-9)


def test_lag_delays_everybody():
    curve = DelayCurve(median=10.0, lag=30.0)
    np.testing.assert_array_equal(curve.cdf([0.0, 15.0, 29.999, 30.0]), 0.0)
    assert float(curve.cdf(40.0)) == pytest.approx(0.5)      # median counted after the lag
    assert curve.quantile(0.0) == 30.0
    assert curve.quantile(0.5) == pytest.approx(40.0)


def test_scale_stretches_the_time_axis_after_the_lag():
    curve = DelayCurve(median=10.0, lag=5.0)
    assert float(curve.cdf(5.0 + 15.0, scale=1.5)) == pytest.approx(0.5)
    assert curve.quantile(0.5, scale=1.5) == pytest.approx(5.0 + 15.0)


def test_durations_accept_readable_units():
    curve = DelayCurve(median="40min", lag="1h")
    assert (curve.median, curve.lag) == (40.0, 60.0)


# --- triangular delay curve -------------------------------------------------------------------

# min 10, mode 20, max 40: F(x) = (x-10)^2 / (30*10) up to the mode, 1 - (40-x)^2 / (30*20) after.
TRI = DelayCurve(triangular=(10.0, 20.0, 40.0))
TRI_POINTS = [(0.0, 0.0), (10.0, 0.0), (15.0, 1 / 12), (20.0, 1 / 3), (30.0, 5 / 6),
              (40.0, 1.0), (55.0, 1.0)]


@pytest.mark.parametrize("t, p", TRI_POINTS)
def test_triangular_cdf_at_hand_computed_points(t, p):
    assert float(TRI.cdf(t)) == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("t, p", [pt for pt in TRI_POINTS if 0 < pt[1] < 1] + [(10.0, 0.0)])
def test_triangular_quantile_at_hand_computed_points(t, p):
    assert TRI.quantile(p) == pytest.approx(t, abs=1e-9)


@pytest.mark.parametrize("tri", [(0.0, 0.0, 60.0), (0.0, 60.0, 60.0), (5.0, 12.0, 90.0)])
def test_triangular_quantile_inverts_cdf_including_degenerate_modes(tri):
    curve = DelayCurve(triangular=tri, lag=3.0)
    for p in np.linspace(0.0, 0.99, 34):
        assert float(curve.cdf(curve.quantile(p, 1.2), 1.2)) == pytest.approx(p, abs=1e-9)
    assert np.all(np.diff(curve.cdf(np.linspace(0.0, 200.0, 401))) >= 0)


# --- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {},                                                       # neither form
    {"median": 10.0, "triangular": (1.0, 2.0, 3.0)},          # both forms
    {"triangular": (3.0, 2.0, 1.0)},                          # mode outside [min, max]
    {"triangular": (5.0, 5.0, 5.0)},                          # min == max
    {"median": 0.0},                                          # median must be > 0
    {"median": 10.0, "shape": 0.0},                           # shape must be > 0
    {"median": 10.0, "uncertainty": 1.5},                     # a share
    {"median": 10.0, "spread": 0.1},                          # unknown field
])
def test_invalid_delay_curves_are_rejected(fields):
    with pytest.raises(ValidationError):
        DelayCurve(**fields)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_quantile_rejects_p_outside_zero_to_one(p):
    with pytest.raises(ValueError, match="0 <= p < 1"):
        DelayCurve(median=10.0).quantile(p)


def test_draw_scale_is_one_uniform_draw_within_the_spread():
    rng = np.random.default_rng(7)
    scales = [DelayCurve(median=10.0, uncertainty=0.3).draw_scale(rng) for _ in range(200)]
    assert min(scales) >= 0.7 and max(scales) <= 1.3
    # Without uncertainty the factor is 1, and the draw is still taken (streams stay aligned).
    rng, twin = np.random.default_rng(7), np.random.default_rng(7)
    assert DelayCurve(median=10.0).draw_scale(rng) == 1.0
    twin.random()
    assert rng.random() == twin.random()


# --- channels -------------------------------------------------------------------------------------

def test_one_channel_reaches_its_reach_and_half_of_it_at_the_median():
    sec = section(channels=[channel(0.7, delay=DelayCurve(median=10.0))])
    out = run(sec, [make_zone()], [0.0], np.arange(0.0, 1001.0, 1.0))
    assert out.issued_at[0] == pytest.approx(0.0, abs=1e-6)
    assert out.alerted[0, 0] == 0.0                       # issued just after t = 0
    assert out.alerted[0, 10] == pytest.approx(0.35, abs=TOL)
    assert out.alerted[0, -1] == pytest.approx(0.7, abs=TOL)


def test_one_instant_channel_alerts_exactly_its_reach():
    out = run(section(channels=[channel(0.6)]), [make_zone()], [0.0], np.arange(0.0, 60.0, 5.0))
    np.testing.assert_allclose(out.alerted[0, 1:], 0.6)


def test_two_channels_combine_as_independent_chances():
    """1 - (1 - r1 P1)(1 - r2 P2): 1 - 0.4*0.5 = 0.8 late, 1 - 0.7*0.75 = 0.475 at the median."""
    sec = section(channels=[channel(0.6, delay=DelayCurve(median=10.0)),
                            channel(0.5, delay=DelayCurve(median=10.0), name="tv")])
    out = run(sec, [make_zone()], [0.0], np.arange(0.0, 1001.0, 1.0))
    assert out.alerted[0, 10] == pytest.approx(0.475, abs=TOL)
    assert out.alerted[0, -1] == pytest.approx(0.8, abs=TOL)


def test_identification_communication_and_issuance_delays_add_up():
    sec = section(identification_delay=30.0, communication_delay="15min",
                  issuance=DelayCurve(triangular=(20.0, 20.0, 20.000001)),
                  channels=[channel(0.5)])
    out = run(sec, [make_zone(), make_zone("b")], [0.0, 100.0], np.arange(0.0, 300.0, 1.0))
    np.testing.assert_allclose(out.issued_at, [65.0, 165.0], atol=1e-5)
    assert out.alerted[0, 65] == 0.0 and out.alerted[0, 66] == pytest.approx(0.5)
    assert out.alerted[1, 165] == 0.0 and out.alerted[1, 166] == pytest.approx(0.5)


@pytest.mark.parametrize("start_hour, identified_at, reach", [
    (12.0, 0.0, 0.9),     # noon
    (23.0, 0.0, 0.3),     # night
    (6.0, 120.0, 0.9),    # clock starts at night, issued at 08:00
    (21.0, 120.0, 0.3),   # clock starts by day, issued at 23:00
    (7.0, 0.0, 0.9),      # day begins at 07:00 (inclusive)
    (21.5, 30.0, 0.3),    # night begins at 22:00 (exclusive end of the day window)
])
def test_day_or_night_reach_follows_the_clock_at_issuance(start_hour, identified_at, reach):
    sec = section(channels=[channel(0.9, 0.3)])
    out = run(sec, [make_zone()], [identified_at], np.arange(0.0, 400.0, 10.0), start_hour)
    assert out.alerted[0, -1] == pytest.approx(reach)


def test_is_daytime_wraps_around_midnight():
    sec = section()
    # clock hours 3, 4, 9, 21, 22 and 13 (next day)
    minutes = np.array([0.0, 60.0, 6 * 60.0, 18 * 60.0, 19 * 60.0, 24 * 60.0 + 600.0])
    assert is_daytime(minutes, 3.0, sec).tolist() == [False, False, True, True, False, True]


# --- door to door ---------------------------------------------------------------------------------

def d2d_section(workers: int) -> WarningsSection:
    # 2620 people / 2.62 per household = 1000 households at 10 per worker-hour.
    return section(door_to_door=DoorToDoor(workers=workers, households_per_hour=10.0,
                                           start_delay=15.0, reach_night=0.98))


def test_door_to_door_covers_a_zone_at_an_even_pace():
    """10 workers x 10 households/h: 1000 households in 10 h, visits from minute 15 on."""
    out = run(d2d_section(10), [make_zone()], [0.0], np.arange(0.0, 800.0, 1.0))
    at = out.alerted[0]
    assert at[15] == pytest.approx(0.0, abs=TOL)
    assert at[15 + 300] == pytest.approx(0.49, abs=TOL)
    assert at[15 + 600] == pytest.approx(0.98, abs=TOL)
    assert at[-1] == pytest.approx(0.98)


def time_to_full_cover(workers: int) -> float:
    out = run(d2d_section(workers), [make_zone()], [0.0], np.arange(0.0, 800.0, 0.5))
    full = out.grid[np.argmax(out.alerted[0] >= 0.98 - TOL)]
    return float(full - out.issued_at[0] - 15.0)


def test_doubling_door_to_door_workers_halves_the_time_to_full_coverage():
    assert time_to_full_cover(10) == pytest.approx(600.0, abs=0.5)
    assert time_to_full_cover(20) == pytest.approx(300.0, abs=0.5)


def test_door_to_door_shares_workers_by_population():
    """30 workers for 2620 + 5240 people: 10 and 20 workers, both zones covered in 600 min."""
    zones = [make_zone("a", 2620), make_zone("b", 5240)]
    out = run(d2d_section(30), zones, [0.0, 0.0], np.arange(0.0, 800.0, 1.0))
    np.testing.assert_allclose(out.alerted[:, 15 + 300], 0.49, atol=TOL)


def test_door_to_door_without_workers_alerts_nobody():
    out = run(d2d_section(0), [make_zone()], [0.0], np.arange(0.0, 800.0, 10.0))
    assert not out.alerted.any()


# --- the whole chain --------------------------------------------------------------------------

def test_zones_never_identified_are_never_warned():
    sec = section(channels=[channel(0.9)], door_to_door=DoorToDoor(workers=50,
                                                                   households_per_hour=10.0))
    out = run(sec, [make_zone("a"), make_zone("b")], [0.0, math.inf], np.arange(0.0, 600.0, 5.0))
    assert math.isinf(out.issued_at[1])
    assert not out.alerted[1].any() and not out.acting[1].any()
    assert out.alerted[0, -1] > 0.9


def test_instant_protective_action_follows_the_alert_one_grid_step_later():
    """The PAI curve is sampled at whole steps, cdf(0) = 0: a delay in (0, step] takes a step."""
    out = run(section(channels=[channel(0.6)]), [make_zone()], [0.0], np.arange(0.0, 60.0, 5.0))
    np.testing.assert_allclose(out.acting[0, 2:], out.alerted[0, 1:-1], atol=1e-12)
    assert out.acting[0, 1] == pytest.approx(0.0, abs=1e-12)


def test_never_act_scales_the_acting_share():
    sec = section(channels=[channel(0.6)], never_act=0.25)
    out = run(sec, [make_zone()], [0.0], np.arange(0.0, 60.0, 5.0))
    assert out.acting[0, -1] == pytest.approx(0.6 * 0.75)


def test_acting_is_the_alert_density_convolved_with_the_pai_curve():
    """Alert at ~0 to share 0.8, PAI Weibull median 20 min: acting(t) = 0.8 P(t)."""
    pai = DelayCurve(median=20.0, shape=1.5)
    sec = section(channels=[channel(0.8)], protective_action=pai)
    grid = np.arange(0.0, 301.0, 1.0)
    out = run(sec, [make_zone()], [0.0], grid)
    # alerted jumps in bin 1, so action lags one bin behind the continuous curve
    np.testing.assert_allclose(out.acting[0, 1:], 0.8 * pai.cdf(grid[:-1]), atol=1e-9)


def rich_section(never_act: float) -> WarningsSection:
    return WarningsSection(
        identification_delay=20.0, communication_delay=10.0,
        issuance=DelayCurve(median=30.0, shape=1.3, uncertainty=0.4),
        channels=[channel(0.8, 0.5, DelayCurve(median=15.0, uncertainty=0.5)),
                  channel(0.6, 0.4, DelayCurve(triangular=(5.0, 30.0, 120.0), uncertainty=0.2),
                          name="loudspeaker")],
        door_to_door=DoorToDoor(workers=40, households_per_hour=8.0, uncertainty=0.3),
        protective_action=DelayCurve(median=60.0, shape=0.8, lag=5.0, uncertainty=0.3),
        never_act=never_act)


RICH_ZONES = [make_zone("a", 3000, 5000), make_zone("b", 800), make_zone("c", 0)]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), never_act=st.floats(0.0, 1.0),
       start_hour=st.floats(0.0, 23.99), ident=st.floats(0.0, 300.0))
def test_alert_and_action_shares_are_monotone_bounded_and_ordered(seed, never_act, start_hour,
                                                                  ident):
    out = run(rich_section(never_act), RICH_ZONES, [ident, 2 * ident, math.inf],
              np.arange(0.0, 1440.0, 15.0), start_hour, seed)
    for shares in (out.alerted, out.acting):
        assert np.all(np.diff(shares, axis=1) >= -1e-12)
        assert np.all((shares >= 0.0) & (shares <= 1.0))
    assert np.all(out.acting <= out.alerted * (1.0 - never_act) + 1e-9)
    assert not out.alerted[2].any()


def test_same_seed_gives_identical_output_and_another_seed_differs():
    grid = np.arange(0.0, 1440.0, 15.0)
    a = run(rich_section(0.1), RICH_ZONES, [0.0, 60.0, math.inf], grid, 2.0, seed=11)
    b = run(rich_section(0.1), RICH_ZONES, [0.0, 60.0, math.inf], grid, 2.0, seed=11)
    c = run(rich_section(0.1), RICH_ZONES, [0.0, 60.0, math.inf], grid, 2.0, seed=12)
    for x, y in ((a.alerted, b.alerted), (a.acting, b.acting), (a.issued_at, b.issued_at)):
        np.testing.assert_array_equal(x, y)
    assert a.pai_scale == b.pai_scale
    assert not np.array_equal(a.alerted, c.alerted)


def test_alerted_by_interpolates_between_grid_times_and_caps_at_the_end():
    out = run(section(channels=[channel(0.8, delay=DelayCurve(median=10.0))]),
              [make_zone("a"), make_zone("b")], [0.0, 0.0], np.arange(0.0, 101.0, 10.0))
    got = out.alerted_by(np.array([15.0, math.inf]))
    assert got[0] == pytest.approx((out.alerted[0, 1] + out.alerted[0, 2]) / 2)
    assert got[1] == pytest.approx(out.alerted[1, -1])
