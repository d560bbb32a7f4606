"""Where a result came from: package versions, Python, the git commit of the code."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["provenance", "git_commit"]

_PACKAGES = ("drsim", "simpy", "numpy", "scipy", "pandas", "pyarrow", "pydantic")
_CODE_ROOT = Path(__file__).resolve().parent.parent


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def git_commit() -> dict[str, Any] | None:
    """Commit and dirty flag of the checkout the code runs from, or None outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_CODE_ROOT, capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=_CODE_ROOT, capture_output=True, text=True, timeout=5,
                                check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(status.strip())}


def provenance() -> dict[str, Any]:
    """Versions, platform, git commit and the current UTC time, for a manifest."""
    return {
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: _version(name) for name in _PACKAGES},
        "git": git_commit(),
    }
