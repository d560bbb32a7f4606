"""The result store: ``<folder>/manifest.json`` and ``<folder>/parts/*.parquet``.

One row per (option, replication): option, replication, the uncertainty values drawn
(``in.<path>``), every KPI, wall time and events. Each finished chunk of replications is written
as its own part file, atomically (:func:`sim.io.write_file`: a temporary name, fsync, rename), so
a crash or Ctrl-C loses at most the chunks still running, and a resumed run finishes only what is
missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.io import remove_temporaries, write_file, write_json

__all__ = ["ResultStore"]


class ResultStore:
    """One experiment's result folder: its manifest and its part files."""

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
        write_json(self.manifest_path, manifest, default=str)

    # --- parts ---------------------------------------------------------------------------

    def write_part(self, frame: pd.DataFrame, name: str) -> Path:
        """Write one chunk's rows as ``parts/<name>.parquet`` (atomically)."""
        self.parts.mkdir(parents=True, exist_ok=True)
        target = self.parts / f"{name}.parquet"
        write_file(target, lambda path: frame.to_parquet(path, index=False))
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
        remove_temporaries(self.parts)
