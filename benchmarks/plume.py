"""Speed of the chemical puff-train model: 10,000 receptors x 720 time steps.

    python benchmarks/plume.py [--reps 7] [--receptors 10000] [--steps 720]

A chlorine leak of 5 kg/s for 2 h near Zhumadian (flat terrain), four weather steps over 12 h
(wind shifts, D -> E -> C), receptors on a square grid 20 km across centred on the source, output
every minute for 12 h. Prints the median wall time of ``concentration_series`` (goal <= 0.2 s)
with the default slug puffs, and, for comparison, with point (Gaussian) puffs.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from models.hazards.plume import concentration_series, lonlat_from_local
from models.hazards.source import Chemical, ContinuousRelease

SOURCE = (114.02, 32.98)  # lon, lat
WEATHER = [(0.0, 3.0, 45.0, "D"), (3600.0, 2.5, 70.0, "D"), (7200.0, 2.0, 90.0, "E"),
           (10800.0, 4.0, 120.0, "C")]


def setup(receptors: int, steps: int):
    side = int(math.isqrt(receptors))
    grid = np.linspace(-10_000.0, 10_000.0, side)
    east, north = np.meshgrid(grid, grid)
    lon, lat = lonlat_from_local(east.ravel(), north.ravel(), *SOURCE)
    times = 60.0 * np.arange(1, steps + 1)
    release = ContinuousRelease(chemical="chlorine", rate_kg_s=5.0, duration="2h")
    return np.column_stack([lon, lat]), times, release.rate_function()


def timed(shape: str, receptors_lonlat, times, rate, reps: int) -> tuple[list[float], np.ndarray]:
    mw = Chemical.lookup("chlorine").molecular_weight
    walls, c = [], np.empty(0)
    for _ in range(reps + 1):  # the first run warms caches and imports
        start = time.perf_counter()
        c = concentration_series(rate, WEATHER, receptors_lonlat, SOURCE, times,
                                 molecular_weight=mw, shape=shape)  # type: ignore[arg-type]
        walls.append(time.perf_counter() - start)
    return walls[1:], c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--receptors", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=720)
    args = parser.parse_args()
    receptors_lonlat, times, rate = setup(args.receptors, args.steps)
    n = len(receptors_lonlat)
    print(f"puff train: {n:,} receptors x {times.size} time steps = {n * times.size:,} values")
    walls, c = timed("slug", receptors_lonlat, times, rate, args.reps)
    print(f"  slug puffs (default): median {statistics.median(walls):.3f} s "
          f"(min {min(walls):.3f}, max {max(walls):.3f}); goal <= 0.2 s")
    print(f"    peak {c.max():,.0f} ppm; receptor-times above 0.5 ppm (chlorine AEGL-1): "
          f"{int((c >= 0.5).sum()):,}")
    walls, _ = timed("gaussian", receptors_lonlat, times, rate, max(1, args.reps // 2))
    print(f"  point (Gaussian) puffs: median {statistics.median(walls):.3f} s")


if __name__ == "__main__":
    main()
