"""Every bundled scenario reproduces its stored results bit for bit.

For seeds 1-3 and replications 0-1, the KPIs, the time series (values and columns) and the
extras of each bundled scenario are reduced to one SHA-256 digest of their exact JSON (floats by
``repr``: any change in the last bit changes the digest) and compared with
``golden/bundled.json``. Refactors must keep them; a deliberate change of results refreshes the
file with ``DRSIM_UPDATE_GOLDEN=1`` and says why in its commit message.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from models.catalog import build
from models.loading import bundled_names, load_scenario
from sim.runner import run_replication

GOLDEN = Path(__file__).parent / "golden" / "bundled.json"
UPDATE = os.environ.get("DRSIM_UPDATE_GOLDEN") == "1"
SEEDS = (1, 2, 3)
REPLICATIONS = (0, 1)


def _plain(value: Any) -> Any:
    """JSON-exact form: floats by repr (NaN and infinities as strings), containers sorted."""
    if isinstance(value, float):
        return repr(value) if not math.isfinite(value) else float.hex(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def digests(name: str, seed: int, replication: int) -> dict[str, str]:
    """SHA-256 of the KPIs, series and extras of one replication of bundled ``name``."""
    scenario = load_scenario(name)
    result = run_replication(build, scenario, replication, seed, scenario.horizon,
                             report_every=scenario.report_every)
    frame = result.timeseries
    series = {"columns": list(frame.columns),
              "values": {c: [float(v) for v in frame[c].to_numpy()] for c in frame.columns}}
    out = {}
    for part, value in (("kpis", result.kpis), ("series", series), ("extras", result.extras)):
        text = json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))
        out[part] = hashlib.sha256(text.encode()).hexdigest()
    return out


CASES = [(n, s, r) for n in bundled_names() for s in SEEDS for r in REPLICATIONS]


def _stored() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}


@pytest.mark.slow
def test_bundled_scenarios_reproduce_their_golden_digests() -> None:
    stored = _stored()
    now = {f"{n}/seed{s}/rep{r}": digests(n, s, r) for n, s, r in CASES}
    if UPDATE:
        GOLDEN.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        pytest.skip("golden digests refreshed")
    changed = {key: sorted(part for part in now[key] if now[key][part] != stored[key].get(part))
               for key in now if key in stored}
    changed = {k: v for k, v in changed.items() if v}
    assert set(now) == set(stored), "bundled scenarios differ from the golden file's"
    assert not changed, f"results changed: {changed}"
