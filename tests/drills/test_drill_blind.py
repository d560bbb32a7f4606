"""Blindness: nothing the participants receive before an inject's release tells them the
scenario, the place, the time, the parameters or the seed — neither before the drill nor
while it runs (files they are handed, the CLI's output and errors, the API without the key) —
and without the key nobody can change the clock or score."""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from drills.packet import Packet
from drills.seal import draw, open_packet, seal_drill
from drills.session import Drill
from drills.spec import load_drill_spec
from drills.targets import scenario_targets
from sim.units import format_duration

NO_KEY = {"DRSIM_DRILL_KEY": None}     # the test runner's environment without a key


def _strings(value: Any) -> list[str]:
    """Every string and number in a JSON-like value, as text."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _named(word: str, text: str) -> bool:
    """``word`` stands in ``text`` as a whole word (Latin letters, digits, _ and - around it
    would make it part of another: the gauge "river" is no leak inside the zone id
    "riverside"; Chinese characters next to it do not)."""
    return re.search(rf"(?<![A-Za-z0-9_-]){re.escape(word)}(?![A-Za-z0-9_-])", text) is not None


def _secrets(sealed: Packet) -> set[str]:
    """Strings that would give the draw away: names, titles, place names, start date and
    time, parameter values, the seed."""
    packet = sealed.model_dump(mode="json")
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
    seen += [s for role in drill.roles for m in drill.inbox(role["id"])
             for s in _strings(m.model_dump())]
    text = "\n".join(seen)
    leaked = sorted(s for s in secrets if _named(s, text))
    assert leaked == []


def test_before_an_inject_is_due_its_role_has_nothing(both: dict[str, tuple[str, Path]],
                                                      tmp_path: Path) -> None:
    import shutil

    key, sealed = both["tiny-flood"]
    folder = tmp_path / "drill"
    shutil.copytree(sealed, folder)
    controller = Drill.open(folder, key)
    first = min(i.minute for i in controller.injects())
    controller.start(speed=60, now=0.0)
    assert controller.release_due(now=(first - 1) * 60 / 60) == []   # a minute before
    participant = Drill.open(folder)
    assert all(participant.inbox(r["id"]) == [] for r in participant.roles)
    assert {p.name for p in (folder / "participants").iterdir()} == {
        "README.md", "roles.json", "targets.json", "status.json", ".lock"}
    assert json.loads((folder / "participants" / "status.json").read_text()) == {
        "format": "drsim-drill-status/1", "state": "running"}
    # At the first inject's time exactly those due are sent, without the controllers' fields.
    released = controller.release_due(now=first * 60 / 60)
    assert released and all(i.minute <= first for i in released)
    for role in participant.roles:
        assert all(m.minute <= first for m in participant.inbox(role["id"]))
        inbox = folder / "participants" / f"{role['id']}.jsonl"
        lines = inbox.read_text(encoding="utf-8").splitlines() if inbox.exists() else []
        for record in map(json.loads, lines):
            assert record["minute"] <= first
            assert not {"expected", "objective", "deadline", "notes", "recipient", "kind",
                        "followup_of"} & set(record)


# --- a running drill, after some injects were released --------------------------------------


def _clock_secrets(packet: Packet) -> list[re.Pattern[str]]:
    """Patterns that would tell the drill's length or pace: the end as a duration or in
    minutes, any number given as a speed or an end."""
    end = float(packet.end_minute)
    speed = float(packet.style.speed)
    return [re.compile(p) for p in (
        rf"(?<![\w.]){re.escape(format_duration(end))}(?![\w.])", rf"\bof {end:.0f}\b",
        rf"(?<![\w.]){end:.0f}(\.0)? ?min", rf"\bx{speed:g}\b",
        r"speed\W{0,3}\d", r"end_minute\W{0,3}\d", r"\bstart(ed)?\W{0,3}\d{4}-")]


def _run_to_after_first_inject(key: str, folder: Path) -> tuple[Drill, float]:
    """Start the drill in real time so that its clock now stands a little after the first
    inject, release what is due; return the controller and the first inject's minute."""
    controller = Drill.open(folder, key)
    first = min(i.minute for i in controller.injects())
    speed = controller.packet.style.speed
    target = first + 0.6 * (min(controller.packet.end_minute, first + 60) - first)
    now = time.time()
    controller.start(now=now - target * 60 / speed)
    assert controller.release_due(now)
    return controller, first


