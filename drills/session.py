"""A drill in progress: its clock, the release of injects and the record of decisions.

All state lives in the drill folder, so a terminal (``drsim drill serve``), another terminal
(``drsim drill decide``) and a browser page can share one drill, and a crash loses nothing:

* ``session.json`` — the clock: when it started, its speed, whether it is paused, where it ends;
  replaced atomically on every change.
* ``control.jsonl`` — the controllers' log: each inject released (or a contingency inject found
  unnecessary), by id only.
* ``participants/<role>.jsonl`` — what each role has been sent: released injects only, without
  expected actions, objectives or deadlines.
* ``decisions.jsonl`` — the decisions, one JSON line each (wall time, drill minute, role,
  action, targets, note), appended with flush + fsync under the folder's lock.

Releasing injects and starting the clock need the key (the injects are in the encrypted
packet); recording decisions, reading an inbox and pausing do not. Without the key, targets are
checked against the public list (``participants/targets.json``); with it, against the sealed
scenario itself (the model's own validation of orders).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drills.files import append_line, dumps, locked, read_lines, write_file
from drills.injects import clock_text, missing_targets
from drills.seal import COMMITMENT, PARTICIPANTS, open_packet, packet_scenario, packet_spec
from drills.targets import MODEL_ACTIONS, kind_of
from models.orders import ACTIONS
from sim.config import ConfigError, validate
from sim.units import format_duration, parse_duration

__all__ = ["Clock", "Drill"]

SESSION = "session.json"
CONTROL = "control.jsonl"
DECISIONS = "decisions.jsonl"
# What a participant sees of a released inject.
_PUBLIC_FIELDS = ("id", "minute", "clock", "source", "source_en", "mode", "mode_en",
                  "synopsis", "synopsis_en", "message", "message_en")


@dataclass(frozen=True)
class Clock:
    """The drill clock at one moment: ``minute`` since the scenario start (capped at the end),
    the clock time, speed (simulated minutes per wall minute) and state."""

    minute: float
    clock: str
    speed: float
    paused: bool
    ended: bool
    end_minute: float
    started: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"minute": self.minute, "clock": self.clock, "speed": self.speed,
                "paused": self.paused, "ended": self.ended, "end_minute": self.end_minute,
                "started": self.started}


class Drill:
    """A sealed drill folder, opened with or without its key (see the module docstring).

    ``Drill.open(folder, key)`` verifies the packet against the commitment when a key is given.
    Times default to now (``time.time()``); every method takes ``now`` (epoch seconds) for
    tests and replays.
    """

    def __init__(self, folder: Path, packet: dict[str, Any] | None) -> None:
        self.folder = folder
        self.packet = packet
        self._roles = self._read_json(PARTICIPANTS + "/roles.json")["roles"]
        self._targets = self._read_json(PARTICIPANTS + "/targets.json")
        self._scenario = packet_scenario(packet) if packet else None
        self._spec = packet_spec(packet) if packet else None

    @classmethod
    def open(cls, folder: str | Path, key: str | bytes | None = None) -> Drill:
        folder = Path(folder)
        if not (folder / COMMITMENT).exists() or not (folder / PARTICIPANTS).is_dir():
            raise ConfigError.single(str(folder), "", "not a sealed drill folder (no "
                                     "commitment.json or participants/)")
        packet = open_packet(folder, key) if key is not None else None
        return cls(folder, packet)

    def _read_json(self, name: str) -> dict[str, Any]:
        path = self.folder / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError.single(str(path), "", "missing") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ConfigError.single(str(path), "", "not valid JSON") from None

    @property
    def has_key(self) -> bool:
        return self.packet is not None

    def _need_key(self, what: str) -> dict[str, Any]:
        if self.packet is None:
            raise ConfigError.single(str(self.folder), "", f"{what} needs the drill key")
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

    # --- the clock -----------------------------------------------------------------------

    def _session(self) -> dict[str, Any] | None:
        path = self.folder / SESSION
        if not path.exists():
            return None
        return self._read_json(SESSION)

    def _save(self, state: dict[str, Any]) -> None:
        write_file(self.folder / SESSION, dumps(state))

    @staticmethod
    def _minute(state: dict[str, Any], now: float) -> float:
        minute = state["anchor_minute"]
        if not state["paused"]:
            minute += (now - state["anchor_wall"]) * state["speed"] / 60.0
        return min(max(minute, 0.0), state["end_minute"])

    def start(self, speed: float | None = None, now: float | None = None) -> Clock:
        """Start the drill clock at minute 0 (needs the key); if it already runs, keep it
        (and set ``speed`` if given)."""
        packet = self._need_key("starting the drill")
        now = time.time() if now is None else now
        with locked(self.folder):
            state = self._session()
            if state is None:
                speed = packet["style"]["speed"] if speed is None else speed
                self._check_speed(speed)
                state = {"format": "drsim-drill-session/1", "started_wall": now,
                         "started_utc": datetime.fromtimestamp(now, UTC).isoformat(
                             timespec="seconds"),
                         "anchor_wall": now, "anchor_minute": 0.0, "speed": float(speed),
                         "paused": False, "end_minute": float(packet["end_minute"]),
                         "start": packet["start"]}
                self._save(state)
            elif speed is not None:
                self._rebase(state, now, speed=speed)
        return self.clock(now)

    def _check_speed(self, speed: float) -> None:
        if not (isinstance(speed, int | float) and math.isfinite(speed) and speed > 0):
            raise ConfigError.single("--speed", "", f"expected a speed > 0 (simulated minutes "
                                     f"per wall minute), got {speed!r}")

    def _rebase(self, state: dict[str, Any], now: float, **changes: Any) -> None:
        state["anchor_minute"] = self._minute(state, now)
        state["anchor_wall"] = now
        if "speed" in changes:
            self._check_speed(changes["speed"])
            state["speed"] = float(changes["speed"])
        if "paused" in changes:
            state["paused"] = bool(changes["paused"])
        if "advance" in changes:
            state["anchor_minute"] = min(state["end_minute"],
                                         state["anchor_minute"] + changes["advance"])
        self._save(state)

    def _change(self, now: float | None, **changes: Any) -> Clock:
        now = time.time() if now is None else now
        with locked(self.folder):
            state = self._session()
            if state is None:
                raise ConfigError.single(str(self.folder), "", "the drill has not started")
            self._rebase(state, now, **changes)
        return self.clock(now)

    def pause(self, now: float | None = None) -> Clock:
        return self._change(now, paused=True)

    def resume(self, now: float | None = None) -> Clock:
        return self._change(now, paused=False)

    def set_speed(self, speed: float, now: float | None = None) -> Clock:
        return self._change(now, speed=speed)

    def advance(self, minutes: float, now: float | None = None) -> Clock:
        """Jump the clock forward (a tabletop skipping a quiet spell)."""
        if not minutes > 0:
            raise ConfigError.single("advance", "", "expected a duration > 0")
        return self._change(now, advance=float(minutes))

    def clock(self, now: float | None = None) -> Clock:
        now = time.time() if now is None else now
        state = self._session()
        if state is None:
            return Clock(0.0, "", 0.0, True, False, math.nan, started=False)
        minute = self._minute(state, now)
        start = datetime.fromisoformat(state["start"]).replace(tzinfo=None)
        return Clock(minute, clock_text(start, minute), state["speed"], state["paused"],
                     minute >= state["end_minute"], state["end_minute"])

    # --- injects -------------------------------------------------------------------------

    def injects(self) -> list[dict[str, Any]]:
        """The whole MSEL (controllers only: needs the key)."""
        return [dict(i) for i in self._need_key("the inject list")["msel"]]

    def released(self) -> dict[str, dict[str, Any]]:
        """Inject id -> the control log record of its release (or of a contingency inject
        found unnecessary: ``released`` false)."""
        done = {r["inject"]: r for r in read_lines(self.folder / CONTROL)}
        for role in self._roles:
            for record in read_lines(self._inbox_path(role["id"])):
                done.setdefault(record.get("id", ""), {"inject": record.get("id"),
                                                       "released": True})
        return done

    def _inbox_path(self, role_id: str) -> Path:
        return self.folder / PARTICIPANTS / f"{role_id}.jsonl"

    def release_due(self, now: float | None = None) -> list[dict[str, Any]]:
        """Move every inject whose time has come into its role's inbox (contingency injects
        only if their expected action is still missing at the deadline); return those
        released now."""
        packet = self._need_key("releasing injects")
        now = time.time() if now is None else now
        out = []
        with locked(self.folder):
            state = self._session()
            if state is None:
                return []
            minute = self._minute(state, now)
            done = self.released()
            decisions = self.decisions()
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
        return out

    def inbox(self, role: str) -> list[dict[str, Any]]:
        """What ``role`` has been sent so far (released injects only)."""
        self.role(role)
        return read_lines(self._inbox_path(role))

    # --- decisions -----------------------------------------------------------------------

    def decisions(self) -> list[dict[str, Any]]:
        """Every recorded decision, in order."""
        return read_lines(self.folder / DECISIONS)

    def record_decision(self, role: str, action: str, targets: list[str] | str,
                        note: str = "", minute: float | str | None = None,
                        now: float | None = None) -> dict[str, Any]:
        """Record a decision now (or at ``minute`` of the drill, not later than now); check
        it first and raise :class:`ConfigError` naming the field on bad input, recording
        nothing."""
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
        with locked(self.folder):
            state = self._session()
            if state is None:
                raise ConfigError.single("decision", "time", "the drill has not started")
            current = self._minute(state, now)
            at = current if minute is None else _minutes(minute)
            if not 0 <= at <= state["end_minute"]:
                raise ConfigError.single("decision", "time", f"{format_duration(at)} is outside "
                                         f"the drill (0 to {format_duration(state['end_minute'])})")
            if at > current + 1e-9:
                raise ConfigError.single("decision", "time", f"{format_duration(at)} is later "
                                         f"than the drill clock ({format_duration(current)})")
            if at >= state["end_minute"] and minute is None and current >= state["end_minute"]:
                raise ConfigError.single("decision", "time", "the drill has ended (at "
                                         f"{format_duration(state['end_minute'])})")
            self._check_targets(action, targets, at)
            record = {"seq": len(self.decisions()) + 1, "wall_utc": _utc(now),
                      "minute": round(at, 3), "role": role, "action": action,
                      "targets": targets, "note": note}
            append_line(self.folder / DECISIONS, record)
        return record

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
        """Clock, counts and (with the key) the next inject: for a controller's display."""
        now = time.time() if now is None else now
        clock = self.clock(now)
        out: dict[str, Any] = {"clock": clock.as_dict(), "decisions": len(self.decisions())}
        if self.packet is not None:
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
