"""The result store: ``<folder>/manifest.json`` and ``<folder>/parts/*.parquet``.

One row per (option, replication): option, replication, the uncertainty values drawn
(``in.<path>``), every KPI, wall time and events. Each finished chunk of replications is written
as its own part file, atomically (written under a temporary name, then renamed), so a crash or
Ctrl-C loses at most the chunks still running, and a resumed run finishes only what is missing.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["ResultStore"]


class ResultStore:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.parts = self.folder / "parts"
        self.manifest_path = self.folder / "manifest.json"

    # --- manifest ------------------------------------------------------------------------

    def read_manifest(self) -> dict[str, Any] | None:
        if not self.manifest_path.exists():
            return None
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._atomic_write(self.manifest_path,
                           (json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
                            + "\n").encode("utf-8"))

    # --- parts ---------------------------------------------------------------------------

    def write_part(self, frame: pd.DataFrame, name: str) -> Path:
        """Write one chunk's rows as ``parts/<name>.parquet`` (atomically)."""
        self.parts.mkdir(parents=True, exist_ok=True)
        target = self.parts / f"{name}.parquet"
        handle, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=self.parts)
        os.close(handle)
        try:
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return target

    def part_files(self) -> list[Path]:
        return sorted(self.parts.glob("*.parquet")) if self.parts.exists() else []

    def done(self) -> set[tuple[str, int]]:
        """(option, replication) pairs already stored."""
        pairs: set[tuple[str, int]] = set()
        for part in self.part_files():
            frame = pd.read_parquet(part, columns=["option", "replication"])
            pairs.update(zip(frame["option"], frame["replication"].astype(int), strict=True))
        return pairs

    def table(self) -> pd.DataFrame:
        """All stored rows, ordered by option (spec order) and replication."""
        parts = self.part_files()
        if not parts:
            return pd.DataFrame(columns=["option", "option_index", "replication"])
        frame = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        frame = frame.drop_duplicates(subset=["option", "replication"], keep="first")
        return frame.sort_values(["option_index", "replication"], kind="stable").reset_index(
            drop=True)

    def clean_temporaries(self) -> None:
        """Remove part files a killed run left half-written (never renamed into place)."""
        if self.parts.exists():
            for tmp in self.parts.glob(".*.tmp"):
                tmp.unlink()

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
