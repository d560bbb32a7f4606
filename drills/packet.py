"""Typed drill records, read and validated once where they enter: the sealed packet (when it is
decrypted), a line of a participants' file (when it is read), and what the code builds (the
hidden run's timeline, the injects).

* :class:`Packet` — the controllers' sealed packet (``packet.enc``'s plaintext, format
  ``drsim-drill-packet/1``): the scenario drawn, its parameters, seed and start, the hidden run's
  :class:`TimelineEvent` list, the MSEL (:class:`Inject` list) and the baseline KPIs.
* :class:`Decision` — one line of ``participants/decisions.jsonl``; :class:`TimedDecision` is a
  decision with the drill minute it counts at (worked out by the controllers' side, never read
  from the file).
* :class:`Message` — one line of ``participants/<role>.jsonl`` (a released inject as its role
  sees it); :class:`ReleaseRecord` — one line of the controllers' ``control.jsonl``.

Every record is frozen and refuses unknown fields. The JSON they write has the shape drsim wrote
before these types existed (a packet sealed earlier opens unchanged; tested byte for byte).
Participants' files are untrusted: :func:`read_records` turns each line into a record or into a
:class:`Rejected` line with a one-line reason, and never raises on what a line holds.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from models.catalog import MODELS
from models.orders import Action
from models.scenario import ScenarioBase
from sim.config import ConfigError, StrictModel, validate

__all__ = ["Baseline", "Decision", "Expected", "Inject", "Message", "Packet", "PACKET_FORMAT",
           "Record", "Rejected", "ReleaseRecord", "SealedScenario", "SealedSpec", "SealedStyle",
           "TimedDecision", "TimelineEvent", "read_records"]

PACKET_FORMAT = "drsim-drill-packet/1"

# A drill minute (from the scenario start): finite, not negative.
Minute = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Id = Annotated[str, Field(min_length=1, max_length=200)]


class Record(StrictModel):
    """Base of the drill records: frozen, unknown fields refused; NaN and infinities kept as
    such when dumped (the packet's canonical JSON writes them as NaN/Infinity)."""

    model_config = StrictModel.model_config | {"ser_json_inf_nan": "constants"}


# --- what the code builds: timeline events and injects -----------------------------------------


class TimelineEvent(Record):
    """Something that happened in the hidden run, at ``minute`` (inf: never; the observation
    drops it): its ``kind`` (the model's adapter names them), the place (an id) and its name,
    a quantity and the kind's own data (plain JSON)."""

    minute: float = Field(ge=0)
    kind: str = Field(min_length=1)
    place: str = ""
    name: str = ""
    quantity: float | None = Field(default=None, allow_inf_nan=False)
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def at(cls, minute: float, kind: str, place: str = "", name: str = "",
           quantity: float | None = None, **data: Any) -> TimelineEvent:
        """An event at ``minute`` (rounded to 1/1000 min; NaN or negative: never), the
        quantity rounded likewise (None when absent or not finite)."""
        minute = float(minute)
        return cls(minute=round(minute, 3) if minute >= 0 else math.inf, kind=kind,
                   place=place, name=name,
                   quantity=None if quantity is None or not math.isfinite(quantity)
                   else round(float(quantity), 3), data=data)


class Expected(Record):
    """The action an inject expects of the players and the ids it should name."""

    action: Action
    targets: list[Id] = Field(min_length=1)


class Inject(Record):
    """One MSEL entry: who learns what when (Chinese and English), the action expected and the
    objective it tests, with its deadline; ``followup_of`` names the inject a contingency
    follow-up repeats (released only if its expected action is still missing)."""

    id: str
    minute: Minute
    clock: str
    kind: str = Field(min_length=1)
    source: str
    source_en: str
    recipient: Id
    mode: str
    mode_en: str
    synopsis: str
    synopsis_en: str
    message: str
    message_en: str
    expected: Expected | None = None
    objective: str | None = None
    deadline: Minute | None = None
    followup_of: str | None = None
    notes: str = ""


# --- the sealed packet ---------------------------------------------------------------------------


class SealedSpec(Record):
    """The drill spec as sealed: its name, file, full text and canonical hash."""

    name: Id
    source: str
    text: str
    hash: str

    def validated(self) -> Any:
        """The :class:`drills.spec.DrillSpec` validated from the sealed text."""
        from drills.spec import DrillSpec

        return validate(DrillSpec, tomllib.loads(self.text), self.source, self.text)


class SealedScenario(Record):
    """The scenario drawn, with its full content (parameters and start hour applied)."""

    name: Id
    model: Id
    source: str
    hash: str
    content: dict[str, Any]

    def validated(self) -> ScenarioBase:
        """The scenario validated from its content by its model's class."""
        if self.model not in MODELS:
            raise ConfigError.single(f"sealed scenario {self.name!r}", "model", f"unknown "
                                     f"model {self.model!r} (this drsim has: "
                                     f"{', '.join(sorted(MODELS))})")
        return validate(MODELS[self.model].scenario, self.content,
                        f"sealed scenario {self.name!r}")


class SealedStyle(Record):
    mode: Literal["live", "tabletop"]
    speed: float = Field(gt=0, allow_inf_nan=False)


class Baseline(Record):
    """The hidden run's KPIs (the plan's own response; NaN/inf where a KPI has no value)."""

    kpis: dict[str, float]
    replication: int = Field(ge=0)
    wall_time_s: float = Field(ge=0)
    events: int = Field(ge=0)


class Packet(Record):
    """The controllers' sealed packet (see the module docstring and drills/seal.py)."""

    format: Literal["drsim-drill-packet/1"]
    salt: str = Field(pattern=r"^[0-9a-f]{64}$")
    spec: SealedSpec
    library_index: int = Field(ge=0)
    scenario: SealedScenario
    parameters: dict[str, float]
    seed: int = Field(ge=0, lt=2**63)
    start: AwareDatetime
    end_minute: Minute
    style: SealedStyle
    timeline: list[TimelineEvent]
    msel: list[Inject]
    baseline: Baseline
    targets: dict[str, list[str]]
    provenance: dict[str, Any]

    @model_validator(mode="after")
    def _consistent(self) -> Packet:
        ids = [i.id for i in self.msel]
        if "" in ids or len(set(ids)) != len(ids):
            raise ValueError("msel: every inject needs its own id")
        parents = {i.id for i in self.msel if i.followup_of is None}
        if any(i.followup_of is not None and i.followup_of not in parents for i in self.msel):
            raise ValueError("msel: a follow-up names an inject that is not in the list")
        if any(not math.isfinite(e.minute) for e in self.timeline):
            raise ValueError("timeline: every event needs a finite minute")
        return self

    @classmethod
    def from_plaintext(cls, plaintext: bytes, source: str) -> Packet:
        """The packet of a decrypted plaintext; :class:`ConfigError` (one line) if it is not
        one."""
        try:
            data = json.loads(plaintext.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ConfigError.single(source, "", "corrupted packet (not JSON)") from None
        if not isinstance(data, dict):
            raise ConfigError.single(source, "", "corrupted packet (not a JSON object)")
        return validate(cls, data, source)

    def canonical(self) -> bytes:
        """The canonical plaintext (sorted keys, compact, UTF-8, NaN kept) the commitment
        hashes."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False, allow_nan=True).encode("utf-8")

    def drill_spec(self) -> Any:
        """The drill spec sealed in the packet (:class:`drills.spec.DrillSpec`, validated from
        the text it was sealed with)."""
        return self.spec.validated()

    def sealed_scenario(self) -> ScenarioBase:
        """The sealed scenario (validated from its full content)."""
        return self.scenario.validated()

    @property
    def start_local(self) -> datetime:
        """The scenario's start as China local time, without a time zone."""
        return self.start.replace(tzinfo=None)

    def inject(self, inject_id: str) -> Inject:
        return next(i for i in self.msel if i.id == inject_id)


# --- participants' and controllers' lines --------------------------------------------------------


class Decision(Record):
    """One recorded decision (a line of ``participants/decisions.jsonl``): its number, the wall
    time it was recorded (epoch seconds, and UTC text), the role, action and target ids, a
    note, the drill minute ``at`` of a decision entered later (``--at``) and the drill time
    last announced when it was recorded."""

    seq: int = Field(ge=1)
    wall_utc: str = Field(default="", max_length=64)
    wall: float | None = Field(default=None, allow_inf_nan=False)
    role: Id
    action: Action
    targets: list[Id] = Field(min_length=1)
    note: str = Field(default="", max_length=2000)
    at: Minute | None = None
    announced: Minute = 0.0

    def wall_time(self) -> float:
        """When it was recorded (epoch seconds): ``wall``, else ``wall_utc``, else inf."""
        if self.wall is not None:
            return self.wall
        try:
            return datetime.fromisoformat(self.wall_utc).timestamp()
        except (ValueError, OverflowError, OSError):
            return math.inf


class TimedDecision(Decision):
    """A decision with the drill minute it counts at. With the key: ``at``, or the clock at its
    wall time, and ``after_end`` (recorded, without ``at``, once the drill had ended: set aside
    when scoring). Without the key: ``at``, or the drill time last announced; ``after_end``
    None (unknown)."""

    minute: Minute
    after_end: bool | None = None


class Message(Record):
    """A released inject as its role sees it (a line of ``participants/<role>.jsonl``): no
    expected action, objective or deadline; ``still_missing`` on a follow-up."""

    id: Id
    minute: Minute
    clock: str
    source: str
    source_en: str
    mode: str
    mode_en: str
    synopsis: str
    synopsis_en: str
    message: str
    message_en: str
    still_missing: list[str] | None = None
    released_wall_utc: str = ""


class ReleaseRecord(Record):
    """A line of the controllers' ``control.jsonl``: an inject released (or a follow-up found
    unnecessary: ``released`` false), the drill minute and wall time it happened at."""

    inject: Id
    minute: Minute | None = None
    wall_utc: str | None = None
    released: bool = True
    still_missing: list[str] | None = None


# --- reading untrusted lines -------------------------------------------------------------------


@dataclass(frozen=True)
class Rejected:
    """A line of a drill file that is not a valid record: its number (from 1) and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


R = TypeVar("R", bound=BaseModel)


def _reason(exc: ConfigError) -> str:
    problem = exc.problems[0]
    more = len(exc.problems) - 1
    text = (f"{problem.path}: " if problem.path else "") + problem.message
    text = " ".join(text.split())   # one line whatever the line held
    return text[:300] + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


def read_records(path: str | Path, record: type[R], label: str | None = None
                 ) -> tuple[list[R], list[Rejected]]:
    """The valid records of a JSON-lines file, and the lines rejected with a reason (missing
    file: none of either). Whatever a line holds, this does not raise."""
    path = Path(path)
    label = label or path.name
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], []
    good: list[R] = []
    bad: list[Rejected] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            bad.append(Rejected(label, number, "not a JSON line (cut short by a crash, or "
                                "not written by drsim)"))
            continue
        if not isinstance(value, dict):
            bad.append(Rejected(label, number, "expected a JSON object"))
            continue
        try:
            item = validate(record, value, label)
        except ConfigError as exc:
            bad.append(Rejected(label, number, _reason(exc)))
            continue
        except (ValueError, TypeError, RecursionError) as exc:   # pragma: no cover - defensive
            bad.append(Rejected(label, number, " ".join(str(exc).split())[:300]))
            continue
        good.append(item)
    return good, bad
