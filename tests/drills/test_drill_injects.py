"""The MSEL compiled from the hidden run: what each inject says, to whom, what it expects, and
the controllers' export (HSEEP columns, task cards)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from drills.decisions import order_problem
from drills.injects import MSEL_COLUMNS, covered, missing_targets
from drills.packet import Expected, Packet, TimedDecision
from drills.seal import open_packet
from drills.targets import scenario_targets
from models.loading import load_scenario


@pytest.fixture(scope="module")
def flood(sealed_flood: tuple[str, Path]) -> Packet:
    key, folder = sealed_flood
    return open_packet(folder, key)


@pytest.fixture(scope="module")
def plume(sealed_plume: tuple[str, Path]) -> Packet:
    key, folder = sealed_plume
    return open_packet(folder, key)


def test_flood_injects_cover_the_run(flood: Packet) -> None:
    kinds = {i.kind for i in flood.msel}
    assert {"forecast", "shelter_opening", "gauge", "rescue_call", "supply_request",
            "shelter_filling", "stockout", "followup"} <= kinds
    by_kind = {}
    for inject in flood.msel:
        by_kind.setdefault(inject.kind, inject)          # the first of each kind
    assert by_kind["forecast"].expected.action == "warn"
    assert by_kind["gauge"].expected.action == "evacuate"
    assert by_kind["rescue_call"].source == "119指挥中心"
    assert by_kind["rescue_call"].recipient == "fire-rescue"


def test_plume_injects_cover_the_run(plume: Packet) -> None:
    kinds = {i.kind for i in plume.msel}
    assert {"detector_alarm", "public_call", "plume", "leak_stopped"} <= kinds
    alarm = next(i for i in plume.msel if i.kind == "detector_alarm")
    assert alarm.expected.model_dump() == {"action": "mobilize_team",
                                           "targets": ["plant-team", "fire-hazmat"]}
    assert alarm.minute == 5.0                          # the detectors' delay


@pytest.mark.parametrize("which", ["flood", "plume"])
def test_every_expected_action_is_an_order_the_model_accepts(which: str, request) -> None:
    packet = request.getfixturevalue(which)
    scenario = packet.sealed_scenario()
    spec = packet.drill_spec()
    roles = {r.id for r in spec.roles}
    objectives = {o.id for o in spec.objectives}
    ids = [i.id for i in packet.msel]
    assert len(ids) == len(set(ids))
    minutes = [i.minute for i in packet.msel if not i.followup_of]
    assert minutes == sorted(minutes)
    for inject in packet.msel:
        assert inject.recipient in roles
        assert inject.message and inject.message_en and inject.source_en
        assert 0 <= inject.minute <= packet.end_minute
        if inject.expected:
            e = inject.expected
            assert order_problem(scenario, e.action, e.targets, inject.minute) is None
            assert inject.objective in objectives
            if not inject.followup_of:
                assert inject.deadline > inject.minute
                assert f"{inject.id}-F" in ids or inject.deadline > packet.end_minute


def _english_in_chinese(packet: Packet) -> list[str]:
    """Latin words left in the Chinese text of the injects once ids, AEGL-2 and ppm are
    taken out."""
    scenario = packet.sealed_scenario()
    ids = {i for values in scenario_targets(scenario).values() for i in values}
    hazard = getattr(scenario, "hazard", None)
    ids |= {g.id for g in getattr(hazard, "gauges", []) or []}
    words = []
    for inject in packet.msel:
        for field in ("message", "synopsis", "source", "mode"):
            text = getattr(inject, field)
            for ident in sorted(ids, key=len, reverse=True):
                text = re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(ident)}(?![A-Za-z0-9_-])", " ", text)
            text = re.sub(r"AEGL-2|ppm", " ", text)
            words += re.findall(r"[A-Za-z]{2,}", text)
    return words


@pytest.mark.parametrize("which", ["flood", "plume"])
def test_chinese_messages_carry_no_english_words(which: str, request) -> None:
    packet = request.getfixturevalue(which)
    assert _english_in_chinese(packet) == []
    for inject in packet.msel:
        assert "and " not in inject.message and "more" not in inject.message
        if inject.kind == "flooding":
            assert "洪水已进入该区域" in inject.message and "村镇" not in inject.message


def test_chinese_names_of_places() -> None:
    from drills.adapters import adapter_for
    from drills.names import chinese_name

    assert chinese_name("驿城区 城区 (Yicheng District urban core)") == "驿城区 城区"
    assert chinese_name("Banqiao reservoir (板桥水库), approximate position") == "板桥水库"
    assert chinese_name("新蔡县避难场所") == "新蔡县避难场所"
    assert chinese_name("驿城区 lowland township 1") is None
    assert chinese_name("Riverside village") is None and chinese_name(None) is None
    scenario = load_scenario("zhumadian-flood")
    names = adapter_for(scenario).names(scenario)
    assert names.one("yicheng-core") == "驿城区 城区（yicheng-core）"
    assert names.one("yicheng-01") == "区域 yicheng-01（驿城区）"
    assert names.one("ru-yicheng") == "水文站 ru-yicheng"
    assert names.item("food", "Food ration (2,100 kcal)") == "食品"
    many = [f"yicheng-{n:02d}" for n in range(1, 11)] + ["xiping-01", "xiping-02", "xiping-03"]
    assert names(many).endswith("、xiping-02等13处")
    assert names(many[:3]) == "yicheng-01、yicheng-02、yicheng-03"


def test_a_followup_repeats_its_parent_at_the_deadline(flood: Packet) -> None:
    by_id = {i.id: i for i in flood.msel}
    followups = [i for i in flood.msel if i.followup_of]
    assert followups
    for f in followups:
        parent = by_id[f.followup_of]
        assert f.minute == parent.deadline
        assert f.expected == parent.expected
        assert f.recipient == parent.recipient
        assert f.message.startswith("【催办】") and f.message_en.startswith("[Follow-up]")


def _decided(seq: int, action: str, targets: list[str], minute: float) -> TimedDecision:
    return TimedDecision(seq=seq, role="city-eoc", action=action, targets=targets,
                         minute=minute)


def test_covered_counts_stronger_actions_and_only_in_time() -> None:
    expected = Expected(action="warn", targets=["a", "b", "c"])
    decisions = [_decided(1, "evacuate", ["a"], 10), _decided(2, "warn", ["b", "x"], 30),
                 _decided(3, "open_shelter", ["c"], 5)]
    assert covered(expected, decisions, 20) == {"a"}
    assert covered(expected, decisions, 30) == {"a", "b"}
    assert missing_targets(expected, decisions, 60) == ["c"]
    assert covered(Expected(action="evacuate", targets=["a"]),
                   [_decided(1, "warn", ["a"], 0)], 60) == set()


def test_the_controllers_export(invoke, sealed_flood: tuple[str, Path], tmp_path: Path) -> None:
    key, folder = sealed_flood
    out = tmp_path / "controllers"
    result = invoke("drill", "export", folder, key, "--out", out)
    assert result.exit_code == 0, result.output
    for name in ("msel.csv", "msel.xlsx"):
        frame = (pd.read_csv(out / name) if name.endswith("csv")
                 else pd.read_excel(out / name, sheet_name="MSEL"))
        assert list(frame.columns) == MSEL_COLUMNS
        packet = open_packet(folder, key)
        assert len(frame) == len(packet.msel)
        assert frame["MSEL Event #"].tolist() == [i.id for i in packet.msel]
        assert frame["Message"].str.contains("\n").all()        # Chinese, then English
    spec = open_packet(folder, key).drill_spec()
    for role in spec.roles:
        markdown = (out / "taskcards" / f"{role.id}.md").read_text(encoding="utf-8")
        assert markdown.startswith(f"# 任务卡 Task card: {role.name}")
        page = (out / "taskcards" / f"{role.id}.html").read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    assert (out / "controller.md").read_text(encoding="utf-8").count("tiny-flood") >= 1
    assert not (folder / "participants" / "msel.csv").exists()


def test_the_msel_never_goes_into_the_participants_area(invoke, sealed_flood, tmp_path) -> None:
    key, folder = sealed_flood
    before = sorted(p.name for p in (folder / "participants").iterdir())
    for target in (folder / "participants", folder / "participants" / "sub"):
        result = invoke("drill", "export", folder, key, "--out", target)
        assert result.exit_code == 2
        assert "inside the participants' area" in result.output
    assert sorted(p.name for p in (folder / "participants").iterdir()) == before


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["zhumadian-flood", "zhumadian-ammonia"])
def test_the_zhumadian_drill_compiles_orders_its_model_accepts(scenario: str,
                                                               tmp_path: Path) -> None:
    from drills.seal import draw, seal_drill
    from drills.spec import load_drill_spec

    loaded = load_drill_spec("zhumadian-flood-drill")
    entropy = next(e for e in range(100)
                   if loaded.scenarios[draw(loaded, e).index].name == scenario)
    key, folder = seal_drill(loaded, tmp_path / "drill", entropy=entropy)
    packet = open_packet(folder, key)
    sealed = packet.sealed_scenario()
    kinds = {i.kind for i in packet.msel}
    expected = ({"forecast", "gauge", "rescue_call", "supply_request", "shelter_filling"}
                if scenario == "zhumadian-flood" else
                {"detector_alarm", "public_call", "plume", "road_closed", "road_reopened"})
    assert expected <= kinds
    assert _english_in_chinese(packet) == []
    for inject in packet.msel:
        if inject.expected and not inject.followup_of:
            e = inject.expected
            assert order_problem(sealed, e.action, e.targets, inject.minute) is None


def test_without_contingencies_no_followups_but_deadlines_stay(tmp_path: Path) -> None:
    from drill_specs import spec_text

    from drills.score import score_drill
    from drills.seal import seal_drill
    from drills.session import Drill

    spec = tmp_path / "spec.toml"
    spec.write_text(spec_text("tiny-flood").replace('deadline = "1h"',
                                                    'deadline = "1h"\nenabled = false'),
                    encoding="utf-8")
    key, folder = seal_drill(spec, tmp_path / "drill", entropy=11)
    packet = open_packet(folder, key)
    assert not any(i.followup_of for i in packet.msel)
    assert all(i.deadline for i in packet.msel if i.expected)
    Drill.open(folder, key).start(now=0)
    report = score_drill(folder, key, out="")
    assert report.data["expected_actions"]


@pytest.mark.parametrize("which", ["flood", "plume"])
def test_every_inject_kind_is_one_a_role_may_receive(which: str, request) -> None:
    """The adapters' kinds are the drill spec's vocabulary (roles' ``receives``)."""
    from drills.spec import INJECT_KINDS

    packet = request.getfixturevalue(which)
    assert {i.kind for i in packet.msel} <= set(INJECT_KINDS)
