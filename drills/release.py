"""Releasing injects: which inject goes to which role's inbox when, and the contingency
follow-ups (released at their parent's deadline only if its expected action is still missing).

* ``participants/<role>.jsonl`` — what each role has been sent: released injects only
  (:class:`drills.packet.Message`: no expected actions, objectives or deadlines).
* ``control.jsonl`` (controllers only) — each inject released, or a follow-up found
  unnecessary, by id (:class:`drills.packet.ReleaseRecord`).

The inboxes lie in the participants' folder: a line there that is not a valid message is
ignored, never raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from drills.clock import utc_text
from drills.files import append_line
from drills.injects import missing_targets
from drills.packet import Inject, Message, Packet, ReleaseRecord, TimedDecision, read_records

__all__ = ["CONTROL", "PUBLIC_FIELDS", "Release"]

CONTROL = "control.jsonl"
# What a participant sees of a released inject.
PUBLIC_FIELDS = ("id", "minute", "clock", "source", "source_en", "mode", "mode_en",
                 "synopsis", "synopsis_en", "message", "message_en")


class Release:
    """The release of one drill's injects to its roles (``packet``: None without the key)."""

    def __init__(self, folder: Path, public: Path, roles: Sequence[str],
                 packet: Packet | None) -> None:
        self.folder, self.public = Path(folder), Path(public)
        self.roles = list(roles)
        self.packet = packet

    def _inbox_path(self, role: str) -> Path:
        return self.public / f"{role}.jsonl"

    def inbox(self, role: str) -> list[Message]:
        """What ``role`` has been sent so far."""
        return read_records(self._inbox_path(role), Message, f"participants/{role}.jsonl")[0]

    def announced(self) -> tuple[float, str]:
        """The drill time last announced: minute and clock of the latest released inject."""
        latest = (0.0, "")
        for role in self.roles:
            for message in self.inbox(role):
                if message.minute >= latest[0]:
                    latest = (message.minute, message.clock)
        return latest

    def released(self) -> dict[str, ReleaseRecord]:
        """Inject id -> the record of its release (with the key also of a follow-up found
        unnecessary: ``released`` false)."""
        done = ({r.inject: r for r in read_records(self.folder / CONTROL, ReleaseRecord)[0]}
                if self.packet is not None else {})
        for role in self.roles:
            for message in self.inbox(role):
                done.setdefault(message.id, ReleaseRecord(inject=message.id))
        return done

    def due(self, minute: float, decisions: Sequence[TimedDecision],
            now: float) -> list[Inject]:
        """Move every inject due at drill ``minute`` into its role's inbox (a follow-up only
        if its parent's expected action is still missing at the deadline, judged on
        ``decisions``); return those released now. Call under the drill's lock."""
        assert self.packet is not None
        done = self.released()
        out = []
        for inject in self.packet.msel:
            if inject.id in done or inject.minute > minute + 1e-9:
                continue
            record = ReleaseRecord(inject=inject.id, minute=minute, wall_utc=utc_text(now))
            missing = None
            if inject.followup_of:
                parent = self.packet.inject(inject.followup_of)
                assert parent.expected is not None and parent.deadline is not None
                missing = missing_targets(parent.expected, decisions, parent.deadline)
                if not missing:
                    append_line(self.folder / CONTROL, _line(record.model_copy(
                        update={"released": False})))
                    continue
                record = record.model_copy(update={"still_missing": missing})
            message = Message(**{k: getattr(inject, k) for k in PUBLIC_FIELDS},
                              still_missing=missing, released_wall_utc=record.wall_utc or "")
            append_line(self._inbox_path(inject.recipient), _line(message))
            append_line(self.folder / CONTROL, _line(record))
            out.append(inject)
        return out


def _line(record: Message | ReleaseRecord) -> dict:
    return record.model_dump(mode="json", exclude_none=True)
