"""Commanders' orders (``[orders]``, models/orders.py) in the chemical model: specifications.

* no orders, or orders that decide nothing earlier than the plan, give bit-identical results
  (same draws in the same order);
* a ``warn``/``shelter_in_place``/``evacuate`` order issues the zone's warning at its minute (or
  the plan's, if earlier); with ``replaces_plan`` only ordered zones are warned, and with no
  such order nobody is;
* an instruction order sets what the people who act from then on do; an earlier
  ``shelter_in_place`` order never raises the expected deaths (paired runs);
* ``mobilize_team``/``request_team`` call a team out at the order's minute; with
  ``replaces_plan`` teams never ordered never roll and there is no automatic cordon;
* ``close_road`` closes a link to all traffic, ``reopen_road`` reopens it (ending the cordon on
  it too);
* orders naming unknown zones, teams or links, actions the model lacks (shelters, depots, roads
  without a network) or minutes past the horizon fail with located problems.

The monotonicity specification uses alerting and action within a minute of issuance
(``INSTANT``) so that everyone acts in the cohort bin of the order, and the cohort draws are the
same in both runs; with tiny-plume's spread-out curves the draws differ between two issuance
times and ``deaths_expected`` (expected over the *drawn* cohorts) is not comparable pair by pair.
An earlier *evacuation* order is not monotone: evacuating into the plume's passage can cost more
lives than staying in until it has passed (docs/models/chemical.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import testkit
from testkit import same_kpis

from models.chemical import ChemicalRun
from models.loading import bundled_path, load_scenario
from sim.config import ConfigError
from sim.runner import ReplicationResult

ZONES = [f"z{col}{row}" for col in range(5) for row in range(5)]
CHLORINE = {"kind": "continuous", "chemical": "chlorine", "rate_kg_s": 2.0, "duration": "1h"}
INSTANT = {
    "warnings.channels": [{"name": "everyone at once", "reach_day": 1.0, "reach_night": 1.0,
                           "delay": {"triangular": [0.0, 0.0, 0.5]}}],
    "warnings.protective_action": {"triangular": [0.0, 0.0, 0.5]},
    "warnings.never_act": 0.0,
}
# Four road nodes round the plant and the fire station, for the road orders.
ROADS = {
    "nodes": [{"id": "plant", "lon": 114.0, "lat": 33.0},
              {"id": "east", "lon": 114.01, "lat": 33.0},
              {"id": "north", "lon": 114.0, "lat": 33.01},
              {"id": "fire", "lon": 114.03, "lat": 33.02}],
    "links": [{"source": "plant", "target": "east"}, {"source": "plant", "target": "north"},
              {"source": "east", "target": "fire"}, {"source": "north", "target": "fire"}],
}


def run_kept(overrides: Mapping[str, Any] = (), replication: int = 0,
             scenario: str = "tiny-plume") -> tuple[ReplicationResult, ChemicalRun]:
    return testkit.run_kept(load_scenario(scenario, dict(overrides)), replication)


def orders(*items: tuple[float, str, list[str]], replaces_plan: bool = False) -> dict:
    return {"orders": {"replaces_plan": replaces_plan, "orders": [
        {"at": at, "action": action, "targets": targets} for at, action, targets in items]}}


# --- 1. no orders, no change ------------------------------------------------------------------


@pytest.mark.parametrize("given", [
    {"orders": {}},
    orders(),
    orders((170.0, "warn", ["z22", "z33"]), (170.0, "mobilize_team", ["fire-hazmat"])),
], ids=["empty-section", "no-orders", "orders-later-than-the-plan"])
def test_orders_that_decide_nothing_earlier_change_nothing(given) -> None:
    base = {"source.release": CHLORINE}
    plain, _ = run_kept(base)
    ordered, _ = run_kept({**base, **given})
    assert same_kpis(plain.kpis, ordered.kpis)


# --- 2. warnings and instructions -------------------------------------------------------------


def test_a_warn_order_issues_the_warning_at_its_minute_where_it_comes_first() -> None:
    _, plan = run_kept()
    plan_issue = plan.warning.issued_at
    z22, z00 = ZONES.index("z22"), ZONES.index("z00")
    assert math.isfinite(plan_issue[z22]) and plan_issue[z22] > 8.0
    assert not math.isfinite(plan_issue[z00])          # upwind, outside the AEGL-1 area
    _, run = run_kept(orders((8.0, "warn", ["z22", "z00"]), (100.0, "warn", ["z33"])))
    issued = run.warning.issued_at
    assert issued[z22] == pytest.approx(8.0, abs=1e-9)
    assert issued[z00] == pytest.approx(8.0, abs=1e-9)
    z33 = ZONES.index("z33")
    assert issued[z33] == plan_issue[z33]               # the plan came first
    others = [i for i in range(len(ZONES)) if ZONES[i] not in ("z22", "z00")]
    np.testing.assert_array_equal(issued[others], plan_issue[others])


def test_with_replaces_plan_only_ordered_zones_are_warned() -> None:
    _, run = run_kept(orders((30.0, "shelter_in_place", ["z33"]), replaces_plan=True))
    issued = run.warning.issued_at
    z33 = ZONES.index("z33")
    assert issued[z33] == pytest.approx(30.0, abs=1e-9)
    assert np.isinf(np.delete(issued, z33)).all()


@pytest.mark.parametrize("given", [orders(replaces_plan=True),
                                   orders((20.0, "mobilize_team", ["fire-hazmat"]),
                                          replaces_plan=True)],
                         ids=["no-orders", "a-team-but-no-warning"])
def test_with_replaces_plan_and_no_warning_order_nobody_is_officially_warned(given) -> None:
    result, run = run_kept({"source.release": CHLORINE, **given})
    assert np.isinf(run.warning.issued_at).all()
    assert run.cohorts.alerted.sum() == 0 and run.cohorts.acting.sum() == 0
    assert result.kpis["warning_90pct_aegl2_min"] == math.inf
    assert float(result.timeseries["alerted"].max()) == 0.0
    # Nobody acts: whatever the instruction, the outcome is the same.
    k = result.kpis
    assert k["deaths_expected_from_exposure"] == k["deaths_expected_if_all_shelter"] \
        == k["deaths_expected_if_all_evacuate"]


@pytest.mark.parametrize("plan, action, counterfactual", [
    ("shelter", "evacuate", "deaths_expected_if_all_evacuate"),
    ("evacuate", "shelter_in_place", "deaths_expected_if_all_shelter"),
])
def test_an_instruction_order_overrides_the_plans_instruction(plan, action,
                                                              counterfactual) -> None:
    """Every zone ordered at minute 0 (before any warning of the plan): everyone who acts
    follows the order's instruction, whatever response.instruction says."""
    result, _ = run_kept({"source.release": CHLORINE, "response.instruction": plan,
                          **orders((0.0, action, ZONES))})
    assert result.kpis["deaths_expected_from_exposure"] == result.kpis[counterfactual]
    assert result.kpis["deaths_expected_if_all_shelter"] != result.kpis[
        "deaths_expected_if_all_evacuate"]


