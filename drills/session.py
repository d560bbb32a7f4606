"""A drill in progress: its clock, the release of injects and the record of decisions.

All state lives in the drill folder, so a terminal (``drsim drill serve``), another terminal
(``drsim drill decide``) and a browser page can share one drill, and a crash loses nothing.
The folder has two parts (docs/drills.md, "Files and who may see them"):

**Controllers only** (``DIR/``, never handed out):

* ``session.enc`` — the clock: the sealed start, where the drill ends, its speed, whether it is
  paused and every change with its wall time. Encrypted with the drill key (Fernet), padded
  to whole kilobytes, replaced atomically on every change.
* ``control.jsonl`` — the controllers' log: each inject released (or a contingency inject
  found unnecessary), by id only.

**The participants' folder** (``DIR/participants/``, the only part participants are given;
shared with them while the drill runs):

* ``status.json`` — ``not started``, ``running``, ``paused`` or ``ended``: nothing else.
* ``<role>.jsonl`` — what each role has been sent: released injects only, without expected
  actions, objectives or deadlines.
* ``decisions.jsonl`` — the decisions, one JSON line each (wall time, role, action, targets,
  note, the ``--at`` drill minute if one was given, the drill time last announced), appended
  with flush + fsync under the lock ``participants/.lock``. The drill minute of a decision
  is worked out from its wall time and the clock's history, with the key: the file holds no
  clock reading participants could not already know.

**Blindness.** Without the key a drill shows no clock: the scenario's pace (speed), length
(end), start time and the minute now would tell the drawn scenario apart before any inject
(in the bundled drill the flood runs at 60x for 72 h with its first inject near minute 700,
the leak at 5x for 4 h with injects from the start). Without the key :meth:`Drill.clock`
gives the state and the drill time *last announced* — the minute of the latest released
inject, which participants have already been told — and decisions are checked against what
participants know: the public id list (``participants/targets.json``), the state and the
latest announced time. Starting, pausing, resuming, changing speed, advancing, ending,
releasing injects and reading the MSEL need the key; with it, targets are checked against the
sealed scenario itself (the model's own validation of orders).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from drills.files import append_line, dumps, locked, read_lines, write_file
from drills.injects import clock_text, missing_targets
from drills.seal import (
    COMMITMENT,
    PACKET,
    PARTICIPANTS,
    key_cipher,
    open_packet,
    packet_scenario,
    packet_spec,
)
from drills.targets import MODEL_ACTIONS, kind_of
from models.orders import ACTIONS
from sim.config import ConfigError, validate
from sim.units import format_duration, parse_duration

__all__ = ["Clock", "Drill", "STATES"]

SESSION = "session.enc"
STATUS = "status.json"
CONTROL = "control.jsonl"
DECISIONS = "decisions.jsonl"
STATES = ("not started", "running", "paused", "ended")
_SESSION_BLOCK = 1024   # session.enc's plaintext is padded to whole kilobytes
# What a participant sees of a released inject.
_PUBLIC_FIELDS = ("id", "minute", "clock", "source", "source_en", "mode", "mode_en",
                  "synopsis", "synopsis_en", "message", "message_en")


@dataclass(frozen=True)
class Clock:
    """The drill clock at one moment: ``minute`` since the scenario start (capped at the end),
    the clock time, speed (simulated minutes per wall minute) and state.

    ``blind`` (opened without the key): ``minute`` and ``clock`` are the drill time last
    announced (the latest released inject; 0 and "" before the first), ``speed`` and
    ``end_minute`` are NaN — the clock itself is the controllers'."""

    minute: float
    clock: str
    speed: float
    paused: bool
    ended: bool
    end_minute: float
    started: bool = True
    blind: bool = False

    @property
    def state(self) -> str:
        """``not started``, ``running``, ``paused`` or ``ended``."""
        if not self.started:
            return "not started"
        return "ended" if self.ended else ("paused" if self.paused else "running")

    def as_dict(self) -> dict[str, Any]:
        return {"minute": self.minute, "clock": self.clock, "speed": self.speed,
                "paused": self.paused, "ended": self.ended, "end_minute": self.end_minute,
                "started": self.started, "blind": self.blind, "state": self.state}


