"""Commanders' orders in the flood model (``[orders]``): specifications.

Given tiny-flood (river zones riverside, town, terrace at risk; hill dry; shelters hill-school
and terrace-gym; local team fire-station, mutual-aid county-team joining at 6 h; depots
hill-point and county-depot, agreement bottler; road riverside - town - terrace - hill) or a
hand-computed rescue world, these follow:

* no orders, an empty ``[orders]`` or orders that come after the plan's own decisions give
  today's results exactly (same seed); the canonical content of a scenario without orders is
  unchanged;
* with ``replaces_plan`` and no warn/evacuate order nobody is warned; only ordered zones are
  warned, at the order's minute; ``warn`` and ``evacuate`` are the same decision;
* an earlier evacuation order alerts and moves at least as many people as a later one (exact on
  the model's expected shares; on the drawn KPIs on average over paired replications);
* a shelter never ordered open under ``replaces_plan`` stays empty; an ordered one opens its
  opening delay after the order and admits nobody before;
* mobilize_team and request_team time rescue units (hand-computed trips; tiny-flood's first
  rescues); release_supplies and activate_agreement time depots and suppliers;
* a road link closed by order is never entered while closed, and is used again once reopened;
* every order is in ``order_log`` and the trace (kind "order") at its minute;
* bad orders fail with one located line, from a file and from overrides;
* the example in docs/models/flood.md validates and does what the docs say.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import simpy
import tomli_w
from testkit import run_kept, same_kpis

from models.flood import FloodRun, FloodScenario
from models.loading import bundled_path, load_scenario
from models.orders import OrdersSection
from models.population import State
from models.rescue import RescueRequest, RescueSection, RescueService, TeamSpec
from models.response.roads import RoadNetwork
from models.zones import Zone
from sim.config import ConfigError, canonical_hash
from sim.runner import ReplicationResult
from sim.trace import Trace

AT_RISK = ["riverside", "town", "terrace"]


def tiny(orders: Mapping[str, Any] | None = None) -> FloodScenario:
    """tiny-flood, with ``orders`` as its [orders] section if given."""
    scenario = load_scenario("tiny-flood", {} if orders is None else {"orders": dict(orders)})
    assert isinstance(scenario, FloodScenario)
    return scenario


def order(at: float, action: str, *targets: str) -> dict[str, Any]:
    return {"at": at, "action": action, "targets": list(targets)}


def team_rescue_times(result: ReplicationResult, team: str) -> list[float]:
    frame = result.trace
    rows = frame[(frame["kind"] == "rescued") & frame["entity"].str.startswith(f"team-{team}-")]
    return sorted(rows["time"].tolist())


# --- 1. no orders: today's results --------------------------------------------------------------

@pytest.mark.parametrize("replication", [0, 1])
@pytest.mark.parametrize("orders", [
    {"orders": []},
    {"replaces_plan": False, "orders": []},
    # After the plan's own decisions (warning issued within hours, shelters an hour or two after,
    # county-team at its fixed 6 h, which a request can never beat): nothing changes.
    {"orders": [order(2000, "warn", *AT_RISK), order(2000, "evacuate", "town"),
                order(2100, "open_shelter", "hill-school", "terrace-gym"),
                order(0, "request_team", "county-team"),
                order(2100, "release_supplies", "hill-point", "county-depot"),
                order(2100, "activate_agreement", "bottler")]},
], ids=["empty", "empty-explicit", "after-the-plan"])
def test_orders_that_change_no_decision_give_todays_results(orders, replication):
    today, _ = run_kept(tiny(), replication)
    with_orders, run = run_kept(tiny(orders), replication)
    assert same_kpis(today.kpis, with_orders.kpis)
    assert today.extras == with_orders.extras
    pd.testing.assert_frame_equal(today.timeseries, with_orders.timeseries)


def test_a_scenario_without_orders_keeps_its_canonical_content():
    plain = tiny()
    assert "orders" not in plain.model_dump(mode="json")
    data = tomllib.loads(bundled_path("tiny-flood").read_text(encoding="utf-8"))
    assert canonical_hash(plain) == canonical_hash(FloodScenario.model_validate(data))
    ordered = tiny({"orders": [order(60, "warn", "town")]})
    assert canonical_hash(ordered) != canonical_hash(plain)
    again = FloodScenario.model_validate(ordered.model_dump(mode="json"))
    assert canonical_hash(again) == canonical_hash(ordered)
    assert again.orders == ordered.orders


# --- 2. warnings --------------------------------------------------------------------------------

def test_replaces_plan_without_warning_orders_issues_no_official_warning():
    result, run = run_kept(tiny({"replaces_plan": True, "orders": []}))
    assert result.kpis["population_at_risk"] > 0
    assert result.kpis["warning_coverage"] == 0.0
    assert result.kpis["warning_lead_time_p50_min"] == 0.0   # nobody warned before the water
    assert result.kpis["share_evacuated"] == 0.0
    assert result.extras["warning_issued_min"] == {z: None for z in [*AT_RISK, "hill"]}
    assert np.isinf(run.warnings.issued_at).all()
    assert run.cohorts.alerted.sum() == 0
    assert run.ledger.monitors[State.WARNED].peak == 0


def test_replaces_plan_warns_only_ordered_zones_at_the_order():
    result, run = run_kept(tiny({"replaces_plan": True,
                                 "orders": [order(90, "warn", "riverside")]}))
    assert result.extras["warning_issued_min"] == {
        "riverside": 90.0, "town": None, "terrace": None, "hill": None}
    alerted = run.cohorts.alerted.sum(axis=1)                              # (Z, T)
    assert alerted[0].sum() > 0
    assert alerted[1:].sum() == 0
    assert alerted[0][run.grid < 90].sum() == 0


def test_an_earlier_order_than_the_plan_issues_the_warning_then():
    _, plan = run_kept(tiny())
    planned = plan.warnings.issued_at
    assert (planned[:3] > 120).all()                 # the plan's warning comes later than 2 h
    result, run = run_kept(tiny({"orders": [order(120, "evacuate", "riverside", "town")]}))
    np.testing.assert_array_equal(run.warnings.issued_at, [120.0, 120.0, planned[2], planned[3]])
    assert result.extras["warning_issued_min"]["terrace"] == planned[2]


def test_warn_and_evacuate_are_the_same_decision():
    warn, _ = run_kept(tiny({"orders": [order(60, "warn", *AT_RISK)]}))
    evacuate, _ = run_kept(tiny({"orders": [order(60, "evacuate", *AT_RISK)]}))
    assert same_kpis(warn.kpis, evacuate.kpis)


def paired_se(differences: np.ndarray) -> float:
    return float(differences.std(ddof=1) / math.sqrt(differences.size))


def test_an_earlier_evacuation_order_moves_at_least_as_many_people():
    """Same seed, orders at 1 h and 4 h (replaces_plan, so the plan's time cannot mask them).
    The model's expected shares alerted and acting are monotone exactly; the drawn KPIs are
    compared on average over paired replications."""
    early_kpis, late_kpis = [], []
    for replication in range(8):
        early, run_e = run_kept(tiny({"replaces_plan": True,
                                      "orders": [order(60, "evacuate", *AT_RISK)]}), replication)
        late, run_l = run_kept(tiny({"replaces_plan": True,
                                     "orders": [order(240, "evacuate", *AT_RISK)]}), replication)
        assert (run_e.warnings.alerted >= run_l.warnings.alerted - 1e-12).all()
        assert (run_e.warnings.acting >= run_l.warnings.acting - 1e-12).all()
        np.testing.assert_array_equal(run_e.people, run_l.people)
        np.testing.assert_array_equal(run_e.arrival, run_l.arrival)
        risk = run_e.at_risk_zone
        people = run_e.people.sum(axis=1)[risk]
        arrival = run_e.arrival[risk]
        acting_e = people @ _acting_before(run_e, arrival, risk)
        acting_l = people @ _acting_before(run_l, arrival, risk)
        assert acting_e >= acting_l - 1e-9
        early_kpis.append(early.kpis)
        late_kpis.append(late.kpis)
    for kpi, sign in (("share_evacuated", 1), ("warning_coverage", 1),
                      ("deaths_expected", -1)):
        diff = sign * np.array([e[kpi] - lt[kpi] for e, lt in zip(early_kpis, late_kpis,
                                                                    strict=True)])
        assert diff.mean() >= -2 * paired_se(diff), (kpi, diff.round(3))


def _acting_before(run: FloodRun, arrival: np.ndarray, risk: np.ndarray) -> np.ndarray:
    times = np.full(run.n_zones, np.inf)
    times[risk] = arrival
    return run.warnings.acting_by(times)[risk]


# --- 3. shelters --------------------------------------------------------------------------------

def test_a_shelter_never_ordered_open_stays_empty():
    result, run = run_kept(tiny({"replaces_plan": True, "orders": [
        order(60, "evacuate", *AT_RISK), order(60, "open_shelter", "hill-school")]}))
    school, gym = 0, 1
    assert run.shelters.open_at[school] == 60 + 60
    assert math.isinf(run.shelters.open_at[gym])
    assert run.shelters.occupancy[gym].peak == 0
    assert run.shelters.reserved[gym] == 0
    assert run.shelters.occupancy[school].peak > 0
    assert result.kpis["shelter_peak_occupancy"] == run.shelters.occupancy[school].peak
    # Nobody waits for ever at a shut door: every evacuee got somewhere.
    assert run.ledger.state_total(State.IN_TRANSIT) == 0


@pytest.mark.parametrize("replaces_plan", [False, True])
def test_open_shelter_starts_its_opening_delay_at_the_order(replaces_plan):
    _, plan = run_kept(tiny())
    result, run = run_kept(tiny({"replaces_plan": replaces_plan, "orders": [
        order(30, "evacuate", *AT_RISK), order(10, "open_shelter", "terrace-gym")]}), trace=True)
    gym_delay = 120.0
    if replaces_plan:
        assert math.isinf(run.shelters.open_at[0])
        assert run.shelters.open_at[1] == 10 + gym_delay
    else:
        first_warning = 30.0                              # the evacuation order
        assert run.shelters.open_at[0] == first_warning + 60.0
        assert run.shelters.open_at[1] == min(10 + gym_delay, first_warning + gym_delay)
        assert plan.shelters.open_at[0] > run.shelters.open_at[0]
    arrivals = result.trace[(result.trace["kind"] == "shelter_arrival")
                            & (result.trace["place"] == "terrace-gym")]
    assert len(arrivals) > 0
    assert (arrivals["time"] >= run.shelters.open_at[1]).all()


# --- 4. rescue teams: hand-computed trips -------------------------------------------------------

R_KM = 6371.0088
BASE_KM = R_KM * math.radians(0.1)        # team base 0.1 degree north of the zone centre
WATER_LEG = 1.0                           # km: sqrt(4 km²) / 2
TRAVEL = (BASE_KM - WATER_LEG) * 1.3 / 40.0 * 60.0 + WATER_LEG / 8.0 * 60.0   # road + boat in
MOBILIZE = 60.0


class RescueWorld:
    """One 4 km² zone, one boat team 0.1° north (mobilisation 60 min), and orders."""

    def __init__(self, orders: list[dict[str, Any]], replaces_plan: bool = False,
                 **team: Any) -> None:
        self.env = simpy.Environment()
        zone = Zone(id="river", lon=113.0, lat=33.0, area_km2=4.0, population_night=1000,
                    share_children=0.2, share_elderly=0.2, share_multistorey=0.5,
                    ground_elevation_m=50.0, gauge="G1")
        spec = TeamSpec(**{"id": "boat", "type": "water_rescue", "base_lon": 113.0,
                           "base_lat": 33.1, "people_per_trip": 10, **team})
        section = OrdersSection.model_validate({"replaces_plan": replaces_plan,
                                                "orders": orders})
        self.service = RescueService(self.env, RescueSection(teams=[spec]), [zone],
                                     self._rescued, Trace(), section)

    def _rescued(self, req: RescueRequest, people: np.ndarray, upper: np.ndarray) -> None:
        pass

    def first_reach_after_call_at(self, t: float) -> float:
        """Minute the team reaches a call made at ``t`` (inf: never within 2 days)."""
        def call():
            yield self.env.timeout(t)
            self.service.request(0, np.array([0, 1, 0]), np.zeros(3, dtype=np.int64), 2)

        self.env.process(call())
        self.env.run(until=2880)
        return self.service.requests[0].first_reached


def test_hand_computed_trip_times_under_team_orders():
    assert RescueWorld([]).first_reach_after_call_at(100) == pytest.approx(
        100 + MOBILIZE + TRAVEL)
    # Called out at 0: ready at 60; a call at 100 finds it mobilized, one at 30 waits 30 min.
    called = [order(0, "mobilize_team", "boat")]
    assert RescueWorld(called).first_reach_after_call_at(100) == pytest.approx(100 + TRAVEL)
    assert RescueWorld(called).first_reach_after_call_at(30) == pytest.approx(MOBILIZE + TRAVEL)
    # Called out at 200 with replaces_plan: not available before, so a call at 100 waits.
    late = [order(200, "mobilize_team", "boat")]
    assert RescueWorld(late).first_reach_after_call_at(100) == pytest.approx(
        100 + MOBILIZE + TRAVEL)                              # without replaces_plan: routine
    assert RescueWorld(late, replaces_plan=True).first_reach_after_call_at(100) == \
        pytest.approx(200 + MOBILIZE + TRAVEL)


def test_hand_computed_mutual_aid_joins_its_delay_after_the_request():
    aid = {"available_from": 120.0}
    assert RescueWorld([], **aid).first_reach_after_call_at(0) == pytest.approx(
        120 + MOBILIZE + TRAVEL)
    requested = [order(50, "request_team", "boat")]
    assert RescueWorld(requested, replaces_plan=True, **aid).first_reach_after_call_at(0) == \
        pytest.approx(170 + MOBILIZE + TRAVEL)
    # Without replaces_plan the plan's own request (at time zero) comes first.
    assert RescueWorld(requested, **aid).first_reach_after_call_at(0) == pytest.approx(
        120 + MOBILIZE + TRAVEL)
    assert math.isinf(RescueWorld([], replaces_plan=True, **aid).first_reach_after_call_at(0))


def test_tiny_flood_request_team_first_rescue_no_earlier_than_request_plus_delay():
    request_at, delay = 120.0, 360.0                 # county-team: available_from = 6 h
    result, run = run_kept(tiny({"replaces_plan": True, "orders": [
        order(request_at, "request_team", "county-team")]}), trace=True)
    county = team_rescue_times(result, "county-team")
    assert county, "the requested team rescued nobody"
    assert county[0] >= request_at + delay + 60.0    # + its mobilization delay
    assert {u.joins_at for u in run.rescue.units if u.spec.id == "county-team"} == {480.0}

    never, _ = run_kept(tiny({"replaces_plan": True, "orders": []}), trace=True)
    assert team_rescue_times(never, "county-team") == []
    assert team_rescue_times(never, "fire-station")   # local units stay on the routine


def test_tiny_flood_mobilize_team_at_zero_saves_the_mobilization_delay():
    today, _ = run_kept(tiny(), trace=True)
    called, _ = run_kept(tiny({"orders": [order(0, "mobilize_team", "fire-station")]}),
                         trace=True)
    first_call = today.trace[today.trace["kind"] == "rescue_request"]["time"].min()
    assert first_call > 30.0                          # long after the call-out and its 30 min
    assert team_rescue_times(called, "fire-station")[0] == pytest.approx(
        team_rescue_times(today, "fire-station")[0] - 30.0)

    held, _ = run_kept(tiny({"replaces_plan": True, "orders": [
        order(900, "mobilize_team", "fire-station")]}), trace=True)
    assert team_rescue_times(held, "fire-station")[0] >= 900 + 30.0


# --- 5. supplies ------------------------------------------------------------------------------

def test_release_supplies_and_activate_agreement_time_depots_and_supplier():
    result, run = run_kept(tiny({"replaces_plan": True, "orders": [
        order(30, "evacuate", *AT_RISK), order(30, "open_shelter", "hill-school", "terrace-gym"),
        order(90, "release_supplies", "hill-point")]}), trace=True)
    assert run.supplies is not None
    open_at = {d.spec.id: d.open_at for d in run.supplies.depots}
    assert open_at == {"hill-point": 90.0, "county-depot": math.inf}
    assert run.supplies.agreement_start == {"bottler": math.inf}
    trace = result.trace
    assert trace[trace["kind"] == "delivery"]["time"].min() >= 90.0
    assert not (trace["kind"] == "agreement_delivery").any()
    assert result.kpis["share_from_physical"] == 1.0          # the county depot never shipped

    result, run = run_kept(tiny({"orders": [order(0, "activate_agreement", "bottler"),
                                            order(0, "release_supplies", "hill-point")]}),
                           trace=True)
    assert run.supplies is not None
    assert run.supplies.agreement_start == {"bottler": 0.0}
    assert run.supplies.depots[0].open_at == 0.0
    deliveries = result.trace[result.trace["kind"] == "agreement_delivery"]["time"]
    assert deliveries.min() == 60.0                   # the first hour's delivery


# --- 6. roads ---------------------------------------------------------------------------------

@pytest.fixture
def traversals(monkeypatch) -> list[tuple[frozenset, float]]:
    """Every link entry of every platoon: (link, minute)."""
    log: list[tuple[frozenset, float]] = []
    original = RoadNetwork.traverse

    def traverse(self, a, b, t_in, vehicles):
        log.append((frozenset((a, b)), t_in))
        return original(self, a, b, t_in, vehicles)

    monkeypatch.setattr(RoadNetwork, "traverse", traverse)
    return log


LINK = frozenset(("n-town", "n-terrace"))


def test_a_closed_road_is_never_entered_while_closed(traversals):
    evacuate = [order(200, "evacuate", *AT_RISK)]
    run_kept(tiny({"replaces_plan": True, "orders": evacuate}))
    assert any(link == LINK for link, _ in traversals)       # the route out of town uses it
    traversals.clear()

    _, run = run_kept(tiny({"replaces_plan": True, "orders": [
        *evacuate, order(0, "close_road", "n-town-n-terrace"),
        order(240, "reopen_road", "n-terrace-n-town")]}))   # either direction names the link
    entries = [t for link, t in traversals if link == LINK]
    assert entries, "nobody used the link once reopened"
    assert min(entries) >= 240
    assert run.roads is not None
    assert run.roads.is_closed("n-terrace", "n-town", 100.0)

    traversals.clear()
    run_kept(tiny({"replaces_plan": True, "orders": [
        *evacuate, order(0, "close_road", "n-town-n-terrace")]}))
    assert not any(link == LINK for link, _ in traversals)


# --- 7. the record of orders ------------------------------------------------------------------

def test_every_order_is_logged_with_when_it_took_effect():
    _, plan = run_kept(tiny())
    town_plan = float(plan.warnings.issued_at[1])
    orders = [order(90, "warn", "riverside"), order(2000, "warn", "town"),
              order(45, "open_shelter", "terrace-gym"),
              order(300, "close_road", "n-riverside-n-town")]
    result, run = run_kept(tiny({"orders": orders}), trace=True)
    expected = [(45.0, "open_shelter", "terrace-gym", 45.0 + 120.0),
                (90.0, "warn", "riverside", 90.0),
                (300.0, "close_road", "n-riverside-n-town", 300.0),
                (2000.0, "warn", "town", town_plan)]            # the plan's warning came first
    assert run.order_log == expected
    rows = result.trace[result.trace["kind"] == "order"]
    assert [(r.time, r.entity, r.place, r.quantity) for r in rows.itertuples()] == expected


# --- 8. bad orders ----------------------------------------------------------------------------

def _no_roads(data: dict) -> None:
    del data["roads"]


BAD_ORDERS = {
    "unknown-zone": ([order(60, "warn", "town", "nowhere")], None,
                     "orders.orders[0].targets", "unknown zone 'nowhere'"),
    "unknown-shelter": ([order(60, "open_shelter", "mall")], None,
                        "orders.orders[0].targets", "unknown shelter 'mall'"),
    "unknown-team": ([order(60, "warn", "town"), order(60, "request_team", "navy")], None,
                     "orders.orders[1].targets", "unknown team 'navy'"),
    "unknown-link": ([order(60, "close_road", "n-town-n-hill")], None,
                     "orders.orders[0].targets", "unknown link 'n-town-n-hill'"),
    "past-horizon": ([order(40 * 60, "evacuate", "town")], None,
                     "orders.orders[0].at", "after the scenario horizon"),
    "shelter-in-place": ([order(60, "shelter_in_place", "town")], None,
                         "orders.orders[0].action",
                         "'shelter_in_place' is not an action this model applies"),
    "request-local-team": ([order(60, "request_team", "fire-station")], None,
                           "orders.orders[0].targets", "use mobilize_team"),
    "mobilize-mutual-aid": ([order(60, "mobilize_team", "county-team")], None,
                            "orders.orders[0].targets", "use request_team"),
    "road-without-roads": ([order(60, "close_road", "n-town-n-terrace")], _no_roads,
                           "orders.orders[0].action", "it has no links"),
}


@pytest.mark.parametrize("case", list(BAD_ORDERS))
def test_bad_orders_in_a_file_fail_with_one_located_line(case, tmp_path: Path):
    orders, mutate, path, fragment = BAD_ORDERS[case]
    data = copy.deepcopy(tomllib.loads(bundled_path("tiny-flood").read_text(encoding="utf-8")))
    if mutate is not None:
        mutate(data)
    data["orders"] = {"replaces_plan": False, "orders": orders}
    file = tmp_path / "bad-orders.toml"
    file.write_text(tomli_w.dumps(data), encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_scenario(file)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{file}:")
    assert f" {path}: " in message and fragment in message
    problem = caught.value.problems[0]
    assert problem.path == path
    assert problem.line is not None            # the offending key's line in the file
    line = file.read_text(encoding="utf-8").splitlines()[problem.line - 1]
    assert line.strip().startswith(path.rsplit(".", 1)[1] + " =")


@pytest.mark.parametrize("case", ["unknown-zone", "past-horizon", "shelter-in-place",
                                  "unknown-link"])
def test_bad_orders_through_overrides_point_at_the_override(case):
    orders, _, path, fragment = BAD_ORDERS[case]
    with pytest.raises(ConfigError) as caught:
        load_scenario("tiny-flood", {"orders": {"orders": orders}})
    problem = caught.value.problems[0]
    assert problem.source.endswith("(--set)")
    assert problem.path == path and fragment in problem.message

    with pytest.raises(ConfigError) as caught:
        load_scenario("tiny-flood", [f"orders.orders={_inline(orders)}"])
    assert f"(--set): {path}: " in str(caught.value)


def _inline(orders: list[dict[str, Any]]) -> str:
    """Orders as a TOML inline array, as typed after --set."""
    tables = [", ".join(f"{key} = {tomli_w.dumps({'v': value})[4:].strip()}"
                        for key, value in o.items()) for o in orders]
    return "[" + ", ".join("{" + table + "}" for table in tables) + "]"


# --- 9. the documented example ----------------------------------------------------------------

def test_the_documented_orders_example_validates_and_runs():
    doc = (Path(__file__).parents[2] / "docs" / "models" / "flood.md").read_text(encoding="utf-8")
    section = doc.split("## Orders (commanders' decisions)", 1)[1]
    snippet = section.split("```toml\n", 1)[1].split("```", 1)[0]
    orders = tomllib.loads(snippet)["orders"]
    scenario = tiny(orders)
    assert scenario.orders is not None and len(scenario.orders.orders) == 3
    _, run = run_kept(scenario)
    assert run.warnings.issued_at[0] == run.warnings.issued_at[1] == 90.0
    # terrace-gym (2 h opening delay): the plan's opening after the first warning, which the
    # evacuation order brought to 1h30min, beats the order's at 2 h.
    assert run.shelters.open_at[1] == min(90.0 + 120.0, 120.0 + 120.0)
