"""The drill clock: start, pause, resume, change speed, jump ahead, end; the drill minute at
any wall time.

The clock lives in ``session.enc`` beside the packet: the sealed start, where the drill ends,
its speed, whether it is paused and every change with its wall time (``segments``: wall time,
drill minute, speed, paused from then on). It is encrypted with the drill key (Fernet), padded to
whole kilobytes (its size tells nothing either) and replaced atomically on every change. The
participants' folder is told the state only (``participants/status.json``: not started,
running, paused or ended), never a time: see drills/session.py, "Blindness".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet, InvalidToken
from pydantic import Field

from drills.files import locked
from drills.packet import Record
from sim.config import ConfigError, validate
from sim.io import write_file, write_json

__all__ = ["Clock", "ClockState", "DrillClock", "STATES", "clock_text", "utc_text"]

SESSION = "session.enc"
STATUS = "status.json"
STATES = ("not started", "running", "paused", "ended")
_SESSION_BLOCK = 1024   # session.enc's plaintext is padded to whole kilobytes


def clock_text(start: datetime, minute: float) -> str:
    """Clock time of drill ``minute`` (China time), e.g. ``2026-07-14 05:19``."""
    return (start + timedelta(minutes=float(minute))).strftime("%Y-%m-%d %H:%M")


def utc_text(now: float) -> str:
    """Wall time ``now`` (epoch seconds) as UTC text with milliseconds."""
    return datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")


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


Segment = tuple[float, float, float, bool]   # from wall time: drill minute, speed, paused


class ClockState(Record):
    """What ``session.enc`` holds (format ``drsim-drill-session/2``)."""

    format: Literal["drsim-drill-session/2"] = "drsim-drill-session/2"
    started_wall: float
    started_utc: str
    start: str = Field(description="The sealed start (ISO time, China).")
    end_minute: float = Field(ge=0)
    segments: tuple[Segment, ...] = Field(min_length=1)
    ended_wall: float | None = None
    ended_utc: str | None = None

    def minute(self, now: float) -> float:
        """The drill minute at wall time ``now`` by the latest change."""
        wall, minute, speed, paused = self.segments[-1]
        if not paused:
            minute += (now - wall) * speed / 60.0
        return min(max(minute, 0.0), self.end_minute)

    def minute_at(self, wall: float) -> float:
        """The drill minute at an earlier wall time, from the clock's history."""
        segment = None
        for candidate in self.segments:
            if candidate[0] <= wall:
                segment = candidate
        if segment is None:
            return 0.0
        at, minute, speed, paused = segment
        if not paused:
            minute += (wall - at) * speed / 60.0
        return min(max(minute, 0.0), self.end_minute)

    def ended(self, now: float) -> bool:
        return self.minute(now) >= self.end_minute

    def state(self, now: float) -> str:
        if self.ended(now):
            return "ended"
        return "paused" if self.segments[-1][3] else "running"

    def rebased(self, now: float, *, speed: float | None = None, paused: bool | None = None,
                advance: float = 0.0, end: bool = False) -> ClockState:
        """The state after a change at ``now``: a new segment from the minute now."""
        _, _, old_speed, old_paused = self.segments[-1]
        minute = min(self.end_minute, self.minute(now) + advance)
        changes: dict[str, Any] = {}
        paused = old_paused if paused is None else paused
        if end:
            changes.update(end_minute=minute, ended_wall=now, ended_utc=utc_text(now))
            paused = True
        segment = (now, minute, old_speed if speed is None else float(speed), paused)
        return self.model_copy(update={**changes, "segments": (*self.segments, segment)})

    def plaintext(self) -> bytes:
        text = json.dumps(self.model_dump(mode="json", exclude_none=True), sort_keys=True,
                          separators=(",", ":"))
        return (text + " " * (-len(text) % _SESSION_BLOCK)).encode("utf-8")


