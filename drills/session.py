"""A drill in progress: one front object, :class:`Drill`, over its three parts — the clock
(drills/clock.py), the release of injects (drills/release.py) and the decision log
(drills/decisions.py).

All state lives in the drill folder, so a terminal (``drsim drill serve``), another terminal
(``drsim drill decide``) and a browser page can share one drill, and a crash loses nothing.
The folder has two parts (docs/drills.md, "Files and who may see them"):

**Controllers only** (``DIR/``, never handed out): ``packet.enc`` (the sealed packet),
``session.enc`` (the clock, encrypted) and ``control.jsonl`` (the controllers' log of releases).

**The participants' folder** (``DIR/participants/``, the only part participants are given;
shared with them while the drill runs): ``roles.json`` and ``targets.json`` (written at
sealing), ``status.json`` (the state, nothing else), ``<role>.jsonl`` (what each role has been
sent) and ``decisions.jsonl`` (the decisions). Writers hold the lock ``participants/.lock``.

**Blindness.** Without the key a drill shows no clock: the scenario's pace (speed), length
(end), start time and the minute now would tell the drawn scenario apart before any inject
(in the bundled drill one scenario runs at 60x for 72 h with its first inject near minute
700, the other at 5x for 4 h with injects from the start). Without the key :meth:`Drill.clock`
gives the state and the drill time *last announced* — the minute of the latest released
inject, which participants have already been told — and decisions are checked against what
participants know: the public id list (``participants/targets.json``), the state and the
latest announced time. Starting, pausing, resuming, changing speed, advancing, ending,
releasing injects and reading the MSEL need the key; with it, targets are checked against the
sealed scenario itself (the model's own validation of orders).

**Untrusted files.** Everything in the participants' folder may have been written by anyone
who has it: each line is validated when read, and a line that is not a valid record is left
out with a one-line reason (:meth:`Drill.rejected`), never raised on the controllers' side.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from drills.clock import Clock, DrillClock
from drills.decisions import DecisionLog, Moment
from drills.files import locked
from drills.packet import Inject, Message, Packet, Rejected, ReleaseRecord, TimedDecision
from drills.release import Release
from drills.seal import COMMITMENT, PACKET, PARTICIPANTS, key_cipher, open_packet
from sim.config import ConfigError
from sim.units import format_duration

__all__ = ["Clock", "Drill"]


class Drill:
    """A sealed drill, opened with or without its key (see the module docstring).

    ``Drill.open(folder, key)`` verifies the packet against the commitment when a key is given.
    ``folder`` is the drill folder, or — without the key — the participants' folder alone.
    Times default to now (``time.time()``); every method takes ``now`` (epoch seconds) for
    tests and replays.
    """

    def __init__(self, folder: Path, packet: Packet | None,
                 key: str | bytes | None = None, public: Path | None = None) -> None:
        self.folder = Path(folder)
        self.public = Path(public) if public is not None else self.folder / PARTICIPANTS
        self.packet = packet
        cipher = key_cipher(key) if key is not None else None
        self._roles = _read_roles(self.public / "roles.json")
        self._targets = _read_json(self.public / "targets.json")
        # The sealed scenario and spec, validated once (with the key).
        self.scenario = packet.sealed_scenario() if packet else None
        self.spec = packet.drill_spec() if packet else None
        self._clock = DrillClock(self.folder, self.public, cipher)
        self._release = Release(self.folder, self.public, [r["id"] for r in self._roles],
                                packet if cipher is not None else None)
        self._log = DecisionLog(self.public, self._targets, self.scenario)

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

    @property
    def has_key(self) -> bool:
        return self.packet is not None

    def _need_key(self, what: str) -> Packet:
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

    # --- the clock -------------------------------------------------------------------------

    def start(self, speed: float | None = None, now: float | None = None) -> Clock:
        """Start the drill clock at minute 0 (needs the key); if it already runs, keep it
        (and set ``speed`` if given, unless it has ended)."""
        packet = self._need_key("starting the drill")
        now = time.time() if now is None else now
        self._clock.start(speed, packet.style.speed, packet.start.isoformat(),
                          packet.end_minute, now)
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

    def _change(self, what: str, now: float | None, **changes: Any) -> Clock:
        self._need_key(what)
        now = time.time() if now is None else now
        self._clock.change(now, **changes)
        return self.clock(now)

    def end(self, now: float | None = None) -> Clock:
        """End the drill at the current minute (needs the key): the clock stops there for
        good, decisions without ``minute`` are refused from then on, and the drill may be
        scored. Ending an ended drill changes nothing."""
        self._need_key("ending the drill")
        now = time.time() if now is None else now
        self._clock.end(now)
        return self.clock(now)

    def clock(self, now: float | None = None) -> Clock:
        """The clock with the key; without it the state and the drill time last announced
        (``blind``: see :class:`drills.clock.Clock`)."""
        if not self.has_key:
            state = self._clock.public_state()
            minute, text = self._release.announced()
            return Clock(minute, text, math.nan, state in ("not started", "paused"),
                         state == "ended", math.nan, started=state != "not started",
                         blind=True)
        return self._clock.reading(time.time() if now is None else now)

    # --- injects ---------------------------------------------------------------------------

    def injects(self) -> list[Inject]:
        """The whole MSEL (controllers only: needs the key)."""
        return list(self._need_key("the inject list").msel)

    def released(self) -> dict[str, ReleaseRecord]:
        """Inject id -> the record of its release (with the key also of a contingency inject
        found unnecessary: ``released`` false)."""
        return self._release.released()

    def release_due(self, now: float | None = None) -> list[Inject]:
        """Move every inject whose time has come into its role's inbox (contingency injects
        only if their expected action is still missing at the deadline); return those
        released now."""
        self._need_key("releasing injects")
        now = time.time() if now is None else now
        with locked(self.public):
            state = self._clock.read()
            if state is None:
                return []
            decisions = [d for d in self._log.timed(state) if not d.after_end]
            out = self._release.due(state.minute(now), decisions, now)
            self._clock.publish(state, now)
        return out

    def inbox(self, role: str) -> list[Message]:
        """What ``role`` has been sent so far (released injects only)."""
        self.role(role)
        return self._release.inbox(role)

    # --- decisions -------------------------------------------------------------------------

    def decisions(self) -> list[TimedDecision]:
        """Every valid recorded decision, in order. With the key ``minute`` is the drill minute
        it was taken at (``at``, or the clock at its wall time) and ``after_end`` marks those
        recorded after the drill ended (set aside when scoring); without it ``minute`` is
        what participants know: ``at``, or the drill time last announced when it was
        recorded."""
        if self.has_key:
            return self._log.timed(self._clock.read())
        return self._log.as_announced()

    def rejected(self) -> list[Rejected]:
        """Lines of decisions.jsonl that are not valid decisions, each with why (left out of
        :meth:`decisions`, of the release of follow-ups and of the score)."""
        return self._log.read()[1]

    def record_decision(self, role: str, action: str, targets: list[str] | str,
                        note: str = "", minute: float | str | None = None,
                        now: float | None = None) -> TimedDecision:
        """Record a decision now (or at ``minute`` of the drill, not after the current drill
        time — without the key: not after the drill time last announced); check it first
        and raise :class:`ConfigError` naming the field on bad input, recording nothing.
        Returns the record as :meth:`decisions` gives it."""
        now = time.time() if now is None else now
        return self._log.record(self.role(role), action, targets, note, minute,
                                lambda: self._moment(now), now)

    def _moment(self, now: float) -> Moment:
        """Where the drill stands for a decision recorded at ``now`` (under the lock)."""
        announced, latest = self._release.announced()
        if self.has_key:
            state = self._clock.read()
            if state is None:
                raise ConfigError.single("decision", "time", "the drill has not started")
            current = state.minute(now)
            return Moment(current, state.ended(now),
                          f"the current drill time ({format_duration(current)})", announced)
        status = self._clock.public_state()
        if status == "not started":
            raise ConfigError.single("decision", "time", "the drill has not started")
        where = ("the current drill time as announced ("
                 + (f"T+{format_duration(announced)}, the latest message)" if latest
                    else "T+0, no message yet)"))
        return Moment(announced, status == "ended", where, announced)

    # --- a summary for displays ----------------------------------------------------------

    def status(self, now: float | None = None) -> dict[str, Any]:
        """Clock, counts and (with the key) released and pending injects and the next one:
        for a controller's display. Without the key: the blind clock and the number of
        decisions."""
        now = time.time() if now is None else now
        clock = self.clock(now)
        decisions, rejected = self._log.read()
        out: dict[str, Any] = {"clock": clock.as_dict(), "decisions": len(decisions),
                               "rejected": len(rejected)}
        if self.packet is not None:
            done = self.released()
            pending = [i for i in self.packet.msel if i.id not in done]
            out["released"] = sum(1 for r in done.values() if r.released)
            out["pending"] = len(pending)
            upcoming = [i for i in pending if not i.followup_of]
            out["next"] = upcoming[0] if upcoming else None
        return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError.single(str(path), "", "missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError.single(str(path), "", "not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigError.single(str(path), "", "expected a JSON object")
    return data


def _read_roles(path: Path) -> list[dict[str, Any]]:
    """The roles of roles.json (each with an id and its actions), else one clear line."""
    roles = _read_json(path).get("roles")
    if not (isinstance(roles, list) and roles and all(
            isinstance(r, dict) and isinstance(r.get("id"), str)
            and isinstance(r.get("actions"), list) for r in roles)):
        raise ConfigError.single(str(path), "roles", "expected a list of roles, each with an "
                                 "id and its actions (as written at sealing)")
    return roles
