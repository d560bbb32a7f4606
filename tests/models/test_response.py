"""Shared response parts (models/response/): when an order takes effect, warnings moved by the
orders a model names, and the warnings-to-cohorts set-up both hazard models use.

* ``decided_at``: the plan's minute or an earlier order's (plus its delay); with
  ``replaces_plan`` the order's alone, never without one;
* ``simulate_warnings`` obeys the orders of the actions it is given (the flood model's
  ``warn``/``evacuate`` by default, the chemical model's ``shelter_in_place`` too), with the same
  draws whatever the orders;
* ``warn_people`` is exactly the warning chain, the people present and the cohorts drawn by
  hand from the ``warnings`` and ``population`` streams;
* both models' maps have a frame at every time of the reported series.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.catalog import build
from models.loading import load_scenario
from models.orders import OrdersSection
from models.population import group_counts, sample_cohorts
from models.response.cohorts import warn_people
from models.response.orders import decided_at
from models.warnings import Channel, DelayCurve, WarningsSection, is_daytime, simulate_warnings
from models.zones import Zone
from sim.runner import run_replication
from sim.streams import Streams


def orders(*items: tuple[float, str, list[str]], replaces_plan: bool = False) -> OrdersSection:
    return OrdersSection(replaces_plan=replaces_plan, orders=[
        {"at": at, "action": action, "targets": targets} for at, action, targets in items])


# --- decided_at -----------------------------------------------------------------------------


def test_without_orders_the_plan_decides() -> None:
    assert decided_at(None, "warn", "z", 42.0) == 42.0
    assert decided_at(orders(), "warn", "z", 42.0) == 42.0


@pytest.mark.parametrize("ordered_at, delay, expected", [
    (10.0, 0.0, 10.0),       # the order comes first
    (10.0, 20.0, 30.0),      # ... and its effect after its delay
    (50.0, 0.0, 42.0),       # the plan comes first
    (30.0, 15.0, 42.0),
])
def test_the_earlier_of_plan_and_order_counts(ordered_at, delay, expected) -> None:
    given = orders((ordered_at, "open_shelter", ["s1"]), (5.0, "open_shelter", ["other"]))
    assert decided_at(given, "open_shelter", "s1", 42.0, delay=delay) == expected


def test_with_replaces_plan_only_the_order_counts_and_no_order_means_never() -> None:
    given = orders((50.0, "warn", ["a"]), (60.0, "evacuate", ["a"]), replaces_plan=True)
    assert decided_at(given, "warn", "a", 42.0) == 50.0
    assert decided_at(given, "evacuate", "a", 42.0, delay=5.0) == 65.0
    assert decided_at(given, ("warn", "evacuate"), "a", 42.0) == 50.0   # the first of either
    assert decided_at(given, "warn", "b", 42.0) == math.inf


# --- warnings obey the actions a model names --------------------------------------------------

INSTANT = DelayCurve(triangular=(0.0, 0.0, 1e-6))
GRID = np.arange(0.0, 181.0, 5.0)


def make_zone(zone_id: str, night: int = 1000, day: int | None = None) -> Zone:
    return Zone(id=zone_id, lon=113.0, lat=33.0, area_km2=4.0, population_night=night,
                population_day=day, share_children=0.2, share_elderly=0.3,
                share_multistorey=0.5, ground_elevation_m=50.0, gauge="G1")


ZONES = [make_zone("a"), make_zone("b", 500, 800)]
SECTION = WarningsSection(
    identification_delay=10.0, communication_delay=5.0,
    issuance=DelayCurve(median=20.0, uncertainty=0.3),
    channels=[Channel(name="sms", reach_day=0.8, reach_night=0.6,
                      delay=DelayCurve(median=15.0, uncertainty=0.2))],
    protective_action=DelayCurve(median=10.0, uncertainty=0.2), never_act=0.1)


def warn(given: OrdersSection | None, actions: tuple[str, ...] | None = None,
         identified=(0.0, np.inf), seed: int = 3):
    rng = np.random.default_rng(seed)
    more = {} if actions is None else {"actions": actions}
    out = simulate_warnings(SECTION, ZONES, np.asarray(identified, dtype=float), GRID, 2.0,
                            rng, given, **more)
    return out, rng.random()   # the next draw: the same whatever the orders


def test_orders_of_actions_the_model_names_move_issuance_and_others_do_not() -> None:
    plan, plan_next = warn(None)
    given = orders((7.0, "shelter_in_place", ["a", "b"]))
    default, default_next = warn(given)
    np.testing.assert_array_equal(default.issued_at, plan.issued_at)      # not a flood order
    chemical, chemical_next = warn(given, ("warn", "shelter_in_place", "evacuate"))
    np.testing.assert_array_equal(chemical.issued_at, [7.0, 7.0])
    assert plan_next == default_next == chemical_next
    assert chemical.pai_scale == plan.pai_scale


def test_with_replaces_plan_zones_without_an_order_of_those_actions_are_never_warned() -> None:
    given = orders((30.0, "shelter_in_place", ["b"]), replaces_plan=True)
    flood, _ = warn(given)
    assert np.isinf(flood.issued_at).all() and not flood.alerted.any()
    chemical, _ = warn(given, ("shelter_in_place",))
    assert chemical.issued_at[0] == math.inf and chemical.issued_at[1] == 30.0
    assert not chemical.alerted[0].any() and chemical.alerted[1, -1] > 0


# --- warn_people ------------------------------------------------------------------------------


@pytest.mark.parametrize("by_group", [True, False])
@pytest.mark.parametrize("start_hour", [2.0, 12.0])
def test_warn_people_is_the_chain_the_people_and_the_cohorts_drawn_by_hand(
        by_group: bool, start_hour: float) -> None:
    identified = np.array([0.0, 40.0])
    given = orders((20.0, "evacuate", ["b"]))
    got = warn_people(SECTION, ZONES, identified, GRID, start_hour, Streams(7, 1),
                      orders=given, by_group=by_group)

    streams = Streams(7, 1)
    warning = simulate_warnings(SECTION, ZONES, identified, GRID, start_hour,
                                streams["warnings"], given)
    daytime = bool(is_daytime(np.array([0.0]), start_hour, SECTION)[0])
    rng = streams["population"]
    people = (np.array([group_counts(z, z.population(daytime), rng) for z in ZONES])
              if by_group else np.array([[z.population(daytime)] for z in ZONES]))
    pai = SECTION.protective_action.cdf(GRID - GRID[0], warning.pai_scale)
    cohorts = sample_cohorts(GRID, people, warning.alerted, pai, SECTION.never_act, rng)

    assert got.daytime is daytime is (start_hour == 12.0)
    np.testing.assert_array_equal(got.warning.issued_at, warning.issued_at)
    np.testing.assert_array_equal(got.people, people)
    assert got.people.shape == (2, 3 if by_group else 1)
    assert got.people.sum() == sum(z.population(daytime) for z in ZONES)
    np.testing.assert_array_equal(got.cohorts.alerted, cohorts.alerted)
    np.testing.assert_array_equal(got.cohorts.acting, cohorts.acting)


# --- the report grid --------------------------------------------------------------------------


@pytest.mark.parametrize("scenario, report_every, layer", [
    ("tiny-flood", "7h", "zone_depth_m"),      # 36 h: five whole steps and the end
    ("tiny-plume", "7min", "zone_ppm"),        # 3 h: 25 whole steps and the end
])
def test_map_frames_are_the_series_report_times(scenario, report_every, layer) -> None:
    """Where the report step does not divide the horizon, the maps keep the series' grid
    (sim.runner.report_grid: whole steps, then the horizon itself)."""
    sc = load_scenario(scenario, {"report_every": report_every})
    result = run_replication(build, sc, 0, 1, sc.horizon, report_every=sc.report_every)
    times = result.timeseries["time"].tolist()
    frames = result.extras["report_minutes"]
    assert list(frames.values()) == times and times[-1] == sc.horizon
    assert all(row.keys() == frames.keys() for row in result.extras[layer].values())