def test_an_instruction_changed_midway_applies_to_who_acts_after_it() -> None:
    """Told to shelter by the plan, then to evacuate at minute 30: people who acted before 30
    shelter, the later ones evacuate."""
    _, run = run_kept({"source.release": CHLORINE, **orders((30.0, "evacuate", ZONES))})
    evacuate = run._instructions(run.cohorts.times)
    assert not evacuate[:, run.cohorts.times < 30.0].any()
    assert evacuate[:, run.cohorts.times >= 30.0].all()


@pytest.mark.parametrize("replaces_plan", [True, False])
@pytest.mark.parametrize("replication", [0, 2])
def test_an_earlier_shelter_order_never_raises_expected_deaths(replication: int,
                                                               replaces_plan: bool) -> None:
    deaths = []
    for at in (0.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0):
        result, _ = run_kept({"source.release": CHLORINE, **INSTANT, "response.ambulances": 0,
                              **orders((at, "shelter_in_place", ZONES),
                                       replaces_plan=replaces_plan)}, replication)
        deaths.append(result.kpis["deaths_expected_from_exposure"])
    assert all(a <= b + 1e-12 for a, b in zip(deaths, deaths[1:], strict=False)), deaths
    assert deaths[0] < deaths[-1]


# --- 3. teams -----------------------------------------------------------------------------------


def test_a_mobilize_order_before_the_alarm_brings_the_team_earlier_by_as_much() -> None:
    _, plan = run_kept()
    _, run = run_kept(orders((2.0, "mobilize_team", ["fire-hazmat"])))
    gain = plan.detected_at - 2.0
    assert run.team_arrivals["fire-hazmat"] == pytest.approx(
        plan.team_arrivals["fire-hazmat"] - gain)
    assert run.team_arrivals["plant-team"] == plan.team_arrivals["plant-team"]


def test_with_replaces_plan_only_ordered_teams_roll() -> None:
    result, run = run_kept(orders((30.0, "request_team", ["fire-hazmat"]), replaces_plan=True))
    assert run.team_arrivals["plant-team"] == math.inf
    _, plan = run_kept()
    assert run.team_arrivals["fire-hazmat"] == pytest.approx(
        plan.team_arrivals["fire-hazmat"] + 30.0 - plan.detected_at)
    assert result.kpis["release_stopped_min"] > run.team_arrivals["fire-hazmat"]
    unstopped, _ = run_kept(orders(replaces_plan=True))
    assert unstopped.kpis["release_stopped_min"] == math.inf


