"""A drill in progress: the clock, the release of injects and contingencies, decisions and
their bad input (clear errors, nothing recorded, nothing lost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drills.session import Drill
from sim.config import ConfigError


@pytest.fixture()
def running(flood_copy: tuple[str, Path]) -> tuple[Drill, Drill, Path]:
    """The flood drill started at wall time 0, one simulated hour per wall minute:
    (controller with key, participant without, folder)."""
    key, folder = flood_copy
    controller = Drill.open(folder, key)
    controller.start(speed=60, now=0.0)
    return controller, Drill.open(folder), folder


def test_the_clock_runs_pauses_and_jumps(running) -> None:
    controller, participant, _ = running
    assert controller.clock(now=60).minute == 60           # a wall minute: an hour
    assert participant.clock(now=90).minute == 90          # the same clock without the key
    participant.pause(now=120)
    assert controller.clock(now=600).minute == 120 and controller.clock(now=600).paused
    controller.resume(now=600)
    assert controller.clock(now=660).minute == 180
    controller.set_speed(1, now=660)                        # real time from here
    assert controller.clock(now=720).minute == pytest.approx(181)
    controller.advance(59, now=720)
    assert controller.clock(now=720).minute == pytest.approx(240)
    end = controller.clock(now=0).end_minute
    assert controller.clock(now=10**9).minute == end and controller.clock(now=10**9).ended


def test_starting_again_keeps_the_clock(running) -> None:
    controller, _, _ = running
    controller.start(now=300)
    assert controller.clock(now=300).minute == 300


def test_a_participant_cannot_start_or_release(flood_copy: tuple[str, Path]) -> None:
    _, folder = flood_copy
    participant = Drill.open(folder)
    assert not participant.clock().started
    with pytest.raises(ConfigError, match="needs the drill key"):
        participant.start()
    with pytest.raises(ConfigError, match="needs the drill key"):
        participant.release_due()
    with pytest.raises(ConfigError, match="needs the drill key"):
        participant.injects()


def test_injects_are_released_once_at_their_time(running) -> None:
    controller, participant, _ = running
    injects = [i for i in controller.injects() if not i["followup_of"]]
    first = injects[0]["minute"]
    assert controller.release_due(now=first - 0.5) == []
    released = controller.release_due(now=first)
    assert [i["id"] for i in released] == [i["id"] for i in injects if i["minute"] <= first]
    assert controller.release_due(now=first) == []           # not twice
    role = injects[0]["recipient"]
    assert [r["id"] for r in participant.inbox(role)] == [
        i["id"] for i in released if i["recipient"] == role]


def _first_expecting(controller: Drill, action: str) -> dict:
    return next(i for i in controller.injects()
                if not i["followup_of"] and i["expected"] and i["expected"]["action"] == action)


def test_a_contingency_inject_only_when_the_action_is_missing(running) -> None:
    controller, participant, _ = running
    forecast = _first_expecting(controller, "warn")
    opening = _first_expecting(controller, "open_shelter")
    # Warn every zone of the forecast in time; open no shelter.
    controller.release_due(now=forecast["minute"])
    controller.record_decision("city-eoc", "evacuate", forecast["expected"]["targets"],
                               now=forecast["minute"] + 5)
    controller.release_due(now=max(forecast["deadline"], opening["deadline"]))
    inbox = {r["id"]: r for role in participant.roles for r in participant.inbox(role["id"])}
    assert f"{forecast['id']}-F" not in inbox
    followup = inbox[f"{opening['id']}-F"]
    assert followup["still_missing"] == opening["expected"]["targets"]
    log = controller.released()
    assert log[f"{forecast['id']}-F"]["released"] is False


def test_decisions_are_recorded_with_clock_and_wall_time(running) -> None:
    controller, participant, folder = running
    first = participant.record_decision("city-eoc", "warn", "riverside, town", note="预案",
                                        now=30)
    second = controller.record_decision("shelters", "open_shelter", ["hill-school"], now=45,
                                        minute="40min")
    assert first["minute"] == 30 and first["targets"] == ["riverside", "town"]
    assert second["minute"] == 40 and second["seq"] == 2
    assert participant.decisions() == [first, second]
    assert first["wall_utc"].startswith("1970-01-01T00:00:30")
    lines = (folder / "decisions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "预案" in lines[0]


@pytest.mark.parametrize(("args", "field", "message"), [
    (("city-eoc", "evacuate", ["nowhere"]), "targets", "unknown zone 'nowhere'"),
    (("fire-rescue", "mobilize_team", ["ghost-team"]), "targets", "unknown team 'ghost-team'"),
    (("fire-rescue", "request_team", ["fire-station"]), "targets", "use mobilize_team"),
    (("fire-rescue", "mobilize_team", ["county-team"]), "targets", "use request_team"),
    (("mayor", "warn", ["town"]), "role", "unknown role 'mayor'"),
    (("shelters", "evacuate", ["town"]), "action", "may not decide 'evacuate'"),
    (("city-eoc", "launch", ["town"]), "action", "unknown action 'launch'"),
    (("city-eoc", "warn", []), "targets", "at least one target"),
    (("city-eoc", "warn", " , "), "targets", "at least one target"),
])
@pytest.mark.parametrize("with_key", [False, True])
def test_bad_decisions_are_refused_and_nothing_recorded(running, args, field, message,
                                                        with_key) -> None:
    controller, participant, folder = running
    drill = controller if with_key else participant
    drill.record_decision("city-eoc", "warn", ["town"], now=10)
    before = (folder / "decisions.jsonl").read_bytes()
    with pytest.raises(ConfigError) as caught:
        drill.record_decision(*args, now=20)
    assert f"decision: {field}: " in str(caught.value) and message in str(caught.value)
    assert (folder / "decisions.jsonl").read_bytes() == before


@pytest.mark.parametrize(("minute", "now", "message"), [
    ("2h", 60, "later than the drill clock"),
    (-5, 60, "expected a finite, non-negative duration"),
    ("soon", 60, "expected a duration"),
    (None, 10**9, "the drill has ended"),
    ("40d", 10**9, "outside the drill"),
])
def test_times_outside_the_drill_are_refused(running, minute, now, message) -> None:
    _, participant, folder = running
    with pytest.raises(ConfigError, match=message):
        participant.record_decision("city-eoc", "warn", ["town"], minute=minute, now=now)
    assert not (folder / "decisions.jsonl").exists()


def test_no_decision_before_the_drill_starts(flood_copy: tuple[str, Path]) -> None:
    _, folder = flood_copy
    with pytest.raises(ConfigError, match="decision: time: the drill has not started"):
        Drill.open(folder).record_decision("city-eoc", "warn", ["town"])


def test_the_key_checks_against_the_sealed_scenario(running, tmp_path: Path) -> None:
    """Without the key a decision may name any id of the library; with it, only the drawn
    scenario's (here the library is tiny-flood alone, so both agree on zones)."""
    controller, participant, _ = running
    assert "riverside" in participant.targets["zone"]
    controller.record_decision("city-eoc", "close_road", ["n-town-n-riverside"], now=5)
    with pytest.raises(ConfigError, match="unknown link 'n-town-n-hill'"):
        controller.record_decision("city-eoc", "close_road", ["n-town-n-hill"], now=5)


