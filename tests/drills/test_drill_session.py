"""A drill in progress: the clock, the release of injects and contingencies, decisions and
their bad input (clear errors, nothing recorded, nothing lost)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from drills.packet import Inject
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
    blind = participant.clock(now=90)                      # without the key: no clock
    assert blind.blind and blind.state == "running" and blind.minute == 0
    assert math.isnan(blind.speed) and math.isnan(blind.end_minute)
    controller.pause(now=120)
    assert participant.clock().state == "paused"
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


@pytest.mark.parametrize(("change", "args"), [
    ("pause", ()), ("resume", ()), ("set_speed", (600,)), ("advance", (600,)), ("end", ())])
def test_a_participant_cannot_change_the_clock(running, change: str, args: tuple) -> None:
    controller, participant, folder = running
    before = (folder / "session.enc").read_bytes()
    with pytest.raises(ConfigError, match="needs the drill key$"):
        getattr(participant, change)(*args, now=100)
    assert (folder / "session.enc").read_bytes() == before
    assert controller.clock(now=120).minute == 120 and not controller.clock(now=120).paused


def test_ending_the_drill_stops_the_clock_for_good(running) -> None:
    controller, participant, _ = running
    participant.record_decision("city-eoc", "warn", ["town"], now=50)
    clock = controller.end(now=77)
    assert clock.ended and clock.minute == 77 and clock.end_minute == 77
    assert controller.clock(now=10_000).minute == 77          # stays there
    assert participant.clock().state == "ended"
    assert controller.end(now=90).minute == 77                # ending again changes nothing
    with pytest.raises(ConfigError, match="the drill has ended"):
        controller.record_decision("city-eoc", "warn", ["riverside"], now=100)
    assert all(i.minute <= 77 for i in controller.release_due(now=10_000))
    assert [d.minute for d in controller.decisions()] == [50]


def test_the_clock_is_encrypted_and_participants_see_only_a_state(running, flood_copy) -> None:
    from cryptography.fernet import Fernet

    controller, _, folder = running
    key, _ = flood_copy
    controller.set_speed(5, now=60)
    token = (folder / "session.enc").read_bytes()
    plain = Fernet(key.encode()).decrypt(token)
    assert b'"speed"' not in token and len(plain) % 1024 == 0
    state = json.loads(plain)
    assert state["segments"][-1][2] == 5.0 and state["end_minute"] == controller.packet.end_minute
    status = json.loads((folder / "participants" / "status.json").read_text(encoding="utf-8"))
    assert status == {"format": "drsim-drill-status/1", "state": "running"}
    assert not (folder / "session.json").exists()


def test_participants_open_their_own_folder(running, flood_copy, tmp_path: Path) -> None:
    """``participants/`` is all participants get: it opens without the rest of the drill
    folder, reads the inboxes and records decisions; the key needs the whole folder."""
    controller, _, folder = running
    first = min(i.minute for i in controller.injects())
    controller.release_due(now=first)
    inside = Drill.open(folder / "participants")
    assert inside.clock().state == "running" and inside.clock().minute == first
    record = inside.record_decision("city-eoc", "warn", ["town"], now=first + 1)
    assert controller.decisions()[0].seq == record.seq == 1
    assert controller.decisions()[0].minute == pytest.approx(first + 1)
    key, _ = flood_copy
    assert Drill.open(folder / "participants", key).has_key
    alone = tmp_path / "handed-out"
    shutil.copytree(folder / "participants", alone)
    copy = Drill.open(alone)
    assert copy.roles == controller.roles and copy.targets == controller.targets
    assert sum(len(copy.inbox(r["id"])) for r in copy.roles) >= 1
    with pytest.raises(ConfigError, match="the key opens the drill folder"):
        Drill.open(alone, key)


def test_injects_are_released_once_at_their_time(running) -> None:
    controller, participant, _ = running
    injects = [i for i in controller.injects() if not i.followup_of]
    first = injects[0].minute
    assert controller.release_due(now=first - 0.5) == []
    released = controller.release_due(now=first)
    assert [i.id for i in released] == [i.id for i in injects if i.minute <= first]
    assert controller.release_due(now=first) == []           # not twice
    role = injects[0].recipient
    assert [r.id for r in participant.inbox(role)] == [
        i.id for i in released if i.recipient == role]


def _first_expecting(controller: Drill, action: str) -> Inject:
    return next(i for i in controller.injects()
                if not i.followup_of and i.expected and i.expected.action == action)


def test_a_contingency_inject_only_when_the_action_is_missing(running) -> None:
    controller, participant, _ = running
    forecast = _first_expecting(controller, "warn")
    opening = _first_expecting(controller, "open_shelter")
    # Warn every zone of the forecast in time; open no shelter.
    controller.release_due(now=forecast.minute)
    controller.record_decision("city-eoc", "evacuate", forecast.expected.targets,
                               now=forecast.minute + 5)
    controller.release_due(now=max(forecast.deadline, opening.deadline))
    inbox = {r.id: r for role in participant.roles for r in participant.inbox(role["id"])}
    assert f"{forecast.id}-F" not in inbox
    followup = inbox[f"{opening.id}-F"]
    assert followup.still_missing == opening.expected.targets
    log = controller.released()
    assert log[f"{forecast.id}-F"].released is False


def test_decisions_are_recorded_with_clock_and_wall_time(running) -> None:
    """The controllers' clock stamps a participant's decision from its wall time (with the
    key); without the key its minute is the drill time last announced (none yet: 0)."""
    controller, participant, folder = running
    first = participant.record_decision("city-eoc", "warn", "riverside, town", note="预案",
                                        now=30)
    second = controller.record_decision("shelters", "open_shelter", ["hill-school"], now=45,
                                        minute="40min")
    assert first.minute == 0 and first.at is None and first.targets == [
        "riverside", "town"]
    assert second.minute == 40 and second.seq == 2
    assert [d.minute for d in controller.decisions()] == [30, 40]
    assert [d.minute for d in participant.decisions()] == [0, 40]
    assert [d.seq for d in participant.decisions()] == [1, 2]
    assert first.wall_utc.startswith("1970-01-01T00:00:30")
    lines = (folder / "participants" / "decisions.jsonl").read_text(
        encoding="utf-8").splitlines()
    assert len(lines) == 2 and "预案" in lines[0]
    assert not {"minute", "speed", "end_minute"} & set(json.loads(lines[0]))


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
    before = (folder / "participants" / "decisions.jsonl").read_bytes()
    with pytest.raises(ConfigError) as caught:
        drill.record_decision(*args, now=20)
    assert f"decision: {field}: " in str(caught.value) and message in str(caught.value)
    assert (folder / "participants" / "decisions.jsonl").read_bytes() == before


@pytest.mark.parametrize(("minute", "now", "message"), [
    ("2h", 60, "2h is after the current drill time (1h)$"),
    (-5, 60, "expected a finite, non-negative duration"),
    ("soon", 60, "expected a duration"),
    (None, 10**9, "the drill has ended$"),
    ("40d", 10**9, "40d is after the current drill time (1d12h)$"),
])
def test_times_outside_the_drill_are_refused(running, minute, now, message) -> None:
    controller, _, folder = running
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        controller.record_decision("city-eoc", "warn", ["town"], minute=minute, now=now)
    assert not (folder / "participants" / "decisions.jsonl").exists()


@pytest.mark.parametrize(("minute", "message"), [
    ("1min", "1min is after the current drill time as announced (T+0, no message yet)"),
    ("40d", "40d is after the current drill time as announced (T+0, no message yet)"),
    (-5, "expected a finite, non-negative duration, got -5"),
])
def test_without_the_key_times_are_checked_against_what_was_announced(running, minute,
                                                                      message) -> None:
    """A participant cannot be told the drill clock (nor where the drill ends): a paper
    decision may be dated up to the drill time of the latest message, no later."""
    _, participant, folder = running
    with pytest.raises(ConfigError) as caught:
        participant.record_decision("city-eoc", "warn", ["town"], minute=minute, now=600)
    assert str(caught.value).endswith(message)
    assert not (folder / "participants" / "decisions.jsonl").exists()


def test_without_the_key_a_decision_may_be_dated_up_to_the_latest_message(running) -> None:
    controller, participant, _ = running
    first = min(i.minute for i in controller.injects())
    controller.release_due(now=first + 10)
    record = participant.record_decision("city-eoc", "warn", ["town"], minute=first,
                                         now=first + 20)
    assert record.minute == first and record.announced == first
    with pytest.raises(ConfigError, match=r"as announced \(T\+.*, the latest message\)$"):
        participant.record_decision("city-eoc", "warn", ["town"], minute=first + 1,
                                    now=first + 20)
    undated = participant.record_decision("city-eoc", "warn", ["riverside"], now=first + 30)
    assert undated.minute == first                        # what the participant knows
    assert [d.minute for d in controller.decisions()] == [first, first + 30]


def test_a_decision_after_the_end_is_refused_or_set_aside(running) -> None:
    """Once a controller has seen the end, participants are refused; one recorded before
    anybody noticed is kept but marked ``after_end`` (scoring sets it aside)."""
    controller, participant, _ = running
    end = controller.clock(now=0).end_minute
    late = participant.record_decision("city-eoc", "warn", ["town"], now=end + 5)
    assert late.seq == 1
    assert controller.decisions()[0].after_end and controller.decisions()[0].minute == end
    assert controller.clock(now=end + 6).ended                # publishes "ended"
    assert participant.clock().state == "ended"
    with pytest.raises(ConfigError, match="decision: time: the drill has ended$"):
        participant.record_decision("city-eoc", "warn", ["town"], now=end + 7)
    paper = participant.record_decision("city-eoc", "warn", ["riverside"], minute=0,
                                        now=end + 8)
    assert paper.minute == 0 and not controller.decisions()[1].after_end


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
    with open(folder / "participants" / "decisions.jsonl", "ab") as out:   # a crash mid-write
        out.write(b'{"seq": 2, "minute": 12, "role": "city-')
    assert [d.seq for d in participant.decisions()] == [1]
    record = participant.record_decision("city-eoc", "warn", ["riverside"], now=20)
    assert [d.targets for d in participant.decisions()] == [["town"], ["riverside"]]
    assert record.seq == 2


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
    assert sorted(d.seq for d in decisions) == list(range(1, 41))
    assert len({d.note for d in decisions}) == 40