def check_speed(speed: float) -> float:
    """A valid speed (simulated minutes per wall minute), else :class:`ConfigError`."""
    if not (isinstance(speed, int | float) and math.isfinite(speed) and speed > 0):
        raise ConfigError.single("--speed", "", f"expected a speed > 0 (simulated minutes "
                                 f"per wall minute), got {speed!r}")
    return float(speed)


class DrillClock:
    """The clock of one drill folder. Reading or changing it needs the cipher (the key);
    :meth:`public_state` (status.json) does not."""

    def __init__(self, folder: Path, public: Path, cipher: Fernet | None) -> None:
        self.folder, self.public, self._cipher = Path(folder), Path(public), cipher

    # --- session.enc ------------------------------------------------------------------------

    def read(self) -> ClockState | None:
        """The clock's state (None before the start)."""
        assert self._cipher is not None
        path = self.folder / SESSION
        if not path.exists():
            return None
        try:
            data = json.loads(self._cipher.decrypt(path.read_bytes()).decode("utf-8"))
        except (InvalidToken, UnicodeDecodeError, json.JSONDecodeError):
            raise ConfigError.single(str(path), "", "cannot be decrypted with this key (changed, "
                                     "or from another drill)") from None
        return validate(ClockState, data, str(path))

    def _save(self, state: ClockState, now: float) -> None:
        assert self._cipher is not None
        write_file(self.folder / SESSION, self._cipher.encrypt(state.plaintext()))
        self.publish(state, now)

    def start(self, speed: float | None, sealed_speed: float, start: str, end_minute: float,
              now: float) -> None:
        """Start at minute 0 with ``speed`` (default: the sealed speed); if it already runs,
        keep it (and set ``speed`` if given, unless it has ended)."""
        with locked(self.public):
            state = self.read()
            if state is None:
                first = check_speed(sealed_speed if speed is None else speed)
                self._save(ClockState(started_wall=now, started_utc=utc_text(now), start=start,
                                      end_minute=float(end_minute),
                                      segments=((now, 0.0, first, False),)), now)
            elif speed is not None and not state.ended(now):
                self._save(state.rebased(now, speed=check_speed(speed)), now)

    def change(self, now: float, *, speed: float | None = None, paused: bool | None = None,
               advance: float = 0.0) -> None:
        """Pause, resume, change speed or jump ahead, from ``now``."""
        with locked(self.public):
            state = self._started()
            if speed is not None:
                speed = check_speed(speed)
            self._save(state.rebased(now, speed=speed, paused=paused, advance=advance), now)

    def end(self, now: float) -> None:
        """End at the current minute (ending an ended drill changes nothing)."""
        with locked(self.public):
            state = self._started()
            if not state.ended(now):
                self._save(state.rebased(now, end=True), now)
            else:
                self.publish(state, now)

    def _started(self) -> ClockState:
        state = self.read()
        if state is None:
            raise ConfigError.single(str(self.folder), "", "the drill has not started")
        return state

    def reading(self, now: float) -> Clock:
        """The clock at ``now`` (publishing the state if it changed, e.g. to ended)."""
        state = self.read()
        if state is None:
            return Clock(0.0, "", 0.0, True, False, math.nan, started=False)
        self.publish(state, now)
        minute = state.minute(now)
        start = datetime.fromisoformat(state.start).replace(tzinfo=None)
        return Clock(minute, clock_text(start, minute), state.segments[-1][2],
                     state.segments[-1][3], minute >= state.end_minute, state.end_minute)

    # --- status.json (what participants are told) ----------------------------------------------

    def publish(self, state: ClockState | None, now: float) -> None:
        """Tell the participants' folder the state (only that), when it changed."""
        name = "not started" if state is None else state.state(now)
        if name != self.public_state():
            write_json(self.public / STATUS, {"format": "drsim-drill-status/1", "state": name})

    def public_state(self) -> str:
        """The state participants were told (``not started`` when status.json is missing or
        unreadable)."""
        try:
            data = json.loads((self.public / STATUS).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return "not started"
        state = data.get("state") if isinstance(data, dict) else None
        return state if state in STATES else "not started"