def test_a_torn_last_line_loses_no_earlier_decision(running) -> None:
    controller, participant, folder = running
    participant.record_decision("city-eoc", "warn", ["town"], now=10)
    with open(folder / "decisions.jsonl", "ab") as out:       # a crash in mid-write
        out.write(b'{"seq": 2, "minute": 12, "role": "city-')
    assert [d["seq"] for d in participant.decisions()] == [1]
    record = participant.record_decision("city-eoc", "warn", ["riverside"], now=20)
    assert [d["targets"] for d in participant.decisions()] == [["town"], ["riverside"]]
    assert record["seq"] == 2


def test_not_a_drill_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a sealed drill folder"):
        Drill.open(tmp_path)


def test_writers_in_parallel_lose_nothing(running) -> None:
    """Four scribes recording at once (each its own Drill, as separate terminals would):
    every decision is kept, once, with a distinct number."""
    from concurrent.futures import ThreadPoolExecutor

    _, _, folder = running

    def scribe(n: int) -> None:
        drill = Drill.open(folder)
        for i in range(10):
            drill.record_decision("city-eoc", "warn", ["town"], note=f"{n}-{i}", now=30 + i)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(scribe, range(4)))
    decisions = Drill.open(folder).decisions()
    assert len(decisions) == 40
    assert sorted(d["seq"] for d in decisions) == list(range(1, 41))
    assert len({d["note"] for d in decisions}) == 40
