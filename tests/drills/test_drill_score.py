"""Scoring: decisions replayed as orders into the sealed scenario, the same seed, compared with
the plan's own response (and an experiment's best option); ratings, report, determinism."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from drills.score import score_drill
from drills.seal import draw, open_packet, seal_drill
from drills.session import Drill
from drills.spec import load_drill_spec


def _all_decisions(drill: Drill, scenario, minute: float, now: float) -> None:
    """Everything the plan's response does, ordered at ``minute``: warn and evacuate every
    zone, open every shelter, call out local teams, request mutual aid, release every depot,
    activate every agreement."""
    zones = [z.id for z in scenario.zones]
    local = [t.id for t in scenario.rescue.teams if t.available_from <= 0]
    mutual = [t.id for t in scenario.rescue.teams if t.available_from > 0]
    for role, action, targets in [
            ("city-eoc", "evacuate", zones),
            ("shelters", "open_shelter", [s.id for s in scenario.shelters]),
            ("fire-rescue", "mobilize_team", local),
            ("fire-rescue", "request_team", mutual),
            ("supplies", "release_supplies", [d.id for d in scenario.supplies.depots]),
            ("supplies", "activate_agreement", [a.id for a in scenario.supplies.agreements])]:
        drill.record_decision(role, action, targets, minute=minute, now=now)


def _copy(sealed: tuple[str, Path], tmp_path: Path, name: str) -> tuple[str, Path]:
    key, folder = sealed
    target = tmp_path / name
    shutil.copytree(folder, target)
    return key, target


def _started(key: str, folder: Path) -> Drill:
    """Started at wall time 0 at one hour a minute: long over by now (ended)."""
    drill = Drill.open(folder, key)
    drill.start(speed=60, now=0.0)
    return drill


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_scoring_waits_for_the_end(invoke, sealed_flood, tmp_path: Path) -> None:
    """Mid-drill (or before the start) scoring is refused with one line and writes nothing,
    unless forced; after ``end`` it works, judging only injects up to the end."""
    import time

    from sim.config import ConfigError

    key, folder = _copy(sealed_flood, tmp_path, "drill")
    with pytest.raises(ConfigError, match=r"the drill has not started: end it first .* --force$"):
        score_drill(folder, key)
    drill = Drill.open(folder, key)
    now = time.time()
    drill.start(speed=60, now=now - 77)                     # T+77 of a 36 h drill
    drill.record_decision("city-eoc", "warn", ["riverside"], now=now - 30)
    public = _tree(folder / "participants")
    with pytest.raises(ConfigError) as caught:
        score_drill(folder, key)
    message = str(caught.value)
    assert message == (f"{folder}: the drill is still running (T+77 min): end it first "
                       "(drsim drill clock DIR --end) or score it anyway with --force")
    result = invoke("drill", "score", folder, key)
    assert result.exit_code == 2 and result.output == f"error: {message}\n"
    assert not (folder / "score").exists()
    forced = score_drill(folder, key, out="", force=True)
    assert forced.data["clock"]["forced"] and not forced.data["clock"]["ended"]
    assert forced.data["end_minute"] == pytest.approx(77, abs=1)
    assert _tree(folder / "participants") == public         # nothing written there
    drill.end(now=now + 3)                                   # T+80
    public = _tree(folder / "participants")
    report = score_drill(folder, key)
    assert report.data["end_minute"] == pytest.approx(80, abs=1)
    assert report.data["clock"] == {"ended": True, "forced": False,
                                    "sealed_end_minute": drill.packet.end_minute}
    judged = {a["inject"] for a in report.data["expected_actions"]}
    assert judged == {i.id for i in drill.injects() if i.expected and not i.followup_of
                      and i.minute <= report.data["end_minute"]}
    assert (folder / "score" / "report.html").exists()
    assert _tree(folder / "participants") == public         # nothing written there
    assert invoke("drill", "score", folder, key, "--out", tmp_path / "cli",
                  "--force").exit_code == 0


def test_the_report_never_goes_into_the_participants_folder(sealed_flood,
                                                            tmp_path: Path) -> None:
    from sim.config import ConfigError

    key, folder = _copy(sealed_flood, tmp_path, "drill")
    _started(key, folder)
    before = _tree(folder / "participants")
    for target in (folder / "participants", folder / "participants" / "score"):
        with pytest.raises(ConfigError, match="inside the participants' folder"):
            score_drill(folder, key, out=target)
    assert _tree(folder / "participants") == before


def test_a_decision_recorded_after_the_end_is_set_aside(sealed_flood, tmp_path: Path) -> None:
    key, folder = _copy(sealed_flood, tmp_path, "drill")
    drill = _started(key, folder)
    participant = Drill.open(folder / "participants")
    participant.record_decision("city-eoc", "evacuate", ["riverside"], now=100)
    participant.record_decision("city-eoc", "evacuate", ["town"], now=10**6)  # nobody saw the end
    assert drill.clock().ended
    report = score_drill(folder, key, out="")
    assert [(d["seq"], d["reason"]) for d in report.data["set_aside"]] == [
        (2, "recorded after the drill ended")]
    assert [o["targets"] for o in report.data["orders"]] == [["riverside"]]


def _kpi(report, name: str) -> dict:
    return next(k for k in report.data["kpis"] if k["kpi"] == name)


def test_the_same_decisions_give_the_same_score(sealed_flood, tmp_path: Path) -> None:
    key, folder = _copy(sealed_flood, tmp_path, "drill")
    drill = _started(key, folder)
    drill.record_decision("city-eoc", "evacuate", ["riverside", "town"], now=200)
    drill.record_decision("shelters", "open_shelter", ["hill-school"], now=230)
    first = score_drill(folder, key, replications=2, out=tmp_path / "a")
    second = score_drill(folder, key, replications=2, out=tmp_path / "b")
    assert first.data == second.data
    assert ((tmp_path / "a" / "score.json").read_text(encoding="utf-8")
            == (tmp_path / "b" / "score.json").read_text(encoding="utf-8"))


def test_earlier_and_stronger_decisions_never_score_worse(sealed_flood, tmp_path: Path) -> None:
    """Everything the plan does, ordered at minute 0, against the plan's own response and
    against the same orders at hour 8, on three paired replications."""
    key, early_dir = _copy(sealed_flood, tmp_path, "early")
    _, late_dir = _copy(sealed_flood, tmp_path, "late")
    scenario = open_packet(early_dir, key).sealed_scenario()
    _all_decisions(_started(key, early_dir), scenario, minute=0, now=600)
    _all_decisions(_started(key, late_dir), scenario, minute=480, now=600)
    early = score_drill(early_dir, key, replications=3, out="")
    late = score_drill(late_dir, key, replications=3, out="")
    for name in ("deaths", "warning_coverage", "trapped", "caught_in_transit"):
        assert not _kpi(early, name)["vs_baseline"]["worse"], name
        assert _kpi(early, name)["drill"] * _kpi(early, name)["direction"] >= (
            _kpi(late, name)["drill"] * _kpi(late, name)["direction"]), name
    assert _kpi(early, "deaths")["drill"] <= _kpi(early, "deaths")["baseline"]
    for a, b in zip(early.data["objectives"], late.data["objectives"], strict=True):
        assert (a["points"] or 0) >= (b["points"] or 0), a["objective"]
    assert early.overall["points"] >= late.overall["points"]


def test_protecting_everyone_at_once_beats_the_plan_in_a_leak(sealed_plume,
                                                              tmp_path: Path) -> None:
    """Hazmat teams called out and every zone told to shelter at minute 0: no harm indicator
    worse than the plan's own response, on three paired replications."""
    key, folder = _copy(sealed_plume, tmp_path, "drill")
    scenario = open_packet(folder, key).sealed_scenario()
    drill = _started(key, folder)
    drill.record_decision("fire-rescue", "mobilize_team",
                          [t.id for t in scenario.response.hazmat_teams], minute=0, now=1)
    drill.record_decision("city-eoc", "shelter_in_place", [z.id for z in scenario.zones],
                          minute=0, now=1)
    report = score_drill(folder, key, replications=3, out="")
    for name in ("deaths", "person_minutes_above_aegl2", "injured_needing_hospital",
                 "release_stopped_min", "warning_90pct_aegl2_min"):
        assert not _kpi(report, name)["vs_baseline"]["worse"], name
    assert _kpi(report, "person_minutes_above_aegl2")["vs_baseline"]["better"]


