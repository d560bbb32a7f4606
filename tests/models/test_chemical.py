"""The hazardous-chemical release model as a whole: specifications of one replication's outcomes.

Given the bundled ``tiny-plume`` scenario (25 zones of 900 people around a cold store, night,
ammonia 2 kg/s) with a few fields overridden, these outcomes follow:

* sheltering in place beats evacuating for a short release behind closed windows, and loses to it
  for a long release (the box model's λ·T rule, REFERENCE-PARAMETERS.md);
* a release that reaches nobody harms nobody, warns nobody and sends nobody to hospital;
* a nearer or faster hazmat team stops the leak earlier, which never adds person-minutes above
  AEGL-2 (paired runs); a road-tanker release has no enterprise team and no site detectors;
* a wider warning reach never lowers the share alerted in the AEGL-2 zone; with no reach at all
  the warning-time KPIs are infinite;
* ambulances and hospital beds: none means nobody admitted; plenty means everyone admitted;
  beds are never exceeded;
* deaths plus injured never exceed the people present; drawn deaths agree with expected deaths;
* the same seed gives the same run; another replication draws other weather;
* bad scenario files fail with one line on stderr and exit code 2 (a calm wind is not an error:
  it is taken as 0.5 m/s);
* the indoor box model matches its analytic solution, and sheltered people leave once the plume
  has passed; the AEGL-2 hospital rule's 60-min running mean is the highest over any hour,
  the first included (hand-computed);
* the worked example of docs/models/chemical.md and its figure script.

Most tests use **chlorine** (a whole ``source.release`` table is overridden): the tiny-plume
ammonia leak injures people but kills nobody, chlorine's probit gives deaths to compare.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import testkit
from testkit import same_kpis
from typer.testing import CliRunner

from drsim.cli import app
from models.chemical.exposure import Harm, indoor_air, max_running_mean
from models.chemical.run import ChemicalRun
from models.chemical.scenario import ExposureSection
from models.geo import haversine_km
from models.hazards.plume import CALM_WIND_M_S
from models.hazards.toxicity import CHLORINE_PROBIT, indoor_concentration, toxic_load
from models.loading import bundled_path, load_scenario
from sim.runner import ReplicationResult

USAGE_ERROR = 2
ROOT = Path(__file__).resolve().parents[2]
CHLORINE_CAS = "7782-50-5"

# Chlorine leaking at 2 kg/s from the cold store's position; nothing stops it but the duration
# (no inventory limit), unless a test adds hazmat teams.
CHLORINE = {"kind": "continuous", "chemical": "chlorine", "rate_kg_s": 2.0, "duration": "1h"}

# A fixed night-time wind (no draw): 2 m/s from the south-west, class F (night, clear sky), so the
# plume crosses the zones north-east of the source (z33, z44) in every replication.
STEADY_WIND = {"weather.0.wind_speed_m_s": 2.0, "weather.0.wind_from_deg": 225.0}

# A decision within 1-3 minutes of communication instead of tiny-plume's Weibull (median 10 min,
# long tail): people then act while the plume is still overhead, which is when the choice between
# sheltering and evacuating matters.
PROMPT_ISSUANCE = {"warnings.issuance": {"triangular": [1.0, 2.0, 3.0]}}

FIRE_TEAM = {"id": "fire-hazmat", "type": "fire_hazmat", "base_lon": 114.03, "base_lat": 33.02,
             "mobilization_delay": "5min", "setup": "15min",
             "stop": {"triangular": [10.0, 15.0, 30.0]}}
PLANT_TEAM = {"id": "plant-team", "type": "enterprise", "base_lon": 114.0005,
              "base_lat": 33.0005, "mobilization_delay": "5min", "setup": "10min",
              "stop": {"triangular": [10.0, 20.0, 40.0]}}


def run_kept(overrides: Mapping[str, Any] = (), replication: int = 0,
             root_seed: int = 1, release: Mapping[str, Any] | None = None,
             ) -> tuple[ReplicationResult, ChemicalRun]:
    """One replication of tiny-plume with ``overrides`` through the real loader, catalogue and
    runner, keeping the model object for inspection. ``release`` (merged into CHLORINE) replaces
    the whole ``source.release`` table."""
    items = dict(overrides)
    if release is not None:
        items["source.release"] = {**CHLORINE, **release}
    return testkit.run_kept(load_scenario("tiny-plume", items), replication, root_seed)


# --- 1. shelter in place or evacuate --------------------------------------------------------------


def test_shelter_in_place_beats_evacuation_for_a_short_release_behind_tight_walls() -> None:
    """A 1-h chlorine leak, homes sealed to 0.2 air changes per hour: λ·T = 0.2, well below 1.

    Indoors the air reaches at most 1 − e^(−0.2) = 18 % of the outdoor value before the plume has
    passed (and sheltered people then air their homes), while evacuees walk 20 min through the
    plume; the probit weighs C², so those minutes outside cost more than hours of thin indoor air.
    """
    overrides = {**STEADY_WIND, **PROMPT_ISSUANCE, "response.hazmat_teams": [],
                 "exposure.shelter_air_exchange_per_h": 0.2}
    shelter, _ = run_kept(overrides, release={"duration": "1h"})
    k = shelter.kpis
    # the instruction given
    assert k["deaths_expected_from_exposure"] == k["deaths_expected_if_all_shelter"]
    assert k["deaths_expected_if_all_evacuate"] > 10.0                   # a non-trivial toll
    assert k["deaths_expected_if_all_shelter"] < 0.9 * k["deaths_expected_if_all_evacuate"]

    # Paired run (same seed) told to evacuate: its actual toll is the first run's counterfactual.
    evacuate, _ = run_kept({**overrides, "response.instruction": "evacuate"},
                           release={"duration": "1h"})
    assert evacuate.kpis["deaths_expected_from_exposure"] == pytest.approx(
        k["deaths_expected_if_all_evacuate"], rel=1e-12)
    assert evacuate.kpis["deaths_expected_if_all_shelter"] == pytest.approx(
        k["deaths_expected_if_all_shelter"], rel=1e-12)


def test_evacuation_beats_shelter_in_place_for_a_long_release() -> None:
    """The same leak for the whole 3-h horizon, nobody to stop it, ordinary homes at 1 air change
    per hour: λ·T = 3. Indoor air catches up with the outdoor plume (95 % after 3 h) and, the
    plume never passing, sheltered people stay in it; evacuees are out after 20 min."""
    overrides = {**STEADY_WIND, **PROMPT_ISSUANCE, "response.hazmat_teams": [],
                 "exposure.shelter_air_exchange_per_h": 1.0}
    shelter, _ = run_kept(overrides, release={"duration": "3h"})
    k = shelter.kpis
    assert k["release_ended_min"] == 180.0 and k["release_stopped_min"] == math.inf
    assert k["deaths_expected_if_all_evacuate"] < 0.85 * k["deaths_expected_if_all_shelter"]

    evacuate, _ = run_kept({**overrides, "response.instruction": "evacuate"},
                           release={"duration": "3h"})
    e = evacuate.kpis
    assert e["deaths_expected_from_exposure"] == pytest.approx(
        k["deaths_expected_if_all_evacuate"], rel=1e-12)
    # Evacuees also spend far fewer minutes above AEGL-2.
    assert e["person_minutes_above_aegl2"] < 0.7 * k["person_minutes_above_aegl2"]


def test_evacuating_some_zones_is_between_all_shelter_and_all_evacuate() -> None:
    overrides = {**STEADY_WIND, **PROMPT_ISSUANCE, "response.hazmat_teams": [],
                 "response.evacuate_zones": ["z33", "z44"]}
    result, run = run_kept(overrides, release={"duration": "3h"})
    k = result.kpis
    low, high = sorted([k["deaths_expected_if_all_shelter"], k["deaths_expected_if_all_evacuate"]])
    assert low - 1e-9 <= k["deaths_expected_from_exposure"] <= high + 1e-9
    assert k["deaths_expected_from_exposure"] not in (low, high)   # z33 and z44 are in the plume


# --- 2. a release that reaches nobody -------------------------------------------------------------


@pytest.mark.parametrize("case", ["blown-away", "trickle"])
def test_a_release_that_reaches_nobody_harms_nobody(case: str) -> None:
    if case == "blown-away":
        # Source moved 5 km east of the town, wind from the west: the plume goes east.
        overrides = {"source.lon": 114.0536, "weather.0.wind_from_deg": 270.0,
                     "weather.0.wind_speed_m_s": 3.0}
        release: dict[str, Any] = {}
    else:
        overrides, release = {}, {"rate_kg_s": 1e-7}   # 0.1 mg/s of chlorine
    result, run = run_kept(overrides, release=release)
    k = result.kpis
    if case == "blown-away":
        assert run.outdoor.max() == 0.0
    else:
        assert 0.0 < run.outdoor.max() < 1e-3          # ppm: far below AEGL-1 (0.5 ppm)
    for name in ("people_in_aegl2_zone", "people_in_aegl3_zone", "person_minutes_above_aegl2",
                 "deaths", "deaths_expected", "deaths_expected_if_all_shelter",
                 "deaths_expected_if_all_evacuate", "injured_needing_hospital",
                 "hospital_peak_load", "casualties_not_admitted"):
        assert k[name] == 0.0, name
    # No forecast AEGL-1 area: nobody is warned, nobody is in hospital or waiting for it.
    assert np.all(np.isinf(run.warning.issued_at))
    assert run.cohorts.alerted.sum() == 0 and run.cohorts.acting.sum() == 0
    assert (result.timeseries[["alerted", "awaiting_ambulance", "in_hospital"]] == 0).all().all()
    assert run.ems.casualty_total == 0
    # Ratios over an empty AEGL-2 zone or no patients are undefined, not zero.
    for name in ("warning_90pct_aegl2_min", "warning_100pct_aegl2_min",
                 "time_to_hospital_p50_min", "time_to_hospital_p90_min"):
        assert math.isnan(k[name]), name


# --- 3. hazmat teams ------------------------------------------------------------------------------


def test_a_faster_or_nearer_hazmat_team_stops_the_leak_earlier_and_never_adds_exposure() -> None:
    """Only the fire brigade's team (3.57 km away, detour 1.3) can stop a 3-h leak. At 80 instead
    of 40 km/h it arrives 3.57 · 1.3 · 60 · (1/40 − 1/80) = 3.48 min earlier, in every
    replication (the team's stop time is the same draw of the ``hazmat`` stream); moving its base
    to 1.1 km from the source saves more. Less gas, so never more person-minutes above AEGL-2."""
    km = float(haversine_km(FIRE_TEAM["base_lon"], FIRE_TEAM["base_lat"], 114.0, 33.0))
    saved = km * 1.3 * 60.0 * (1 / 40 - 1 / 80)
    assert saved == pytest.approx(3.48, abs=0.01)
    teams = {"slow": FIRE_TEAM, "fast": {**FIRE_TEAM, "speed_kmh": 80.0},
             "near": {**FIRE_TEAM, "speed_kmh": 80.0, "base_lon": 114.01, "base_lat": 33.005}}
    for replication in range(3):
        k = {name: run_kept({"response.hazmat_teams": [team]}, replication,
                            release={"duration": "3h"})[0].kpis for name, team in teams.items()}
        assert k["slow"]["release_stopped_min"] - k["fast"]["release_stopped_min"] == (
            pytest.approx(saved, rel=1e-9))
        assert (k["near"]["release_stopped_min"] < k["fast"]["release_stopped_min"]
                < k["slow"]["release_stopped_min"] < 180.0)
        for kpis in k.values():
            assert kpis["release_ended_min"] == pytest.approx(kpis["release_stopped_min"])
        assert (k["near"]["person_minutes_above_aegl2"] <= k["fast"]["person_minutes_above_aegl2"]
                <= k["slow"]["person_minutes_above_aegl2"])
        assert k["near"]["person_minutes_above_aegl2"] < k["slow"]["person_minutes_above_aegl2"]


def test_without_hazmat_teams_the_release_runs_its_course() -> None:
    k = run_kept({"response.hazmat_teams": []},
                 release={"duration": "1h", "inventory_kg": 3000.0})[0].kpis
    assert k["release_stopped_min"] == math.inf
    assert k["release_ended_min"] == pytest.approx(3000.0 / 2.0 / 60.0)   # inventory: 25 min


def test_a_road_tanker_has_no_enterprise_team_and_no_site_detectors() -> None:
    on_road = {"source.transport": True}
    only_plant = run_kept({**on_road, "response.hazmat_teams": [PLANT_TEAM]}, release={})
    assert only_plant[0].kpis["release_stopped_min"] == math.inf
    assert only_plant[1].detected_at == 20.0          # the public's call, not the detectors
    both = run_kept({**on_road, "response.hazmat_teams": [PLANT_TEAM, FIRE_TEAM]}, release={})
    only_fire = run_kept({**on_road, "response.hazmat_teams": [FIRE_TEAM]}, release={})
    assert both[0].kpis["release_stopped_min"] == only_fire[0].kpis["release_stopped_min"] < 80
    # At the plant itself the enterprise team, 70 m away, comes first after the detectors.
    at_plant = run_kept({"response.hazmat_teams": [PLANT_TEAM]}, release={})
    assert at_plant[1].detected_at == 5.0
    assert at_plant[0].kpis["release_stopped_min"] <= 5 + 5 + 0.2 + 10 + 40


# --- 4. warnings ----------------------------------------------------------------------------------


def test_a_wider_warning_reach_never_lowers_the_share_alerted_in_the_aegl2_zone() -> None:
    """tiny-plume starts at 02:00, so the channels' night reach is what counts. Both channels get
    the same reach r; the curves of the run (share alerted per zone over time) rise with r."""
    for replication in (0, 1):
        curves, zones, kpis = [], None, []
        for reach in (0.0, 0.25, 0.5, 0.75, 0.9, 1.0):
            result, run = run_kept({"warnings.channels.0.reach_night": reach,
                                    "warnings.channels.1.reach_night": reach}, replication,
                                   release={})
            if zones is None:
                zones = run.aegl2_zone
                assert zones.any()
            np.testing.assert_array_equal(run.aegl2_zone, zones)   # warnings leave the plume be
            curves.append(run.warning.alerted[zones])
            kpis.append(result.kpis)
        for lower, higher in zip(curves, curves[1:], strict=False):
            assert np.all(higher >= lower - 1e-12)
        # Final share alerted: 1 − (1 − r)² once both channels' delays have run their course.
        assert curves[2][:, -1] == pytest.approx(0.75, abs=1e-6)
        times = [k["warning_90pct_aegl2_min"] for k in kpis]
        assert times == sorted(times, reverse=True)               # inf, …, inf, finite, …
        assert math.isinf(times[2]) and math.isfinite(times[-1])


def test_with_no_reach_nobody_is_warned_and_the_warning_kpis_are_infinite() -> None:
    result, run = run_kept({"warnings.channels.0.reach_night": 0.0,
                            "warnings.channels.1.reach_night": 0.0}, release={})
    k = result.kpis
    assert k["people_in_aegl2_zone"] > 0
    assert k["warning_90pct_aegl2_min"] == math.inf
    assert k["warning_100pct_aegl2_min"] == math.inf
    assert run.cohorts.alerted.sum() == 0
    assert (result.timeseries["alerted"] == 0).all()
    # At night the day reach plays no part.
    day_only = run_kept({"warnings.channels.0.reach_night": 0.0,
                         "warnings.channels.1.reach_night": 0.0,
                         "warnings.channels.0.reach_day": 1.0,
                         "warnings.channels.1.reach_day": 1.0}, release={})[0]
    assert same_kpis(day_only.kpis, k)


# --- 5. ambulances and hospitals ------------------------------------------------------------------


def test_without_ambulances_no_casualty_is_admitted() -> None:
    result, run = run_kept({"response.ambulances": 0}, release={})
    k = result.kpis
    assert k["injured_needing_hospital"] > 100
    assert k["casualties_not_admitted"] == k["injured_needing_hospital"]
    assert k["hospital_peak_load"] == 0.0
    # Honest times: nobody reached a hospital, so the median and the p90 are +inf (not NaN).
    assert math.isinf(k["time_to_hospital_p50_min"]) and math.isinf(k["time_to_hospital_p90_min"])
    assert math.isnan(k["ambulance_utilisation"])
    end = result.timeseries.iloc[-1]
    assert end["awaiting_care"] + end["deaths_awaiting_care"] == k["injured_needing_hospital"]
    assert end["awaiting_ambulance"] == end["awaiting_care"]
    # Everyone faces the untreated risk: every casualty who would die untreated dies.
    assert k["deaths_awaiting_care"] == sum(math.isfinite(t) for t in run.ems.dies_at) > 0
    assert k["deaths_in_care"] == 0.0


def test_with_ample_ambulances_and_beds_everyone_is_admitted() -> None:
    result, run = run_kept({"response.ambulances": 400, "response.hospitals.0.beds": 5000,
                            "response.hospitals.1.beds": 5000}, release={})
    k = result.kpis
    assert k["injured_needing_hospital"] > 100
    # Everyone alive is admitted; who is not died before an ambulance brought them in.
    assert k["casualties_not_admitted"] == run.ems.dead_awaiting.current
    assert k["hospital_peak_load"] <= k["injured_needing_hospital"]
    assert 0 < k["time_to_hospital_p50_min"] <= k["time_to_hospital_p90_min"] < 180
    assert 0 < k["ambulance_utilisation"] < 1


@pytest.mark.parametrize("beds, ambulances", [((0, 3), 400), ((10, 5), 400), ((40, 120), 4),
                                              ((40, 120), 400)])
def test_hospital_beds_are_never_exceeded(beds: tuple[int, int], ambulances: int) -> None:
    result, run = run_kept({"response.ambulances": ambulances,
                            "response.hospitals.0.beds": beds[0],
                            "response.hospitals.1.beds": beds[1]}, release={})
    k = result.kpis
    assert k["hospital_peak_load"] <= sum(beds)
    assert result.timeseries["in_hospital"].max() <= sum(beds)
    assert min(run.ems.free_beds) >= 0
    admitted = sum(math.isfinite(t) for t in run.ems.admitted_at)
    assert admitted <= sum(beds)
    assert admitted + k["casualties_not_admitted"] == k["injured_needing_hospital"]
    if ambulances >= 400 and admitted < sum(beds):   # every casualty is carried in time
        # A bed was left: whoever was not admitted died before reaching it.
        assert k["casualties_not_admitted"] == run.ems.dead_awaiting.current


# --- 6. people are not created; deaths as expected ------------------------------------------------


def test_deaths_and_injured_never_exceed_the_people_and_deaths_match_their_expectation() -> None:
    """Drawn deaths are binomial around the expected deaths: over replications the sum of
    (drawn − expected) has variance Σ n·p·(1 − p) <= Σ expected; 4 SE is the tolerance."""
    drawn = expected = 0.0
    for replication in range(8):
        result, run = run_kept({}, replication, release={"rate_kg_s": 5.0})
        k = result.kpis
        assert k["deaths"] + k["injured_needing_hospital"] <= k["population"]
        assert np.all(run.injured <= run.people[:, 0])
        assert np.all(run.cohorts.acting.sum(axis=2) <= run.people)
        assert k["deaths_expected"] <= k["population"]
        drawn += k["deaths"]
        expected += k["deaths_expected"]
    assert expected > 100.0
    assert abs(drawn - expected) <= 4.0 * math.sqrt(expected)


# --- 7. determinism -------------------------------------------------------------------------------


def test_same_seed_same_run_and_another_replication_draws_other_weather() -> None:
    first, run_a = run_kept()
    again, _ = run_kept()
    assert same_kpis(first.kpis, again.kpis)
    pd.testing.assert_frame_equal(first.timeseries, again.timeseries)
    assert first.extras == again.extras
    other, run_b = run_kept(replication=1)
    assert run_a.weather != run_b.weather          # tiny-plume's wind is uncertain
    assert first.extras["peak_ppm"] != other.extras["peak_ppm"]
    assert not same_kpis(first.kpis, other.kpis)


def test_with_certain_weather_and_no_team_every_replication_has_the_same_plume() -> None:
    fixed = {**STEADY_WIND, "response.hazmat_teams": []}
    a = run_kept(fixed, 0, release={})[1]
    b = run_kept(fixed, 1, release={})[1]
    np.testing.assert_array_equal(a.outdoor, b.outdoor)
    assert not np.array_equal(a.warning.alerted, b.warning.alerted)   # warnings still vary


# --- 8. bad input ---------------------------------------------------------------------------------

TINY = bundled_path("tiny-plume").read_text(encoding="utf-8")
WIND_LINE = "wind_speed_m_s = { triangular = [1.5, 2.5, 4.0] }"
LATE_STEPS = """
[[weather]]
start = "1h"
wind_speed_m_s = 3.0
wind_from_deg = 220.0
night_cloud = "under_3_8"

[[weather]]
start = "30min"
wind_speed_m_s = 3.0
wind_from_deg = 220.0
night_cloud = "under_3_8"

[warnings]"""

# (id, (old, new) text replacement, field named in the message, text in the message)
BAD = [
    ("unknown-chemical", ('chemical = "ammonia"', 'chemical = "unobtainium"'),
     "source.release", "unknown chemical 'unobtainium'"),
    ("negative-rate", ("rate_kg_s = 2.0", "rate_kg_s = -2.0"), "source.release",
     "rate_kg_s must be a positive number of kg/s, got -2.0"),
    ("zero-release", ("rate_kg_s = 2.0", "rate_kg_s = 0.0"), "source.release",
     "rate_kg_s must be a positive number of kg/s, got 0.0"),
    ("unknown-evacuate-zone", ('instruction = "shelter"',
                               'instruction = "shelter"\nevacuate_zones = ["z22", "z99"]'),
     "response.evacuate_zones[1]", "unknown zone 'z99'"),
    ("weather-out-of-order", ("\n[warnings]", LATE_STEPS), "weather",
     "steps must start at 0 and be in time order"),
]


def _cli_validate(tmp_path: Path, old: str, new: str):
    assert old in TINY
    path = tmp_path / "bad.toml"
    path.write_text(TINY.replace(old, new, 1), encoding="utf-8")
    return path, CliRunner().invoke(app, ["validate", str(path)])


@pytest.mark.parametrize("bad", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_naming_file_and_field(tmp_path: Path, bad) -> None:
    _, (old, new), field, message = bad
    path, result = _cli_validate(tmp_path, old, new)
    assert result.exit_code == USAGE_ERROR, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}")
    assert f" {field}" in lines[0] and message in lines[0]


def test_a_calm_wind_is_not_an_error_but_taken_as_half_a_metre_per_second(tmp_path) -> None:
    """Wind 0 m/s validates and runs: the Gaussian formulas divide by the wind speed, so winds
    below CALM_WIND_M_S (0.5 m/s) are taken as 0.5 m/s (docs/models/chemical-physics.md). Both
    are below 2 m/s, class F at night, so the run equals the 0.5 m/s run exactly."""
    _, result = _cli_validate(tmp_path, WIND_LINE, "wind_speed_m_s = 0")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")
    assert CALM_WIND_M_S == 0.5
    calm, run = run_kept({"weather.0.wind_speed_m_s": 0.0}, release={})
    half, _ = run_kept({"weather.0.wind_speed_m_s": 0.5}, release={})
    assert run.weather[0].wind_speed_m_s == 0.0 and run.weather[0].stability == "F"
    assert same_kpis(calm.kpis, half.kpis)
    assert calm.kpis["people_in_aegl2_zone"] > 0


def test_a_negative_wind_speed_is_an_error(tmp_path: Path) -> None:
    path, result = _cli_validate(tmp_path, WIND_LINE, "wind_speed_m_s = -3.0")
    assert result.exit_code == USAGE_ERROR
    assert "weather[0].wind_speed_m_s" in result.stderr or "weather.0.wind_speed_m_s" in (
        result.stderr)


def test_a_weather_step_without_sky_conditions_is_an_error(tmp_path: Path) -> None:
    path, result = _cli_validate(tmp_path, 'night_cloud = "under_3_8"\n', "")
    assert result.exit_code == USAGE_ERROR
    assert "weather" in result.stderr


def test_a_release_field_can_be_overridden() -> None:
    scenario = load_scenario("tiny-plume", {"source.release.chemical": "chlorine",
                                            "source.release.rate_kg_s": 3.0})
    assert scenario.source.release.substance.cas == CHLORINE_CAS
    assert scenario.source.release.rate_kg_s == 3.0


# --- 9. the indoor box model and leaving shelter --------------------------------------------------


def test_indoor_air_follows_the_analytic_box_model_for_a_step_outdoors() -> None:
    """dCi/dt = λ(Co − Ci) from clean air, outdoor Co from t0 on: Ci(t) = Co(1 − e^(−λ(t − t0)))
    at every step (exact: the outdoor value is held over each step)."""
    step, co, t0 = 1.0, 40.0, 12.0
    times = np.arange(0.0, 241.0, step)
    outdoor = np.where(times >= t0, co, 0.0)
    for rate_per_h in (0.2, 0.5, 1.0, 3.0):
        got = indoor_air(outdoor[None, :], step, rate_per_h)[0]
        exact = np.where(times >= t0, co * (1 - np.exp(-rate_per_h / 60.0 * (times - t0))), 0.0)
        np.testing.assert_allclose(got, exact, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got, indoor_concentration(outdoor, times, rate_per_h),
                                   rtol=1e-12, atol=1e-12)
    # A coarser step changes nothing at the shared times (the solution is exact, not a scheme).
    coarse = indoor_air(outdoor[None, ::6], 6.0, 0.5)[0]
    np.testing.assert_allclose(coarse, indoor_air(outdoor[None, :], 1.0, 0.5)[0][::6], rtol=1e-12)


@pytest.mark.parametrize("path, step, expected", [
    # The first hour is the worst: 60 min at 10 ppm, then clean air (1-min steps).
    ([10.0] * 60 + [0.0] * 30, 1.0, 10.0),
    # ... also on 5-min steps: twelve steps at 10 ppm, then a lower hour starting in step 2.
    ([10.0] * 12 + [9.0] * 12, 5.0, 10.0),
    # The worst hour later on: 30 clean minutes, then 60 at 6 ppm.
    ([0.0] * 30 + [6.0] * 60, 1.0, 6.0),
    # 20 min at 3 ppm and 20 at 9 ppm over 60 min: (20·3 + 20·9) / 60 = 4 ppm.
    ([3.0] * 20 + [9.0] * 20 + [0.0] * 20 + [0.0] * 10, 1.0, 4.0),
    # Shorter than the window: the dose over the window (45·8 / 60).
    ([8.0] * 45, 1.0, 6.0),
], ids=["first-hour", "first-hour-5min-steps", "later-hour", "mixed", "short"])
def test_the_60_min_running_mean_is_the_highest_mean_over_any_hour(path, step,
                                                                    expected) -> None:
    """The AEGL-2 hospital rule's running mean, by hand: the largest mean over any 60 min of
    whole steps, the first hour included."""
    series = np.array(path)
    assert max_running_mean(series, step, 60.0) == pytest.approx(expected, rel=1e-12)
    both = max_running_mean(np.stack([series, series / 2]), step, 60.0)   # along the last axis
    np.testing.assert_allclose(both, [expected, expected / 2], rtol=1e-12)


def _harm_for(outdoor: np.ndarray, times: np.ndarray, ex: ExposureSection) -> Harm:
    """The model's exposure engine for one zone with one receptor point, everyone indoors."""
    return Harm(times, outdoor[None, None, :], ex, CHLORINE_PROBIT, CHLORINE_CAS, 1.0)


def test_sheltering_follows_the_box_model_and_people_leave_once_the_plume_has_passed() -> None:
    """Outdoors: a small puff (20 ppm, 10-20 min), clean air (20-30 min), the main plume
    (100 ppm, 30-60 min), then clean air. Sheltered people

    * stay in during the clean spell at 20-30 min although the outdoor air is cleaner than
      theirs: the peak has not come yet;
    * breathe indoor air that relaxes to 100 ppm at the sealed rate λs from the value their home
      had (at the normal rate) when they acted;
    * leave (ventilate) at 60 min, the first time after the peak that the outdoor air is cleaner
      than the indoor air, and breathe the outdoor air from then on."""
    step = 1.0
    times = np.arange(0.0, 181.0, step)
    outdoor = np.select([(times >= 10) & (times < 20), (times >= 30) & (times < 60)],
                        [20.0, 100.0], 0.0)
    ex = ExposureSection(normal_air_exchange_per_h=1.0, shelter_air_exchange_per_h=0.5,
                         evacuation_exposure=20.0)
    harm = _harm_for(outdoor, times, ex)
    normal = indoor_air(outdoor[None, :], step, 1.0)[0]
    sealed = indoor_air(outdoor[None, :], step, 0.5)[0]
    indoor_path, outdoor_path = harm.paths(0, np.array([0.0, 40.0]), evacuate=False)
    from_start, from_40 = indoor_path[0]       # (acting at 0 min, acting at 40 min) x time

    # Sheltering from the start: the sealed solution until 60 min, then outdoor air (clean).
    assert np.all(outdoor[20:30] < sealed[20:30])          # cleaner outside, but before the peak
    np.testing.assert_allclose(from_start[:60], sealed[:60], rtol=1e-12)
    assert np.all(from_start[60:] == 0.0)

    # Acting at 40 min: normal indoor air before, then Ci = Co + (Ci(40) − Co)·e^(−λs(t − 40)).
    np.testing.assert_allclose(from_40[:40], normal[:40], rtol=1e-12)
    t = times[40:60]
    box = 100.0 + (normal[40] - 100.0) * np.exp(-0.5 / 60.0 * (t - 40.0))
    np.testing.assert_allclose(from_40[40:60], box, rtol=1e-12)
    assert np.all(from_40[60:] == 0.0)
    # People caught outdoors go into the nearest building: outdoor air before, the same after.
    np.testing.assert_allclose(outdoor_path[0, 1, :40], outdoor[:40])
    np.testing.assert_allclose(outdoor_path[0, 1, 40:], from_40[40:], rtol=1e-12)

    # Leaving once the plume has passed lowers the toxic load against staying in all along.
    assert toxic_load(from_start, step, 2.0) < toxic_load(sealed, step, 2.0)
    # Evacuating at 40 min: outdoors for 20 min (the whole rest of the main plume), then clear.
    evac = harm.paths(0, np.array([40.0]), evacuate=True)[0][0, 0]
    np.testing.assert_allclose(evac[:40], normal[:40], rtol=1e-12)
    np.testing.assert_array_equal(evac[40:60], outdoor[40:60])
    assert np.all(evac[60:] == 0.0)


def test_people_who_never_leave_a_lingering_plume_stay_in_it() -> None:
    """A plume that rises and then holds: no time after the peak is the outdoor air cleaner than
    the indoor air, so sheltered people stay in until the end (the long-release case)."""
    times = np.arange(0.0, 121.0)
    outdoor = np.minimum(times, 30.0) * 2.0       # rises to 60 ppm by 30 min, then holds
    harm = _harm_for(outdoor, times, ExposureSection())
    path = harm.paths(0, np.array([0.0]), evacuate=False)[0][0, 0]
    np.testing.assert_allclose(path, indoor_air(outdoor[None, :], 1.0, 0.5)[0], rtol=1e-12)


# --- the worked example of docs/models/chemical.md ------------------------------------------------


def test_docs_worked_example() -> None:
    """tiny-plume as bundled, root seed 1, replication 0 (numbers quoted in the docs)."""
    result, run = run_kept()
    k = result.kpis
    (weather,) = run.weather
    assert weather.wind_speed_m_s == pytest.approx(3.67, abs=0.005)
    assert weather.wind_from_deg == pytest.approx(241.4, abs=0.05)
    assert weather.stability == "E"
    assert run.detected_at == 5.0
    assert k["release_stopped_min"] == pytest.approx(41.6, abs=0.05)
    assert k["release_ended_min"] == pytest.approx(k["release_stopped_min"])
    peaks = {z.id: float(run.outdoor[i].max()) for i, z in enumerate(run.sc.zones)}
    assert peaks["z32"] == pytest.approx(645, abs=1)
    warned = [z.id for z, t in zip(run.sc.zones, run.warning.issued_at, strict=True)
              if math.isfinite(t)]
    assert warned == ["z22", "z32", "z33", "z43", "z44"]
    assert run.warning.issued_at[12] == pytest.approx(20.6, abs=0.05)
    assert k["people_in_aegl2_zone"] == 100.0 and k["people_in_aegl3_zone"] == 0.0
    assert k["deaths"] == 0.0 and k["deaths_expected_from_exposure"] < 1e-12
    assert k["injured_needing_hospital"] == 53.0 and k["injured_immediate"] == 0.0
    assert k["person_minutes_above_aegl2"] == pytest.approx(4882, abs=1)
    assert math.isinf(k["warning_90pct_aegl2_min"])          # night reach: at most 75 % alerted
    assert run.warning.alerted[12, -1] == pytest.approx(0.75, abs=1e-6)
    assert k["time_to_hospital_p50_min"] == pytest.approx(90, abs=1)
    assert k["time_to_hospital_p90_min"] == pytest.approx(144, abs=1)
    assert k["hospital_peak_load"] == 48.0 and k["casualties_not_admitted"] == 5.0
    assert k["deaths_awaiting_care"] == k["deaths_in_care"] == 0.0
    assert k["deaths_expected"] == pytest.approx(0.64, abs=0.005)


def test_docs_figure_script_draws_the_footprint(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_chemical_figure", ROOT / "docs" / "models" / "make_chemical_figure.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(tmp_path / "footprint.png", step_m=50.0)   # coarser contours: faster
    assert out.stat().st_size > 50_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
