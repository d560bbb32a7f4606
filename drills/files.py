"""A drill folder's JSON-lines files and its write lock (whole files are written with
:mod:`sim.io`: atomic, fsynced, JSON with non-finite numbers as null).

* :func:`append_line` appends one JSON line and fsyncs it (call it under :func:`locked`);
  :func:`drills.packet.read_records` reads such files back, a line at a time.
* :func:`locked` serialises the writers of one drill folder (``fcntl.flock`` where available);
  it is re-entrant within a thread, so a step that holds the lock may call another that takes
  it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.io import finite_json

try:  # POSIX; elsewhere writers are not serialised across processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["append_line", "locked"]

_held = threading.local()   # lock files this thread holds -> depth


@contextmanager
def locked(folder: str | Path) -> Iterator[None]:
    """Hold the drill folder's write lock (``folder/.lock``) for the block."""
    path = Path(folder).resolve() / ".lock"
    held: dict[Path, int] = _held.__dict__.setdefault("depth", {})
    if held.get(path):
        held[path] += 1
        try:
            yield
        finally:
            held[path] -= 1
        return
    with open(path, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        held[path] = 1
        try:
            yield
        finally:
            del held[path]
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def append_line(path: str | Path, record: Mapping[str, Any]) -> None:
    """Append ``record`` as one JSON line (compact, non-finite numbers as null), flushed and
    fsynced (call under :func:`locked`). A last line left without its newline by a crash is
    closed first, so it cannot swallow this record."""
    path = Path(path)
    line = json.dumps(finite_json(dict(record)), ensure_ascii=False, separators=(",", ":"))
    with open(path, "ab+") as out:
        out.seek(0, os.SEEK_END)
        prefix = b""
        if out.tell() > 0:
            out.seek(-1, os.SEEK_END)
            if out.read(1) != b"\n":
                prefix = b"\n"
        out.write(prefix + line.encode("utf-8") + b"\n")
        out.flush()
        os.fsync(out.fileno())
