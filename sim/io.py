"""Files written whole or not at all, and JSON with non-finite numbers as null.

Every layer writes through these: :func:`write_file` replaces one file (temporary file in the
same folder, fsync, rename, fsync of the folder), :func:`write_tree` places several files at once
from a staging folder, :func:`dumps_json` gives readable JSON (Chinese kept) with NaN and
infinities as ``null`` (JSON has no such numbers; ``allow_nan`` output is not JSON).

Temporary files and staging folders are named ``.<name>.<random>.tmp`` beside their target, so
:func:`remove_temporaries` can clear what a killed process left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["Content", "dumps_json", "finite_json", "fsync_folder", "remove_temporaries",
           "write_file", "write_json", "write_tree"]

Content = bytes | str | Callable[[Path], Any]
"""What to write: bytes, text (written as UTF-8), or a writer called with the path to fill
(e.g. ``lambda p: frame.to_parquet(p)``)."""

_TMP = ".tmp"  # suffix of every temporary file and staging folder made here


def finite_json(value: Any) -> Any:
    """``value`` with every NaN or infinite float (in dicts, lists, tuples) replaced by None."""
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def dumps_json(value: Any, *, indent: int | None = 2,
               default: Callable[[Any], Any] | None = None) -> str:
    """Readable JSON text (UTF-8, Chinese kept, a final newline), non-finite numbers as null;
    ``indent=None`` puts it on one line. ``default`` turns other objects into JSON ones (as in
    :func:`json.dumps`, e.g. ``str`` for paths and dates)."""
    return json.dumps(finite_json(value), ensure_ascii=False, indent=indent,
                      allow_nan=False, default=default) + "\n"


def fsync_folder(folder: str | Path) -> None:
    """Flush a folder's entries (a rename into it) to disk; a no-op where folders cannot be
    opened (Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def write_file(path: str | Path, content: Content) -> None:
    """Replace ``path`` atomically: a temporary file in the same folder (created readable by the
    owner only), fsync, rename, fsync of the folder. On any error ``path`` is unchanged."""
    path = Path(path)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TMP, dir=path.parent)
    os.close(handle)
    try:
        _put(Path(tmp), content)
        os.replace(tmp, path)
        fsync_folder(path.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: str | Path, value: Any, *,
               default: Callable[[Any], Any] | None = None) -> None:
    """:func:`write_file` of :func:`dumps_json` (indented)."""
    write_file(path, dumps_json(value, default=default))


def remove_temporaries(folder: str | Path) -> None:
    """Delete the temporary files and staging folders that a killed writer left in ``folder``
    (call it only while nothing else writes there)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for leftover in folder.glob(f".*{_TMP}"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _put(path: Path, content: Content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes | str):
        data = content.encode("utf-8") if isinstance(content, str) else content
        with open(path, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    else:
        content(path)
        with open(path, "rb+") as out:
            os.fsync(out.fileno())


def write_tree(out_dir: str | Path, files: Mapping[str, Content], *,
               fresh: bool = False) -> list[Path]:
    """Write ``files`` (relative name -> bytes, text, or a writer called with the path) into
    ``out_dir``, all or nothing: everything is written and fsynced in a staging folder beside
    it, then renamed in. ``fresh``: ``out_dir`` must not exist or be empty, and it appears
    complete in one rename."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a folder")
    if fresh and out_dir.exists() and any(out_dir.iterdir()):
        raise FileExistsError(f"{out_dir} is not empty")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=_TMP,
                                    dir=out_dir.parent))
    try:
        for name, content in files.items():
            _put(staging / name, content)
        if fresh:
            if out_dir.exists():
                out_dir.rmdir()
            os.replace(staging, out_dir)
            fsync_folder(out_dir.parent)
            return [out_dir / name for name in files]
        placed = []
        for name in files:
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
            placed.append(target)
        for folder in {p.parent for p in placed}:
            fsync_folder(folder)
        return placed
    finally:
        shutil.rmtree(staging, ignore_errors=True)
