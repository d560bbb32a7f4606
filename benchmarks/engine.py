"""Engine overhead: the M/M/c reference model on drsim's `sim` layer vs the same model in bare
SimPy, in one process. Prints events per second of each and their ratio (goal: ratio >= 0.7).

    python benchmarks/engine.py [--horizon-days 7] [--repeats 5]

Both versions draw from the same kind of numpy Generator and process the same kinds of events;
the `sim` version additionally monitors the queue (level monitors, wait tally) and computes KPIs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import simpy

from models.catalog import build
from models.loading import load_scenario
from sim.runner import run_replication

SERVERS, MEAN_INTERARRIVAL, MEAN_SERVICE = 8, 0.5, 3.5  # as the bundled mmc-reference scenario


def bare_simpy(until: float, seed: int) -> tuple[int, float]:
    """M/M/c in plain SimPy; returns (events processed, wall seconds)."""
    started = time.perf_counter()
    env = simpy.Environment()
    servers = simpy.Resource(env, SERVERS)
    arrivals = np.random.Generator(np.random.PCG64(seed))
    service = np.random.Generator(np.random.PCG64(seed + 1))
    waits: list[float] = []

    def customer():
        arrived = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(service.exponential(MEAN_SERVICE))

    def source():
        while True:
            yield env.timeout(arrivals.exponential(MEAN_INTERARRIVAL))
            env.process(customer())

    env.process(source())
    env.run(until=until)
    mean_wait = float(np.mean(waits))  # the bare model also reports its result
    assert mean_wait >= 0
    events = next(env._eid) - len(env._queue)
    return events, time.perf_counter() - started


def on_sim(until: float, seed: int) -> tuple[int, float]:
    """The bundled mmc-reference model through sim.run_replication."""
    scenario = load_scenario("mmc-reference", {"horizon": until})
    result = run_replication(build, scenario, 0, seed, until)
    return result.events, result.wall_time_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon-days", type=float, default=7.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    until = args.horizon_days * 1440
    rates: dict[str, list[float]] = {"bare SimPy": [], "drsim sim/": []}
    events: dict[str, int] = {}
    for repeat in range(args.repeats):
        # Interleave the two so drift in machine load affects both alike.
        for label, runner in (("bare SimPy", bare_simpy), ("drsim sim/", on_sim)):
            n, wall = runner(until, 1000 + repeat)
            rates[label].append(n / wall)
            events[label] = n
    print(f"M/M/{SERVERS}, rho = {MEAN_SERVICE / MEAN_INTERARRIVAL / SERVERS:.3f}, horizon "
          f"{args.horizon_days:g} d, {args.repeats} repeats (median)")
    for label, values in rates.items():
        print(f"  {label:<11} {statistics.median(values):>12,.0f} events/s "
              f"({events[label]:,} events per run)")
    ratio = statistics.median(rates["drsim sim/"]) / statistics.median(rates["bare SimPy"])
    print(f"  ratio sim/bare: {ratio:.2f} (goal >= 0.70)")


if __name__ == "__main__":
    main()
