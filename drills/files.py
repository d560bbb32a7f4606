"""Writing a drill's files safely: whole folders staged and moved in, JSON lines appended with
fsync under a lock, so a crash or a second process never leaves a half-written file.

* :func:`write_tree`, :func:`write_file` and :func:`dumps` are :mod:`sim.io`'s (all or nothing,
  fsynced; JSON with non-finite numbers as null).
* :func:`append_line` appends one JSON line and fsyncs it; :func:`read_lines` reads them back,
  ignoring a last line cut short by a crash (every earlier line is kept).
* :func:`locked` serialises writers of one drill folder (``fcntl.flock`` where available).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.io import dumps_json, finite_json, write_file, write_tree

try:  # POSIX; elsewhere writers are not serialised across processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["append_line", "locked", "read_lines", "write_file", "write_tree", "dumps"]

dumps = dumps_json


@contextmanager
def locked(folder: str | Path) -> Iterator[None]:
    """Hold the drill folder's write lock (``folder/.lock``) for the block."""
    path = Path(folder) / ".lock"
    with open(path, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def append_line(path: str | Path, record: Mapping[str, Any]) -> None:
    """Append ``record`` as one JSON line, flushed and fsynced (call under :func:`locked`).
    A last line left without its newline by a crash is closed first, so it cannot swallow
    this record."""
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


def read_lines(path: str | Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file ([] if it does not exist). A line that does not parse
    is skipped (a record cut short by a crash); every other line is kept."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for raw in path.read_bytes().split(b"\n"):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(value, dict):
            records.append(value)
    return records