@pytest.mark.parametrize("scenario", ["tiny-flood", "tiny-plume"])
def test_a_running_drill_tells_keyless_users_nothing_beyond_the_released_injects(
        both: dict[str, tuple[str, Path]], scenario: str, tmp_path: Path, invoke) -> None:
    key, sealed = both[scenario]
    folder = tmp_path / "drill"
    shutil.copytree(sealed, folder)
    packet = open_packet(folder, key)
    controller, first = _run_to_after_first_inject(key, folder)
    public = folder / "participants"
    other = next(s for s in load_drill_spec("tiny-drill").scenarios if s.name != scenario)
    other_zone = scenario_targets(other)["zone"][0]
    told: list[str] = []                 # everything a keyless user reads or is told

    # What participants are told on the command line, and the errors they can provoke.
    for args in (("clock", public), ("clock", folder),
                 ("decide", public, "--role", "city-eoc", "--action", "evacuate", "--targets",
                  other_zone),           # the other scenario's zone: accepted without the key
                 ("decide", public, "--role", "city-eoc", "--action", "warn", "--targets",
                  other_zone, "--at", f"{first:g}min"),
                 ("decide", public, "--role", "city-eoc", "--action", "warn", "--targets",
                  other_zone, "--at", "9999h"),
                 ("decide", public, "--role", "city-eoc", "--action", "warn", "--targets",
                  "atlantis"),
                 ("decide", public, "--role", "city-eoc", "--action", "warn", "--targets",
                  other_zone, "--at", "-5"),
                 ("clock", public, "--pause"), ("clock", folder, "--advance", "30min"),
                 ("clock", folder, "--speed", "600"), ("clock", folder, "--end"),
                 ("clock", folder, "--resume"), ("score", folder, "not-the-key")):
        result = invoke("drill", *args, env=NO_KEY)
        told.append(result.output)
    assert told[0] == told[1] and told[0].startswith("drill running; latest message at T+")
    assert told[2].startswith("recorded #1 (stamped by the drill clock)")
    assert told[3].startswith(f"recorded #2 at T+{first:.0f} min")
    assert "is after the current drill time as announced" in told[4]
    assert all(t.startswith("error: ") for t in told[4:])
    assert all("needs the drill key" in t for t in told[7:12])

    # The API without the key, on the participants' folder alone.
    participant = Drill.open(public)
    told += [json.dumps(participant.clock().as_dict()), json.dumps(participant.status()),
             json.dumps([d.model_dump(mode="json") for d in participant.decisions()],
                        ensure_ascii=False),
             json.dumps({k: r.model_dump(mode="json") for k, r in participant.released().items()}),
             json.dumps(participant.roles, ensure_ascii=False)]
    assert participant.clock().minute <= controller.clock().minute
    dynamic = list(told)
    # Every file in the participants' folder but the inboxes (the released injects: they
    # tell what they tell, by design).
    inboxes = {f"{r['id']}.jsonl" for r in participant.roles}
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(public.iterdir())
             if p.is_file() and p.name not in inboxes}
    assert set(files) == {"README.md", "roles.json", "targets.json", "status.json", ".lock",
                          "decisions.jsonl"}
    told += list(files.values())
    released = [m for r in participant.roles for m in participant.inbox(r["id"])]
    assert released and all(m.minute <= controller.clock().minute for m in released)

    text = "\n".join(told)
    for message in released:               # what a released inject has told already
        text = text.replace(message.clock, "<released clock>")
    secrets = _secrets(packet)
    leaked = sorted(s for s in secrets if _named(s, text))
    assert leaked == []
    assert [p.pattern for p in _clock_secrets(packet) if p.search(text)] == []
    # Ids only the drawn scenario has are never named (beyond the public union list).
    own = set(scenario_targets(packet.sealed_scenario())["zone"]) - set(
        scenario_targets(other)["zone"])
    named = "\n".join(dynamic + [files["decisions.jsonl"], files["status.json"]])
    assert own and not [z for z in own if _named(z, named)]
    # Nothing was changed without the key, nothing scored.
    assert controller.clock().started and not controller.clock().paused
    assert not controller.clock().ended and not (folder / "score").exists()


def test_keyless_users_cannot_change_the_clock_or_score(flood_copy, invoke) -> None:
    key, folder = flood_copy
    controller = Drill.open(folder, key)
    controller.start(speed=60)
    before = (folder / "session.enc").read_bytes()
    for change in (("--pause",), ("--resume",), ("--speed", "600"), ("--advance", "30min"),
                   ("--end",)):
        for where in (folder, folder / "participants"):
            result = invoke("drill", "clock", where, *change, env=NO_KEY)
            assert result.exit_code == 2, (change, result.output)
            assert result.output == (f"error: {change[0]}: changing the drill clock needs the "
                                     "drill key (--key or DRSIM_DRILL_KEY)\n")
    assert (folder / "session.enc").read_bytes() == before
    # With the key the same commands work; mid-drill scoring is refused, --force scores.
    paused = invoke("drill", "clock", folder, "--pause", "--key", key)
    assert paused.exit_code == 0 and paused.output.rstrip().endswith("paused")
    assert " of 2160)" in paused.output and "speed x60" in paused.output
    refused = invoke("drill", "score", folder, key)
    assert refused.exit_code == 2 and "the drill is still paused" in refused.output
    assert not (folder / "score").exists()
    ended = invoke("drill", "clock", folder, "--end", env={"DRSIM_DRILL_KEY": key})
    assert ended.exit_code == 0 and ended.output.rstrip().endswith("ended")
    assert invoke("drill", "clock", folder / "participants", env=NO_KEY).output.startswith(
        "drill ended")
