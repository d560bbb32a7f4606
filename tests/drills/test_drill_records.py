"""Typed drill records: a packet sealed before them opens and dumps byte for byte; a packet
that is not one is one line; a participants' file line that is not a valid record is left out
with a one-line reason, and whatever the participants' files hold, the controllers' side
never raises."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drills.packet import Decision, Inject, Packet, TimelineEvent, read_records
from drills.session import Drill
from models.orders import ACTIONS
from sim.config import ConfigError

OLD_PACKET = Path(__file__).parent / "data" / "packet-v1-tiny-plume.json"


def test_a_packet_sealed_before_the_records_were_typed_opens_byte_for_byte() -> None:
    """The plaintext of the tiny-plume reference packet as drsim sealed it at commit 8b3005d."""
    raw = OLD_PACKET.read_bytes()
    packet = Packet.from_plaintext(raw, "packet.enc")
    assert packet.canonical() == raw                     # the commitment still holds
    assert isinstance(packet.msel[0], Inject) and isinstance(packet.timeline[0], TimelineEvent)
    assert packet.scenario.name == "tiny-plume" and packet.msel[0].id == "INJ-001"
    assert packet.baseline.kpis["warning_100pct_aegl2_min"] == float("inf")
    assert packet.sealed_scenario().name == "tiny-plume"
    assert packet.drill_spec().name == "tiny-drill"
    assert packet.start.utcoffset().total_seconds() == 8 * 3600


@pytest.mark.parametrize(("change", "field"), [
    (lambda p: p.update(format="drsim-drill-packet/9"), "format"),
    (lambda p: p.update(seed="abc"), "seed"),
    (lambda p: p.update(colour="red"), "colour"),
    (lambda p: p["msel"][0].update(minute=-1), "msel[0].minute"),
    (lambda p: p["msel"].append(dict(p["msel"][0])), "msel"),
    (lambda p: p["msel"][-1].update(followup_of="INJ-999"), "msel"),
])
def test_a_packet_that_is_not_one_is_refused_in_one_line(change, field: str) -> None:
    data = json.loads(OLD_PACKET.read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(ConfigError) as caught:
        Packet.from_plaintext(json.dumps(data).encode("utf-8"), "DIR/packet.enc")
    assert str(caught.value).startswith(f"DIR/packet.enc: {field}:")
    assert "\n" not in str(caught.value)


def _valid(seq: int = 1, **changes) -> dict:
    return {"seq": seq, "wall_utc": "1970-01-01T00:01:00.000+00:00", "wall": 60.0,
            "role": "city-eoc", "action": "warn", "targets": ["town"], "note": "",
            "at": None, "announced": 0.0, **changes}


@pytest.mark.parametrize(("line", "reason"), [
    (_valid(at="abc"), "at: Input should be a valid number"),
    (_valid(minute=5), "minute: unknown field"),              # the clock's, never the file's
    (_valid(action="launch"), "action: Input should be"),
    (_valid(targets="town"), "targets: Input should be a valid list"),
    (_valid(targets=[]), "targets: List should have at least 1 item"),
    (_valid(seq=0), "seq: Input should be greater than or equal to 1"),
    (_valid(at=float("nan")), "at: Input should be a finite number"),
    ({k: v for k, v in _valid().items() if k != "role"}, "role: required field is missing"),
    ([1, 2], "expected a JSON object"),
])
def test_a_bad_decision_line_is_rejected_with_its_reason(tmp_path: Path, line,
                                                         reason: str) -> None:
    path = tmp_path / "decisions.jsonl"
    text = json.dumps(_valid(1)) + "\n" + json.dumps(line) + "\n" + json.dumps(_valid(3))
    path.write_text(text + "\n{\"seq\": 4, \"ro", encoding="utf-8")     # and a torn last line
    good, bad = read_records(path, Decision, "participants/decisions.jsonl")
    assert [d.seq for d in good] == [1, 3]
    assert [r.line for r in bad] == [2, 4]
    assert bad[0].reason.startswith(reason), bad[0].reason
    assert bad[1].reason.startswith("not a JSON line")
    assert str(bad[0]).startswith("participants/decisions.jsonl:2: ")
    assert all("\n" not in str(r) for r in bad)


# --- the controllers' side never raises on what participants wrote --------------------------

_scalars = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats()
            | st.text(max_size=12))
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)
_decision_like = st.fixed_dictionaries({}, optional={
    "seq": st.integers(-2, 50) | _json,
    "wall_utc": st.sampled_from(["", "1970-01-01T00:00:30+00:00", "0001-01-01T00:00:00",
                                 "9999-12-31T23:59:59", "soon"]) | _json,
    "wall": st.floats() | st.integers(-10**30, 10**30) | _json,
    "role": st.sampled_from(["city-eoc", "fire-rescue", "mayor", ""]) | _json,
    "action": st.sampled_from([*ACTIONS, "launch"]) | _json,
    "targets": st.lists(st.sampled_from(["town", "riverside", "z22", "", "x" * 300]),
                        max_size=3) | _json,
    "note": st.text(max_size=20) | _json,
    "at": st.floats() | st.sampled_from(["95", "abc", "2h"]) | _json,
    "announced": st.floats() | _json,
    "minute": st.floats() | _json,
    "after_end": st.booleans() | _json,
})
_message_like = st.fixed_dictionaries({}, optional={
    "id": st.sampled_from(["INJ-001", "INJ-002-F", ""]) | _json,
    "minute": st.floats() | _json, "clock": st.text(max_size=8) | _json,
    "message": st.text(max_size=8) | _json})
_valid_line = st.builds(
    lambda seq, wall, at, role, action, targets: json.dumps(_valid(
        seq, wall=wall, at=at, role=role, action=action, targets=targets)).encode("utf-8"),
    st.integers(1, 60), st.none() | st.floats(-1e12, 1e12), st.none() | st.floats(0, 1e5),
    st.sampled_from(["city-eoc", "fire-rescue", "mayor"]), st.sampled_from(list(ACTIONS)),
    st.lists(st.sampled_from(["town", "riverside", "z22", "atlantis"]), min_size=1,
             max_size=3))
_lines = st.lists(
    _valid_line
    | _decision_like.map(lambda d: json.dumps(d).encode("utf-8"))
    | _json.map(lambda v: json.dumps(v).encode("utf-8"))
    | st.binary(max_size=30).map(lambda b: b.replace(b"\n", b" ")),
    max_size=8)


@pytest.fixture(scope="module")
def started(sealed_flood: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Drill, Drill, Path]:
    key, sealed = sealed_flood
    folder = tmp_path_factory.mktemp("untrusted") / "drill"
    shutil.copytree(sealed, folder)
    controller = Drill.open(folder, key)
    controller.start(speed=60, now=0.0)
    return controller, Drill.open(folder), folder


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(decision_lines=_lines,
       inbox_lines=st.lists(_message_like.map(lambda d: json.dumps(d).encode("utf-8")),
                            max_size=3),
       wall=st.floats(0, 10**6))
def test_whatever_the_participants_files_hold_the_controllers_side_never_raises(
        started, decision_lines: list[bytes], inbox_lines: list[bytes], wall: float) -> None:
    controller, participant, folder = started
    public = folder / "participants"
    (public / "decisions.jsonl").write_bytes(b"\n".join(decision_lines))
    with open(public / "city-eoc.jsonl", "ab") as inbox:    # released messages, and garbage
        inbox.write(b"\n" + b"\n".join(inbox_lines) + b"\n")
    lines = [line for line in decision_lines if line.strip()]
    decisions, rejected = controller.decisions(), controller.rejected()
    assert len(decisions) + len(rejected) == len(lines)
    assert all(r.reason and "\n" not in str(r) for r in rejected)
    assert all(d.minute >= 0 and d.after_end is not None for d in decisions)
    assert [d.seq for d in participant.decisions()] == [d.seq for d in decisions]
    controller.release_due(now=wall)
    status = controller.status(now=wall)
    assert status["decisions"] == len(decisions) and status["rejected"] == len(rejected)
    assert participant.clock().state in ("running", "ended")
    try:   # a decision may still be recorded (or be refused in one line)
        record = controller.record_decision("city-eoc", "warn", ["town"], now=wall)
    except ConfigError as exc:
        assert "\n" not in str(exc)
    else:
        assert record.seq > max([d.seq for d in decisions], default=0)


def test_a_bad_decision_line_does_not_stop_the_score(invoke, flood_copy) -> None:
    """Before the records were typed, ``"at": "abc"`` ended ``drsim drill score`` in a
    traceback. Now the line is left out, listed with its reason, and the rest is scored."""
    key, folder = flood_copy
    controller = Drill.open(folder, key)
    controller.start(speed=60, now=0.0)
    controller.record_decision("city-eoc", "evacuate", ["riverside"], now=60)
    with open(folder / "participants" / "decisions.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(_valid(2, at="abc")) + "\n")
        out.write("not json at all\n")
    result = invoke("drill", "score", folder, key, "--out", folder / "score")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert ("left out, not a valid decision: participants/decisions.jsonl:2: at: Input "
            "should be a valid number") in result.output
    saved = json.loads((folder / "score" / "score.json").read_text(encoding="utf-8"))
    assert [(r["line"], r["reason"][:20]) for r in saved["rejected"]] == [
        (2, "at: Input should be "), (3, "not a JSON line (cut")]
    assert [o["targets"] for o in saved["orders"]] == [["riverside"]]
    assert "participants/decisions.jsonl" in (folder / "score" / "report.html").read_text(
        encoding="utf-8")
