"""Speed and memory of one zhumadian-flood replication on one core.

    python benchmarks/flood.py [--scenario zhumadian-flood] [--reps 10]

Prints the median wall time per replication (goal <= 0.5 s) with its spread, the CPU time per
replication (less sensitive to other processes on a shared machine) and the load average before
and after, peak memory of the process (goal <= 500 MB), events per replication, and events per
second next to bare SimPy's rate on the M/M/c reference model (from benchmarks/engine.py), which
is the ceiling for any SimPy model.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import bare_simpy  # noqa: E402  (benchmarks/ is a folder of scripts)

from models.catalog import build  # noqa: E402
from models.loading import load_scenario  # noqa: E402
from sim.runner import run_replication  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="zhumadian-flood")
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    run_replication(build, scenario, 0, scenario.seed, scenario.horizon)  # warm caches/imports
    load_before = os.getloadavg()
    walls, cpus, events = [], [], []
    for k in range(args.reps):
        cpu = time.process_time()
        result = run_replication(build, scenario, k, scenario.seed, scenario.horizon)
        cpus.append(time.process_time() - cpu)
        walls.append(result.wall_time_s)
        events.append(result.events)
    load_after = os.getloadavg()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    bare_events, bare_wall = bare_simpy(7 * 1440, 1)
    median_wall = statistics.median(walls)
    rate = statistics.median(e / w for e, w in zip(events, walls, strict=True))
    print(f"{args.scenario}: {len(scenario.zones)} zones, "  # type: ignore[attr-defined]
          f"{args.reps} replications")
    q1, _, q3 = statistics.quantiles(walls, n=4) if len(walls) > 1 else (walls[0],) * 3
    print(f"  wall time per replication: median {median_wall:.3f} s "
          f"(quartiles {q1:.3f}-{q3:.3f}, min {min(walls):.3f}, max {max(walls):.3f}); "
          f"goal <= 0.5 s")
    print(f"  CPU time per replication: median {statistics.median(cpus):.3f} s "
          f"(min {min(cpus):.3f}, max {max(cpus):.3f}); load average (1 min) "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after on {os.cpu_count()} CPUs")
    print(f"  peak memory (process RSS): {peak_mb:.0f} MB; goal <= 500 MB")
    print(f"  events per replication: median {statistics.median(events):,.0f}")
    print(f"  events/s: {rate:,.0f} vs bare SimPy M/M/c {bare_events / bare_wall:,.0f} "
          f"(ratio {rate / (bare_events / bare_wall):.2f})")
    if getattr(scenario, "supplies", None) is not None:
        plain = scenario.model_copy(update={"supplies": None})
        without = statistics.median(
            run_replication(build, plain, k, scenario.seed, scenario.horizon).wall_time_s
            for k in range(args.reps))
        print(f"  without the supply chain: median {without:.3f} s; with it "
              f"{median_wall / without:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    main()
