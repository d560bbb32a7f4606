"""The decision log: check a decision, append it under the lock, read the log back.

``participants/decisions.jsonl`` holds one :class:`drills.packet.Decision` a line (wall time,
role, action, targets, note, the ``--at`` drill minute if one was given, the drill time last
announced), appended with flush + fsync under the lock ``participants/.lock``. It holds no
clock reading participants could not already know: the drill minute of a decision is worked
out from its wall time and the clock's history, with the key (:meth:`DecisionLog.timed`).

The file is written by participants' tools and lies in the folder handed to them, so the
controllers' side trusts none of it: each line is validated once when read, and a line that is
not a valid decision is set apart with a one-line reason (:meth:`DecisionLog.read`), never
raised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drills.clock import ClockState, utc_text
from drills.files import append_line, locked
from drills.packet import Decision, Rejected, TimedDecision, read_records
from drills.targets import kind_of
from models.catalog import spec_for
from models.orders import ACTIONS
from models.scenario import ScenarioBase
from sim.config import ConfigError, validate
from sim.units import format_duration, parse_duration

__all__ = ["DECISIONS", "DecisionLog", "Moment", "order_problem"]

DECISIONS = "decisions.jsonl"
NOTE_CHARS = 2000


@dataclass(frozen=True)
class Moment:
    """When a decision is being recorded, as the recorder may know it: the current drill
    minute (without the key: the drill time last announced), whether the drill has ended, how
    to name that time in an error, and the drill time last announced."""

    current: float
    ended: bool
    where: str
    announced: float


def order_problem(scenario: ScenarioBase, action: str, targets: list[str],
                  at: float) -> str | None:
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


class DecisionLog:
    """The decisions of one drill. ``targets`` is the public id list (participants/
    targets.json); ``scenario`` the sealed scenario when the drill was opened with the key
    (decisions are then checked against it, not against the public list)."""

    def __init__(self, public: Path, targets: Mapping[str, Any],
                 scenario: ScenarioBase | None = None) -> None:
        self.path = Path(public) / DECISIONS
        self.public = Path(public)
        self._targets = targets
        self._scenario = scenario

    # --- reading ---------------------------------------------------------------------------

    def read(self) -> tuple[list[Decision], list[Rejected]]:
        """The valid decisions in order, and the lines rejected (with why)."""
        return read_records(self.path, Decision, f"participants/{DECISIONS}")

    def timed(self, state: ClockState | None) -> list[TimedDecision]:
        """The decisions with their drill minute from the clock's history (with the key), and
        ``after_end``: recorded, without ``--at``, once the drill had ended."""
        out = []
        for decision in self.read()[0]:
            if decision.at is not None:
                minute, late = decision.at, False
            elif state is None:
                minute, late = 0.0, False
            else:
                minute = state.minute_at(decision.wall_time())
                late = minute >= state.end_minute - 1e-9
            out.append(TimedDecision(**dict(decision), minute=round(minute, 3),
                                     after_end=late))
        return out

    def as_announced(self) -> list[TimedDecision]:
        """The decisions with the minute participants know: ``at``, or the drill time last
        announced when each was recorded."""
        return [TimedDecision(**dict(d), minute=d.at if d.at is not None else d.announced)
                for d in self.read()[0]]

    # --- recording --------------------------------------------------------------------------

    def record(self, role: Mapping[str, Any], action: str, targets: list[str] | str,
               note: str, minute: float | str | None, moment: Callable[[], Moment],
               now: float) -> TimedDecision:
        """Check a decision of ``role`` (its roles.json entry) and append it; ``moment`` is
        asked, under the lock, when it is being recorded. Raises :class:`ConfigError` naming
        the field on bad input, recording nothing."""
        if action not in ACTIONS:
            raise ConfigError.single("decision", "action", f"unknown action {action!r}; "
                                     f"expected one of: {', '.join(ACTIONS)}")
        if action not in role["actions"]:
            raise ConfigError.single("decision", "action", f"role {role['id']!r} may not "
                                     f"decide {action!r} (it may: "
                                     f"{', '.join(role['actions'])})")
        if isinstance(targets, str):
            targets = [t.strip() for t in targets.split(",")]
        targets = [t for t in dict.fromkeys(str(t).strip() for t in targets) if t]
        if not targets:
            raise ConfigError.single("decision", "targets", "name at least one target id")
        if not isinstance(note, str) or len(note) > NOTE_CHARS:
            raise ConfigError.single("decision", "note", f"expected text of at most "
                                     f"{NOTE_CHARS} characters")
        at = None if minute is None else _minutes(minute)
        with locked(self.public):
            when = moment()
            if at is not None and at > when.current + 1e-9:
                raise ConfigError.single("decision", "time", f"{format_duration(at)} is after "
                                         f"{when.where}")
            if at is None and when.ended:
                raise ConfigError.single("decision", "time", "the drill has ended")
            self._check_targets(action, targets, when.current if at is None else at)
            recorded = self.read()[0]
            # The next number: past every valid line's (a forged or hand-made line with a
            # high number cannot make two decisions share one).
            seq = max(len(recorded), max((d.seq for d in recorded), default=0)) + 1
            decision = Decision(seq=seq, wall_utc=utc_text(now), wall=now,
                                role=role["id"], action=action, targets=targets, note=note,
                                at=None if at is None else round(at, 3),
                                announced=round(when.announced, 3))
            append_line(self.path, decision.model_dump(mode="json"))
        if self._scenario is not None:
            return TimedDecision(**dict(decision),
                                 minute=round(when.current if at is None else at, 3),
                                 after_end=False)
        return TimedDecision(**dict(decision), minute=decision.announced if at is None
                             else decision.at)

    def _check_targets(self, action: str, targets: list[str], at: float) -> None:
        if self._scenario is not None:
            self._check_sealed(action, targets, at)
            return
        kind = kind_of(action)
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
        if action not in spec_for(scenario).order_actions:
            raise ConfigError.single("decision", "action", f"{action!r} does not apply to this "
                                     "drill's scenario")
        problem = order_problem(scenario, action, targets, at)
        if problem is not None:
            raise ConfigError.single("decision", "targets", problem)
