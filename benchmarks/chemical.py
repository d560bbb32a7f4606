"""Speed of the chemical model: one zhumadian-ammonia replication on one core.

    python benchmarks/chemical.py [--reps 10] [--scenario NAME] [--without-roads]

Prints the median wall time per replication (goal <= 0.3 s). zhumadian-ammonia has a street
grid (roads, cordon, ambulances on the network); ``--without-roads`` drops its ``[roads]`` to
show what the network costs. The plume kernel alone (10,000 receptors x 720 time steps, goal
<= 0.2 s) is measured by benchmarks/plume.py.
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
    parser.add_argument("--without-roads", action="store_true",
                        help="drop the scenario's [roads] (and a tanker's source.link)")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario,
                             {"roads": None, "source.link": None} if args.without_roads else {})
    run_replication(build, scenario, 0, scenario.seed, scenario.horizon)  # warm-up
    walls = [run_replication(build, scenario, k, scenario.seed, scenario.horizon).wall_time_s
             for k in range(args.reps)]
    receptors = len(scenario.zones) * scenario.receptors_per_side ** 2  # type: ignore[attr-defined]
    roads = getattr(scenario, "roads", None)
    network = (f"{len(roads.nodes)} road nodes, {len(roads.links)} links" if roads is not None
               else "no roads")
    print(f"{args.scenario}: {len(scenario.zones)} zones, {receptors} receptor points, "  # type: ignore[attr-defined]
          f"{network}, {args.reps} replications")
    print(f"  wall time per replication: median {statistics.median(walls):.3f} s "
          f"(min {min(walls):.3f}, max {max(walls):.3f}); goal <= 0.3 s")


if __name__ == "__main__":
    main()
