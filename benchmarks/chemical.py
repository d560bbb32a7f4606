"""Speed of the chemical model: one zhumadian-ammonia replication on one core.

    python benchmarks/chemical.py [--reps 10]

Prints the median wall time per replication (goal <= 0.3 s). The plume kernel alone (10,000
receptors x 720 time steps, goal <= 0.2 s) is measured by benchmarks/plume.py.
"""

from __future__ import annotations

import argparse
import statistics

from models.catalog import build
from models.loading import load_scenario
from sim.runner import run_replication


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="zhumadian-ammonia")
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    run_replication(build, scenario, 0, scenario.seed, scenario.horizon)  # warm-up
    walls = [run_replication(build, scenario, k, scenario.seed, scenario.horizon).wall_time_s
             for k in range(args.reps)]
    receptors = len(scenario.zones) * scenario.receptors_per_side ** 2  # type: ignore[attr-defined]
    print(f"{args.scenario}: {len(scenario.zones)} zones, {receptors} receptor points, "  # type: ignore[attr-defined]
          f"{args.reps} replications")
    print(f"  wall time per replication: median {statistics.median(walls):.3f} s "
          f"(min {min(walls):.3f}, max {max(walls):.3f}); goal <= 0.3 s")


if __name__ == "__main__":
    main()