def test_no_decisions_is_poor_and_the_gaps_become_improvement_items(
        sealed_flood, tmp_path: Path) -> None:
    key, folder = _copy(sealed_flood, tmp_path, "drill")
    _started(key, folder)
    report = score_drill(folder, key, out=tmp_path / "score", lang="en")
    assert report.overall["rating_en"] == "poor"
    assert _kpi(report, "warning_coverage")["drill"] == 0.0      # nobody was warned
    kinds = {(i["kind"], i["objective"]) for i in report.data["improvements"]}
    assert ("never", "shelter") in kinds and ("never", "warning") in kinds
    texts = [i["en"] for i in report.data["improvements"]]
    assert any("No order to open shelters" in t for t in texts)
    assert all(i["zh"] and i["en"] for i in report.data["improvements"])
    page = (tmp_path / "score" / "report.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in page and "After-action report" in page
    assert (tmp_path / "score" / "figures" / "timeline.png").stat().st_size > 10_000
    saved = json.loads((tmp_path / "score" / "score.json").read_text(encoding="utf-8"))
    assert set(saved["rules"]) == {"zh", "en"}


def test_the_report_defaults_to_chinese_in_the_drill_folder(sealed_flood, tmp_path) -> None:
    key, folder = _copy(sealed_flood, tmp_path, "drill")
    _started(key, folder)
    report = score_drill(folder, key)
    assert report.out == folder / "score"
    page = (folder / "score" / "report.html").read_text(encoding="utf-8")
    assert "<html lang='zh-CN'>" in page and "演练评估报告" in page and "改进事项" in page
    ratings = {o["rating"] for o in report.data["objectives"]}
    assert ratings <= {"优", "良", "中", "差", "未检验"}


def test_decisions_that_do_not_apply_are_set_aside(tmp_path: Path) -> None:
    """Without the key a decision may name any id of the library: one naming the other
    scenario's zone is recorded, then set aside (with the reason) when scoring."""
    loaded = load_drill_spec("tiny-drill")
    entropy = next(e for e in range(50) if draw(loaded, e).index == 0)       # the flood
    key, folder = seal_drill(loaded, tmp_path / "drill", entropy=entropy)
    _started(key, folder)
    participant = Drill.open(folder)
    participant.record_decision("city-eoc", "shelter_in_place", ["z22"], now=30)
    participant.record_decision("city-eoc", "evacuate", ["riverside"], now=40)
    report = score_drill(folder, key, out="")
    assert [d["seq"] for d in report.data["set_aside"]] == [1]
    assert "shelter_in_place" in report.data["set_aside"][0]["reason"]
    assert [o["action"] for o in report.data["orders"]] == ["evacuate"]
    assert any(i["kind"] == "set_aside" for i in report.data["improvements"])


EXPERIMENT = """\
schema_version = 1
name = "drill-options"
base = "tiny-flood"
replications = 2
design = "monte_carlo"
root_seed = 3
chunk_size = 2

[[options]]
name = "baseline"

[[options]]
name = "more-boats"
overrides = { "rescue.teams.0.count" = 8 }

[[outcomes]]
kpi = "deaths"
"""


def test_comparison_with_an_experiments_best_option(invoke, sealed_flood, sealed_plume,
                                                    tmp_path: Path) -> None:
    spec = tmp_path / "experiment.toml"
    spec.write_text(EXPERIMENT, encoding="utf-8")
    results = tmp_path / "results"
    done = invoke("experiment", "run", spec, "--out", results, "--no-progress")
    assert done.exit_code == 0, done.output
    key, folder = _copy(sealed_flood, tmp_path, "drill")
    _started(key, folder)
    report = score_drill(folder, key, experiment=results, out="")
    assert report.data["option"] in ("baseline", "more-boats")
    assert all("option" in k and "vs_option" in k for k in report.data["kpis"])
    plume_key, plume = sealed_plume
    result = invoke("drill", "score", plume, plume_key, "--experiment", results, "--out",
                    tmp_path / "x", "--force")
    assert result.exit_code == 2
    assert "the experiment is about 'tiny-flood'" in result.output
    assert not (tmp_path / "x").exists()


def test_a_corrupted_packet_stops_scoring_and_loses_no_decision(sealed_flood,
                                                                tmp_path: Path) -> None:
    from sim.config import ConfigError

    key, folder = _copy(sealed_flood, tmp_path, "drill")
    _started(key, folder).record_decision("city-eoc", "warn", ["town"], now=60)
    before = (folder / "participants" / "decisions.jsonl").read_bytes()
    packet = folder / "packet.enc"
    data = bytearray(packet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    packet.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="packet.enc: cannot be decrypted"):
        score_drill(folder, key)
    with pytest.raises(ConfigError, match="packet.enc: cannot be decrypted"):
        Drill.open(folder, key)
    assert (folder / "participants" / "decisions.jsonl").read_bytes() == before
    assert Drill.open(folder).decisions()[0].targets == ["town"]        # still readable
    assert not (folder / "score").exists()


def test_a_kpis_direction_comes_from_the_model_catalogue_first() -> None:
    """``Kpi.better`` of the model's catalogue decides; where it is None (or the KPI is not in
    the catalogue) the drill's own rule does, as before the catalogue had directions."""
    from dataclasses import replace

    from drills.score import direction
    from models.catalog import spec_for
    from models.kpis import Kpi

    flood = spec_for("flood")
    assert direction("population", flood) == 0                  # context, not judged
    assert direction("injured_needing_hospital", flood) == -1    # harm: lower is better
    assert direction("deaths", flood) == -1 and direction("warning_coverage", flood) == 1
    toy = replace(flood, kpis=(Kpi("population", "Population", "人口", "people",
                                   better="higher"),
                               Kpi("warning_coverage", "Coverage", "覆盖率", "share",
                                   better="lower"),
                               Kpi("deaths", "Deaths", "死亡", "people")))
    assert direction("population", toy) == 1 and direction("warning_coverage", toy) == -1
    assert direction("deaths", toy) == -1                        # better None: the old rule


@pytest.mark.parametrize("model", ["flood", "chemical"])
def test_the_catalogue_directions_keep_the_drill_scores(model: str) -> None:
    """Where a model's catalogue gives a KPI a direction, it is the one drills judged it by
    before (so filling ``Kpi.better`` in changes no score); a KPI drills do not judge has
    none."""
    from drills.score import direction
    from models.catalog import spec_for

    spec = spec_for(model)
    for kpi in spec.kpis:
        if kpi.better is not None:
            assert direction(kpi.name, spec) == direction(kpi.name), kpi.name
            assert direction(kpi.name) != 0, kpi.name