class Drill:
    """A sealed drill, opened with or without its key (see the module docstring).

    ``Drill.open(folder, key)`` verifies the packet against the commitment when a key is given.
    ``folder`` is the drill folder, or — without the key — the participants' folder alone.
    Times default to now (``time.time()``); every method takes ``now`` (epoch seconds) for
    tests and replays.
    """

    def __init__(self, folder: Path, packet: dict[str, Any] | None,
                 key: str | bytes | None = None, public: Path | None = None) -> None:
        self.folder = Path(folder)
        self.public = Path(public) if public is not None else self.folder / PARTICIPANTS
        self.packet = packet
        self._cipher: Fernet | None = key_cipher(key) if key is not None else None
        self._roles = self._read_json(self.public / "roles.json")["roles"]
        self._targets = self._read_json(self.public / "targets.json")
        self._scenario = packet_scenario(packet) if packet else None
        self._spec = packet_spec(packet) if packet else None

    @classmethod
    def open(cls, folder: str | Path, key: str | bytes | None = None) -> Drill:
        folder = Path(folder)
        if (folder / PARTICIPANTS / "roles.json").is_file():
            root: Path | None = folder
            public = folder / PARTICIPANTS
        elif (folder / "roles.json").is_file() and (folder / "targets.json").is_file():
            public = folder                                   # the participants' folder
            parent = folder.resolve().parent
            root = parent if ((parent / COMMITMENT).is_file()
                              and (parent / PARTICIPANTS).resolve() == folder.resolve()) else None
        else:
            raise ConfigError.single(str(folder), "", "not a sealed drill folder (no "
                                     "participants/ with roles.json and targets.json)")
        if key is None:
            return cls(root or public, None, None, public)
        if root is None or not (root / PACKET).exists():
            raise ConfigError.single(str(folder), "", "the key opens the drill folder that "
                                     "holds packet.enc, not a copy of the participants' folder")
        return cls(root, open_packet(root, key), key, public)

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any]:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError.single(str(path), "", "missing") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ConfigError.single(str(path), "", "not valid JSON") from None

    @property
    def has_key(self) -> bool:
        return self.packet is not None and self._cipher is not None

    def _need_key(self, what: str) -> dict[str, Any]:
        if not self.has_key:
            raise ConfigError.single(str(self.folder), "", f"{what} needs the drill key")
        assert self.packet is not None
        return self.packet

    # --- roles and targets ---------------------------------------------------------------

    @property
    def roles(self) -> list[dict[str, Any]]:
        """Roles as the participants know them: id, name, name_en, duties, actions."""
        return [dict(r) for r in self._roles]

    def role(self, role_id: str) -> dict[str, Any]:
        for role in self._roles:
            if role["id"] == role_id:
                return role
        raise ConfigError.single("decision", "role", f"unknown role {role_id!r}; expected one "
                                 f"of: {', '.join(r['id'] for r in self._roles)}")

    @property
    def targets(self) -> dict[str, list[str]]:
        """The public list of ids decisions may name, by kind (union over the library)."""
        return {k: list(v) for k, v in self._targets.items() if isinstance(v, list)}

    # --- the clock (controllers: session.enc) ----------------------------------------------

    def _session(self) -> dict[str, Any] | None:
        assert self._cipher is not None
        path = self.folder / SESSION
        if not path.exists():
            return None
        try:
            return json.loads(self._cipher.decrypt(path.read_bytes()).decode("utf-8"))
        except (InvalidToken, UnicodeDecodeError, json.JSONDecodeError):
            raise ConfigError.single(str(path), "", "cannot be decrypted with this key (changed, "
                                     "or from another drill)") from None

    def _save(self, state: dict[str, Any], now: float) -> None:
        assert self._cipher is not None
        text = json.dumps(state, sort_keys=True, separators=(",", ":"))
        text += " " * (-len(text) % _SESSION_BLOCK)      # its size tells nothing either
        write_file(self.folder / SESSION, self._cipher.encrypt(text.encode("utf-8")))
        self._publish(state, now)

    @staticmethod
    def _minute(state: dict[str, Any], now: float) -> float:
        """The drill minute at wall time ``now`` by the latest clock change."""
        wall, minute, speed, paused = state["segments"][-1]
        if not paused:
            minute += (now - wall) * speed / 60.0
        return min(max(minute, 0.0), state["end_minute"])

    @staticmethod
    def _minute_at(state: dict[str, Any], wall: float) -> float:
        """The drill minute at an earlier wall time, from the clock's history."""
        segment = None
        for candidate in state["segments"]:
            if candidate[0] <= wall:
                segment = candidate
        if segment is None:
            return 0.0
        at, minute, speed, paused = segment
        if not paused:
            minute += (wall - at) * speed / 60.0
        return min(max(minute, 0.0), state["end_minute"])

    def _state_name(self, state: dict[str, Any] | None, now: float) -> str:
        if state is None:
            return "not started"
        if self._minute(state, now) >= state["end_minute"]:
            return "ended"
        return "paused" if state["segments"][-1][3] else "running"

    def _publish(self, state: dict[str, Any] | None, now: float) -> None:
        """Tell the participants' folder the state (only that), when it changed."""
        name = self._state_name(state, now)
        if name != self._public_state():
            write_file(self.public / STATUS, dumps({"format": "drsim-drill-status/1",
                                                    "state": name}))

    def _public_state(self) -> str:
        path = self.public / STATUS
        if not path.exists():
            return "not started"
        state = self._read_json(path).get("state")
        return state if state in STATES else "not started"

    def _announced(self) -> tuple[float, str]:
        """The drill time last announced: minute and clock of the latest released inject."""
        latest = (0.0, "")
        for role in self._roles:
            for record in read_lines(self._inbox_path(role["id"])):
                minute = record.get("minute")
                if isinstance(minute, int | float) and minute >= latest[0]:
                    latest = (float(minute), str(record.get("clock", "")))
        return latest

    def start(self, speed: float | None = None, now: float | None = None) -> Clock:
        """Start the drill clock at minute 0 (needs the key); if it already runs, keep it
        (and set ``speed`` if given, unless it has ended)."""
        packet = self._need_key("starting the drill")
        now = time.time() if now is None else now
        with locked(self.public):
            state = self._session()
            if state is None:
                speed = packet["style"]["speed"] if speed is None else speed
                self._check_speed(speed)
                state = {"format": "drsim-drill-session/2", "started_wall": now,
                         "started_utc": _utc(now), "start": packet["start"],
                         "end_minute": float(packet["end_minute"]),
                         "segments": [[now, 0.0, float(speed), False]]}
                self._save(state, now)
            elif speed is not None and self._minute(state, now) < state["end_minute"]:
                self._rebase(state, now, speed=speed)
        return self.clock(now)

    def _check_speed(self, speed: float) -> None:
        if not (isinstance(speed, int | float) and math.isfinite(speed) and speed > 0):
            raise ConfigError.single("--speed", "", f"expected a speed > 0 (simulated minutes "
                                     f"per wall minute), got {speed!r}")

    def _rebase(self, state: dict[str, Any], now: float, **changes: Any) -> None:
        _, _, speed, paused = state["segments"][-1]
        minute = self._minute(state, now)
        if "speed" in changes:
            self._check_speed(changes["speed"])
            speed = float(changes["speed"])
        if "paused" in changes:
            paused = bool(changes["paused"])
        if "advance" in changes:
            minute = min(state["end_minute"], minute + changes["advance"])
        if "end" in changes:
            state["end_minute"] = minute
            state["ended_wall"], state["ended_utc"] = now, _utc(now)
            paused = True
        state["segments"].append([now, minute, speed, paused])
        self._save(state, now)

    def _change(self, what: str, now: float | None, **changes: Any) -> Clock:
        self._need_key(what)
        now = time.time() if now is None else now
        with locked(self.public):
            state = self._session()
            if state is None:
                raise ConfigError.single(str(self.folder), "", "the drill has not started")
            self._rebase(state, now, **changes)
        return self.clock(now)

    def pause(self, now: float | None = None) -> Clock:
        """Pause the drill clock (needs the key)."""
        return self._change("pausing the drill", now, paused=True)

    def resume(self, now: float | None = None) -> Clock:
        """Resume the drill clock (needs the key)."""
        return self._change("resuming the drill", now, paused=False)

    def set_speed(self, speed: float, now: float | None = None) -> Clock:
        """Change the speed (simulated minutes per wall minute; needs the key)."""
        return self._change("changing the speed", now, speed=speed)

    def advance(self, minutes: float, now: float | None = None) -> Clock:
        """Jump the clock forward (a tabletop skipping a quiet spell; needs the key)."""
        self._need_key("advancing the clock")
        if not minutes > 0:
            raise ConfigError.single("advance", "", "expected a duration > 0")
        return self._change("advancing the clock", now, advance=float(minutes))

    def end(self, now: float | None = None) -> Clock:
        """End the drill at the current minute (needs the key): the clock stops there for
        good, decisions without ``minute`` are refused from then on, and the drill may be
        scored. Ending an ended drill changes nothing."""
        self._need_key("ending the drill")
        now = time.time() if now is None else now
        with locked(self.public):
            state = self._session()
            if state is None:
                raise ConfigError.single(str(self.folder), "", "the drill has not started")
            if self._minute(state, now) < state["end_minute"]:
                self._rebase(state, now, end=True)
            else:
                self._publish(state, now)
        return self.clock(now)

    def clock(self, now: float | None = None) -> Clock:
        """The clock with the key; without it the state and the drill time last announced
        (``blind``: see :class:`Clock`)."""
        if not self.has_key:
            state = self._public_state()
            minute, text = self._announced()
            return Clock(minute, text, math.nan, state in ("not started", "paused"),
                         state == "ended", math.nan, started=state != "not started",
                         blind=True)
        now = time.time() if now is None else now
        state = self._session()
        if state is None:
            return Clock(0.0, "", 0.0, True, False, math.nan, started=False)
        self._publish(state, now)
        minute = self._minute(state, now)
        start = datetime.fromisoformat(state["start"]).replace(tzinfo=None)
        return Clock(minute, clock_text(start, minute), state["segments"][-1][2],
                     state["segments"][-1][3], minute >= state["end_minute"],
                     state["end_minute"])

    # --- injects -------------------------------------------------------------------------

    def injects(self) -> list[dict[str, Any]]:
        """The whole MSEL (controllers only: needs the key)."""
        return [dict(i) for i in self._need_key("the inject list")["msel"]]

    def released(self) -> dict[str, dict[str, Any]]:
        """Inject id -> the control log record of its release (or, with the key, of a
        contingency inject found unnecessary: ``released`` false)."""
        done = ({r["inject"]: r for r in read_lines(self.folder / CONTROL)}
                if self.has_key else {})
        for role in self._roles:
            for record in read_lines(self._inbox_path(role["id"])):
                done.setdefault(record.get("id", ""), {"inject": record.get("id"),
                                                       "released": True})
        return done

    def _inbox_path(self, role_id: str) -> Path:
        return self.public / f"{role_id}.jsonl"

    def release_due(self, now: float | None = None) -> list[dict[str, Any]]:
        """Move every inject whose time has come into its role's inbox (contingency injects
        only if their expected action is still missing at the deadline); return those
        released now."""
        packet = self._need_key("releasing injects")
        now = time.time() if now is None else now
        out = []
        with locked(self.public):
            state = self._session()
            if state is None:
                return []
            minute = self._minute(state, now)
            done = self.released()
            decisions = [d for d in self._resolve(state) if not d["after_end"]]
            by_id = {i["id"]: i for i in packet["msel"]}
            for inject in packet["msel"]:
                if inject["id"] in done or inject["minute"] > minute + 1e-9:
                    continue
                record = {"inject": inject["id"], "minute": minute,
                          "wall_utc": _utc(now), "released": True}
                public = {k: inject[k] for k in _PUBLIC_FIELDS}
                if inject["followup_of"]:
                    parent = by_id[inject["followup_of"]]
                    missing = missing_targets(parent["expected"], decisions, parent["deadline"])
                    if not missing:
                        append_line(self.folder / CONTROL, {**record, "released": False})
                        continue
                    public["still_missing"] = missing
                    record["still_missing"] = missing
                public["released_wall_utc"] = record["wall_utc"]
                append_line(self._inbox_path(inject["recipient"]), public)
                append_line(self.folder / CONTROL, record)
                out.append({**inject, **public})
            self._publish(state, now)
        return out

    def inbox(self, role: str) -> list[dict[str, Any]]:
        """What ``role`` has been sent so far (released injects only)."""
        self.role(role)
        return read_lines(self._inbox_path(role))

    # --- decisions -----------------------------------------------------------------------

    def _records(self) -> list[dict[str, Any]]:
        return read_lines(self.public / DECISIONS)

    def _resolve(self, state: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The records with their drill minute from the clock's history (with the key), and
        ``after_end``: recorded, without ``--at``, once the drill had ended."""
        out = []
        for record in self._records():
            at = record.get("at")
            if at is not None:
                minute, late = float(at), False
            elif state is None:
                minute, late = 0.0, False
            else:
                minute = self._minute_at(state, _wall(record))
                late = minute >= state["end_minute"] - 1e-9
            out.append({**record, "minute": round(minute, 3), "after_end": late})
        return out

    def decisions(self) -> list[dict[str, Any]]:
        """Every recorded decision, in order. With the key ``minute`` is the drill minute it
        was taken at (``at``, or the clock at its wall time) and ``after_end`` marks those
        recorded after the drill ended (set aside when scoring); without it ``minute`` is
        what participants know: ``at``, or the drill time last announced when it was
        recorded."""
        if self.has_key:
            return self._resolve(self._session())
        return [{**r, "minute": r["at"] if r.get("at") is not None else r.get("announced", 0.0)}
                for r in self._records()]

    def record_decision(self, role: str, action: str, targets: list[str] | str,
                        note: str = "", minute: float | str | None = None,
                        now: float | None = None) -> dict[str, Any]:
        """Record a decision now (or at ``minute`` of the drill, not after the current drill
        time — without the key: not after the drill time last announced); check it first
        and raise :class:`ConfigError` naming the field on bad input, recording nothing.
        Returns the record as :meth:`decisions` gives it."""
        now = time.time() if now is None else now
        info = self.role(role)
        if action not in ACTIONS:
            raise ConfigError.single("decision", "action", f"unknown action {action!r}; "
                                     f"expected one of: {', '.join(ACTIONS)}")
        if action not in info["actions"]:
            raise ConfigError.single("decision", "action", f"role {role!r} may not decide "
                                     f"{action!r} (it may: {', '.join(info['actions'])})")
        if isinstance(targets, str):
            targets = [t.strip() for t in targets.split(",")]
        targets = [t for t in dict.fromkeys(str(t).strip() for t in targets) if t]
        if not targets:
            raise ConfigError.single("decision", "targets", "name at least one target id")
        if not isinstance(note, str) or len(note) > 2000:
            raise ConfigError.single("decision", "note", "expected text of at most 2000 "
                                     "characters")
        at = None if minute is None else _minutes(minute)
        with locked(self.public):
            announced, latest = self._announced()
            if self.has_key:
                state = self._session()
                if state is None:
                    raise ConfigError.single("decision", "time", "the drill has not started")
                current = self._minute(state, now)
                ended = current >= state["end_minute"]
                where = f"the current drill time ({format_duration(current)})"
            else:
                status = self._public_state()
                if status == "not started":
                    raise ConfigError.single("decision", "time", "the drill has not started")
                current, ended = announced, status == "ended"
                where = ("the current drill time as announced ("
                         + (f"T+{format_duration(current)}, the latest message)" if latest
                            else "T+0, no message yet)"))
            if at is not None and at > current + 1e-9:
                raise ConfigError.single("decision", "time", f"{format_duration(at)} is after "
                                         f"{where}")
            if at is None and ended:
                raise ConfigError.single("decision", "time", "the drill has ended")
            self._check_targets(action, targets, current if at is None else at)
            record = {"seq": len(self._records()) + 1, "wall_utc": _utc(now), "wall": now,
                      "role": role, "action": action, "targets": targets, "note": note,
                      "at": None if at is None else round(at, 3),
                      "announced": round(announced, 3)}
            append_line(self.public / DECISIONS, record)
        if self.has_key:
            return {**record, "minute": round(current if at is None else at, 3),
                    "after_end": False}
        return {**record, "minute": record["announced"] if at is None else record["at"]}

    def _check_targets(self, action: str, targets: list[str], at: float) -> None:
        kind = kind_of(action)
        if self._scenario is not None:
            self._check_sealed(action, targets, at)
            return
        known = set(self._targets.get(kind, []))
        unknown = [t for t in targets if t not in known]
        if unknown:
            raise ConfigError.single("decision", "targets", f"unknown {kind} {unknown[0]!r} "
                                     "(see participants/targets.json)")
        if action not in self._targets.get("actions", ACTIONS):
            raise ConfigError.single("decision", "action", f"no scenario of this drill applies "
                                     f"{action!r}")
        if action in ("mobilize_team", "request_team"):
            allowed = self._targets.get("team_actions", {})
            wrong = [t for t in targets if action not in allowed.get(t, [action])]
            if wrong:
                other = "request_team" if action == "mobilize_team" else "mobilize_team"
                raise ConfigError.single("decision", "targets", f"team {wrong[0]!r} is not "
                                         f"named by {action}: use {other}")

    def _check_sealed(self, action: str, targets: list[str], at: float) -> None:
        """The sealed scenario's own validation of this one order."""
        scenario = self._scenario
        assert scenario is not None
        if action not in MODEL_ACTIONS.get(scenario.model, ACTIONS):
            raise ConfigError.single("decision", "action", f"{action!r} does not apply to this "
                                     "drill's scenario")
        problem = order_problem(scenario, action, targets, at)
        if problem is not None:
            raise ConfigError.single("decision", "targets", problem)

    # --- a summary for displays ----------------------------------------------------------

    def status(self, now: float | None = None) -> dict[str, Any]:
        """Clock, counts and (with the key) released and pending injects and the next one:
        for a controller's display. Without the key: the blind clock and the number of
        decisions."""
        now = time.time() if now is None else now
        clock = self.clock(now)
        out: dict[str, Any] = {"clock": clock.as_dict(), "decisions": len(self._records())}
        if self.has_key:
            assert self.packet is not None
            done = self.released()
            pending = [i for i in self.packet["msel"] if i["id"] not in done]
            out["released"] = sum(1 for r in done.values() if r.get("released", True))
            out["pending"] = len(pending)
            upcoming = [i for i in pending if not i["followup_of"]]
            out["next"] = upcoming[0] if upcoming else None
        return out


def order_problem(scenario: Any, action: str, targets: list[str], at: float) -> str | None:
    """Why the sealed scenario's model would reject the order (action, targets, at), or None.
    Uses the scenario class's own validation of its ``orders`` section."""
    data = scenario.model_dump(mode="json")
    data["orders"] = {"replaces_plan": True,
                      "orders": [{"at": at, "action": action, "targets": targets}]}
    try:
        validate(type(scenario), data, "decision")
    except ConfigError as exc:
        return exc.problems[0].message
    return None


def _minutes(value: float | str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError.single("decision", "time", str(exc)) from None


def _utc(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")


def _wall(record: dict[str, Any]) -> float:
    """A decision's wall time (epoch seconds)."""
    wall = record.get("wall")
    if isinstance(wall, int | float):
        return float(wall)
    try:
        return datetime.fromisoformat(str(record.get("wall_utc"))).timestamp()
    except ValueError:
        return math.inf