# --- 4. roads -----------------------------------------------------------------------------------


def test_close_and_reopen_orders_shape_a_links_closure() -> None:
    _, run = run_kept({"roads": ROADS, "response.closure_radius_m": 0.0,
                       **orders((12.0, "close_road", ["fire-east"]),
                                (40.0, "reopen_road", ["east-fire"]))})
    roads = run.roads
    assert not roads.is_closed("east", "fire", 11.9)
    assert roads.is_closed("east", "fire", 12.0) and roads.is_closed("fire", "east", 39.9)
    assert not roads.is_closed("east", "fire", 40.0)
    # An ordered closure stops responders too.
    assert roads.route("fire", ("plant",), 20.0, responder=True) == ["fire", "north", "plant"]


def test_a_reopen_order_ends_the_cordon_on_that_link_and_replaces_plan_drops_the_cordon() -> None:
    _, plan = run_kept({"roads": ROADS})
    assert plan.cordon_links                 # plant-east and plant-north, within 100 m
    start = plan.detected_at + plan.sc.response.closure_delay
    assert plan.roads.is_closed("plant", "east", start + 1.0)
    _, run = run_kept({"roads": ROADS, **orders((start + 5.0, "reopen_road", ["plant-east"]))})
    assert run.roads.is_closed("plant", "east", start + 1.0)
    assert not run.roads.is_closed("plant", "east", start + 5.0)
    assert run.roads.is_closed("plant", "north", start + 5.0)
    replaced, run = run_kept({"roads": ROADS, **orders(replaces_plan=True)})
    assert run.cordon_links == [] and replaced.kpis["cordon_minutes"] == 0.0
    assert replaced.kpis["road_links_closed"] == 0


# --- 5. bad orders ------------------------------------------------------------------------------

TINY = bundled_path("tiny-plume").read_text(encoding="utf-8")


def _orders_toml(*lines: str, roads: bool = False) -> str:
    """tiny-plume's file with ``[orders]`` (and ROADS as ``[[roads.nodes]]``/``[[roads.links]]``)
    appended."""
    text = TINY
    if roads:
        text += "".join(f'\n[[roads.nodes]]\nid = "{n["id"]}"\nlon = {n["lon"]}\n'
                        f'lat = {n["lat"]}\n' for n in ROADS["nodes"])
        text += "".join(f'\n[[roads.links]]\nsource = "{link["source"]}"\n'
                        f'target = "{link["target"]}"\n' for link in ROADS["links"])
    return text + "\n[orders]\n" + "\n".join(lines) + "\n"


def _order(at: str, action: str, targets: str) -> str:
    return f"\n[[orders.orders]]\nat = {at}\naction = \"{action}\"\ntargets = {targets}"


BAD = [
    ("unknown zone", _orders_toml(_order('"10min"', "warn", '["z22", "z99"]')),
     "orders.orders[0].targets", "unknown zone 'z99'"),
    ("unknown team", _orders_toml(_order("5", "mobilize_team", '["fire-hazmat", "ghost"]')),
     "orders.orders[0].targets", "unknown team 'ghost'"),
    ("unknown link", _orders_toml(_order("5", "close_road", '["plant-east"]'),
                                  _order("6", "close_road", '["plant-fire"]'), roads=True),
     "orders.orders[1].targets", "unknown link 'plant-fire'"),
    ("road order without roads", _orders_toml(_order("5", "close_road", '["a-b"]')),
     "orders.orders[0].action", "'close_road' is not an action this model applies"),
    ("shelters", _orders_toml(_order("5", "open_shelter", '["school"]')),
     "orders.orders[0].action", "it has no shelters"),
    ("supplies", _orders_toml(_order("5", "release_supplies", '["depot"]')),
     "orders.orders[0].action", "it has no depots"),
    ("after the horizon", _orders_toml(_order('"4h"', "warn", '["z22"]')),
     "orders.orders[0].at", "after the scenario horizon"),
]


@pytest.mark.parametrize("bad", BAD, ids=[b[0] for b in BAD])
def test_a_bad_order_is_a_located_problem(tmp_path: Path, bad) -> None:
    _, text, field, message = bad
    path = tmp_path / "orders.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].path == field and message in problems[0].message, problems[0]
    assert problems[0].source == str(path) and problems[0].line is not None
    named = text.splitlines()[problems[0].line - 1]
    assert field.rsplit(".", 1)[-1] in named or named == "[[orders.orders]]", named


def test_the_roads_file_used_for_bad_orders_is_itself_valid(tmp_path: Path) -> None:
    path = tmp_path / "ok.toml"
    path.write_text(_orders_toml(_order("5", "close_road", '["plant-east"]'), roads=True),
                    encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.roads is not None and len(scenario.roads.links) == 4
