"""Writing a drill's files safely: whole folders staged and moved in, JSON lines appended with
fsync under a lock, so a crash or a second process never leaves a half-written file.

* :func:`write_tree` writes a set of files (nested names allowed) into a staging folder beside
  the target and then moves them in with atomic renames (the project's all-or-nothing pattern,
  as :func:`sim.output.write_atomically`, with sub-folders).
* :func:`write_file` replaces one file atomically (temporary file + rename).
* :func:`append_line` appends one JSON line and fsyncs it; :func:`read_lines` reads them back,
  ignoring a last line cut short by a crash (every earlier line is kept).
* :func:`locked` serialises writers of one drill folder (``fcntl.flock`` where available).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:  # POSIX; elsewhere writers are not serialised across processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["append_line", "locked", "read_lines", "write_file", "write_tree", "dumps"]

Content = bytes | str | Callable[[Path], Any]


def dumps(value: Any) -> str:
    """Readable JSON (UTF-8 text, Chinese kept), non-finite numbers as null."""
    return json.dumps(_finite(value), ensure_ascii=False, indent=2) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def _put(path: Path, content: Content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        content(path)


def write_tree(out_dir: str | Path, files: Mapping[str, Content], *,
               fresh: bool = False) -> list[Path]:
    """Write ``files`` (relative name -> bytes, text, or a writer called with the path) into
    ``out_dir``, all or nothing. ``fresh``: ``out_dir`` must not exist or be empty, and it
    appears complete in one rename."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a folder")
    if fresh and out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, content in files.items():
            _put(staging / name, content)
        if fresh:
            if out_dir.exists():
                out_dir.rmdir()
            os.replace(staging, out_dir)
            return [out_dir / name for name in files]
        placed = []
        for name in files:
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
            placed.append(target)
        return placed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_file(path: str | Path, content: bytes | str) -> None:
    """Replace ``path`` atomically (temporary file in the same folder, fsync, rename)."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


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
    line = json.dumps(_finite(dict(record)), ensure_ascii=False, separators=(",", ":"))
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
