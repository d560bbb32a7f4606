"""Small drill specs for the drill tests: the bundled tiny-drill cut down to chosen library
scenarios (so a test knows what is drawn)."""

from __future__ import annotations

from pathlib import Path

SPECS = Path(__file__).resolve().parents[2] / "drills" / "specs"
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


def spec_text(*scenarios: str, extra: str = "") -> str:
    """The tiny-drill spec with only the named library scenarios (tiny-flood, tiny-plume)."""
    text = (SPECS / "tiny-drill.toml").read_text(encoding="utf-8")
    head, rest = text.split("[[library]]", 1)
    blocks = ["[[library]]" + b for b in ("[[library]]" + rest).split("[[library]]")[1:]]
    tail = blocks[-1][blocks[-1].index("[start]"):]
    blocks[-1] = blocks[-1][:blocks[-1].index("[start]")]
    kept = [b for b in blocks if any(f'scenario = "{s}"' in b for s in scenarios)]
    return head + "".join(kept) + extra + tail
