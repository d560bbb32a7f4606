"""Blindness: nothing the participants receive before an inject's release tells them the
scenario, the place, the time, the parameters or the seed."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from drills.seal import draw, open_packet, seal_drill
from drills.session import Drill
from drills.spec import load_drill_spec
from drills.targets import scenario_targets


def _strings(value: Any) -> list[str]:
    """Every string and number in a JSON-like value, as text."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _secrets(packet: dict[str, Any]) -> set[str]:
    """Strings that would give the draw away: names, titles, place names, start date and
    time, parameter values, the seed."""
    scenario = packet["scenario"]["content"]
    start = datetime.fromisoformat(packet["start"])
    out = {packet["scenario"]["name"], scenario["title"], str(packet["seed"]),
           start.strftime("%Y-%m-%d"), start.strftime("%m-%d %H:"), f"{start.month}月{start.day}日",
           start.isoformat()}
    for value in packet["parameters"].values():
        out |= {repr(value), f"{value:.4g}", f"{value:.2f}"}
    for section in ("zones", "shelters"):
        out |= {item["name"] for item in scenario.get(section, []) if item.get("name")}
    for gauge in scenario.get("hazard", {}).get("gauges", []):
        out |= {gauge["name"], gauge["id"]}
    if "source" in scenario:
        out.add(scenario["source"]["name"])
    return {s for s in out if s and len(s) >= 4}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path]]:
    """The bundled tiny-drill sealed twice: once drawing the flood, once the leak."""
    loaded = load_drill_spec("tiny-drill")
    found: dict[str, tuple[str, Path]] = {}
    for entropy in range(50):
        name = loaded.scenarios[draw(loaded, entropy).index].name
        if name not in found:
            found[name] = seal_drill(loaded, tmp_path_factory.mktemp("blind") / name,
                                     entropy=entropy)
        if len(found) == 2:
            return found
    raise AssertionError("both scenarios should be drawn within 50 entropies")


def _participant_files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8")
            for p in sorted((folder / "participants").iterdir()) if p.is_file()}


def test_participant_files_are_the_same_whatever_was_drawn(
        both: dict[str, tuple[str, Path]]) -> None:
    flood = _participant_files(both["tiny-flood"][1])
    plume = _participant_files(both["tiny-plume"][1])
    assert flood.keys() == plume.keys() == {"README.md", "roles.json", "targets.json"}
    for name in flood:
        ids = [json.loads((both[s][1] / "commitment.json").read_text())["drill_id"]
               for s in ("tiny-flood", "tiny-plume")]
        assert flood[name].replace(ids[0], "ID") == plume[name].replace(ids[1], "ID"), name


def test_the_public_targets_are_the_union_over_the_library(
        both: dict[str, tuple[str, Path]]) -> None:
    targets = json.loads((both["tiny-flood"][1] / "participants" / "targets.json").read_text())
    for scenario in load_drill_spec("tiny-drill").scenarios:
        for kind, ids in scenario_targets(scenario).items():
            assert set(ids) <= set(targets[kind]), (scenario.name, kind)


@pytest.mark.parametrize("scenario", ["tiny-flood", "tiny-plume"])
def test_no_secret_in_what_participants_see_before_release(
        both: dict[str, tuple[str, Path]], scenario: str) -> None:
    key, folder = both[scenario]
    secrets = _secrets(open_packet(folder, key))
    assert scenario in secrets and len(secrets) > 4
    seen = list(_participant_files(folder).values())
    drill = Drill.open(folder)                       # what a participant's tool can read
    seen += _strings(drill.roles) + _strings(drill.targets)
    seen += _strings(drill.clock().as_dict())
    seen += [s for role in drill.roles for s in _strings(drill.inbox(role["id"]))]
    text = "\n".join(seen)
    # Whole words only: the gauge "river" is no leak inside the public zone id "riverside".
    leaked = sorted(s for s in secrets
                    if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text))
    assert leaked == []


def test_before_an_inject_is_due_its_role_has_nothing(both: dict[str, tuple[str, Path]],
                                                      tmp_path: Path) -> None:
    import shutil

    key, sealed = both["tiny-flood"]
    folder = tmp_path / "drill"
    shutil.copytree(sealed, folder)
    controller = Drill.open(folder, key)
    first = min(i["minute"] for i in controller.injects())
    controller.start(speed=60, now=0.0)
    assert controller.release_due(now=(first - 1) * 60 / 60) == []   # a minute before
    participant = Drill.open(folder)
    assert all(participant.inbox(r["id"]) == [] for r in participant.roles)
    assert {p.name for p in (folder / "participants").iterdir()} == {
        "README.md", "roles.json", "targets.json"}
    # At the first inject's time exactly those due are sent, without the controllers' fields.
    released = controller.release_due(now=first * 60 / 60)
    assert released and all(i["minute"] <= first for i in released)
    for role in participant.roles:
        for record in participant.inbox(role["id"]):
            assert record["minute"] <= first
            assert not {"expected", "objective", "deadline", "notes", "recipient", "kind",
                        "followup_of"} & set(record)
