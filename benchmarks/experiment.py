"""Speed and memory of the experiment runner on the executors, on the bundled Zhumadian options.

    python benchmarks/experiment.py [--reps 4] [--chunk-size N] [--spec NAME]
    python benchmarks/experiment.py --full [--executor local:2]

Small run (default: ``--reps 4``, i.e. 7 options x 4 = 28 replications) on ``serial``,
``local:2`` and ``dask:local:2``; prints

* parallel efficiency of local:2 against serial, T_serial / (2 T_local) (goal >= 0.85),
* dask:local:2 against local:2, T_dask / T_local - 1 (goal within +-15 %),
* peak RSS of the parent process with local:2 at --reps N and 2N (goal: flat, since every finished
  chunk goes straight to its parquet part file and no rows are kept in memory),
* whether every executor stored the same table (wall time aside).

"busy" is the time spent inside replications (the rows' wall times) over workers x run time:
how well the workers were kept busy. On a loaded machine replications slow down too, so "busy"
stays meaningful when the efficiency figures do not.

Each measurement runs in a fresh child process (so peak RSS is per measurement and no cache is
shared). The time reported is ``run_experiment`` alone: it includes planning the tasks, sending
each chunk (with the base scenario) to the workers, the simulations and writing the part files;
it excludes the interpreter's start-up and imports, loading the spec, starting the executor and
its workers' imports (a warm-up task on every worker), all reported separately as "set-up".

``--full`` runs the issue's target instead: 6 options (the baseline and the five projects) x 200
replications, on ``--executor`` (default local:2), and reports its wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

SPEC = "zhumadian-capability-options"


def _warm(seconds: float) -> int:
    """Warm-up task: import what a chunk needs, then hold the worker a moment so that every
    worker gets one."""
    import experiments.run  # noqa: F401

    time.sleep(seconds)
    return os.getpid()


def child(args: argparse.Namespace) -> None:
    """One measurement, in this (fresh) process; prints one JSON line."""
    started = time.perf_counter()
    from experiments.executors import make_executor
    from experiments.run import run_experiment
    from experiments.spec import load_spec
    from experiments.store import ResultStore

    loaded = load_spec(args.spec)
    update: dict[str, object] = {"replications": args.reps}
    if args.chunk_size:
        update["chunk_size"] = args.chunk_size
    if args.options:
        update["options"] = loaded.spec.options[: args.options]
    loaded.spec = loaded.spec.model_copy(update=update)
    store = ResultStore(args.out)
    with make_executor(args.executor) as pool:
        workers = int(args.executor.rsplit(":", 1)[1]) if args.executor != "serial" else 0
        warmed = set(pool.map_unordered(_warm, [(1.0,)] * workers))
        setup = time.perf_counter() - started
        summary = run_experiment(loaded, store, pool)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    tasks = sum(-(-loaded.spec.replications // loaded.spec.chunk_size)
                for _ in loaded.spec.options)
    busy = float(store.table()["wall_time_s"].sum())  # time spent inside replications
    print(json.dumps({"executor": args.executor, "rows": summary.ran, "tasks": tasks,
                      "workers": max(workers, 1), "busy_s": busy,
                      "warmed_workers": len(warmed), "setup_s": setup,
                      "run_s": summary.wall_time_s, "parent_rss_mb": self_mb,
                      "worker_rss_mb": children_mb}))


def measure(executor: str, reps: int, out: Path, args: argparse.Namespace,
            options: int = 0) -> dict:
    """One measurement, in a fresh process (the result folder is emptied first)."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, __file__, "--child", "--executor", executor, "--reps", str(reps),
               "--out", str(out), "--spec", args.spec]
    if args.chunk_size:
        command += ["--chunk-size", str(args.chunk_size)]
    if options:
        command += ["--options", str(options)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{executor}: failed\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - started
    return result


def _table(folder: Path) -> pd.DataFrame:
    from experiments.store import ResultStore

    return ResultStore(folder).table().drop(columns=["wall_time_s"])


def _line(r: dict) -> str:
    utilisation = r["busy_s"] / (r["workers"] * r["run_s"])
    return (f"  {r['executor']:>13}: {r['rows']} replications in {r['tasks']} chunks, "
            f"run {r['run_s']:6.1f} s (set-up {r['setup_s']:.1f} s, whole process "
            f"{r['process_s']:.1f} s); busy {utilisation:.0%}; peak RSS parent "
            f"{r['parent_rss_mb']:.0f} MB"
            + (f", largest worker {r['worker_rss_mb']:.0f} MB" if r["worker_rss_mb"] else ""))


def small(args: argparse.Namespace) -> None:
    print(f"{args.spec}: --reps {args.reps}, chunk size "
          f"{args.chunk_size or 'from the spec'}; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="drsim-bench-") as tmp:
        folder = Path(tmp)
        runs: dict[str, dict] = {}
        # Rounds of every executor in turn (not all repeats of one, then the next), so a
        # passing burst of other work does not fall on one executor only; the fastest counts.
        for round_ in range(args.repeat):
            for executor in ["serial", "local:2", "dask:local:2"]:
                r = measure(executor, args.reps, folder / executor.replace(":", "_"), args)
                print(_line(r) + (f"  [round {round_ + 1}]" if args.repeat > 1 else ""),
                      flush=True)
                if executor not in runs or r["run_s"] < runs[executor]["run_s"]:
                    runs[executor] = r
        double = measure("local:2", 2 * args.reps, folder / "local_2_double", args)
        print(_line(double) + f"  [--reps {2 * args.reps}]", flush=True)
        reference = _table(folder / "serial")
        same = all(_table(folder / e.replace(":", "_")).equals(reference)
                   for e in ["local:2", "dask:local:2"])
    t_serial, t_local, t_dask = (runs[e]["run_s"] for e in ["serial", "local:2",
                                                            "dask:local:2"])
    efficiency = t_serial / (2 * t_local)
    dask_vs_local = t_dask / t_local - 1
    rss_small, rss_double = runs["local:2"]["parent_rss_mb"], double["parent_rss_mb"]
    growth = rss_double / rss_small - 1
    tasks = runs["local:2"]["tasks"]
    bound = tasks / (2 * -(-tasks // 2))  # equal chunks, whole chunks per worker
    print(f"parallel efficiency local:2 vs serial: {efficiency:.2f} (goal >= 0.85: "
          f"{'met' if efficiency >= 0.85 else 'NOT met'}; {tasks} equal chunks on 2 workers "
          f"allow at most {bound:.2f})")
    slowdown = runs["local:2"]["busy_s"] / runs["serial"]["busy_s"]
    kept_busy = (runs["local:2"]["busy_s"] / (2 * t_local)) / (
        runs["serial"]["busy_s"] / t_serial)
    print(f"  replications took {slowdown:.2f}x their serial time when two ran at once (the "
          f"machine: shared cores, other processes); had they not, the efficiency would be "
          f"{kept_busy:.2f} (what the runner's overhead and idle workers leave)")
    print(f"dask:local:2 vs local:2: {dask_vs_local:+.1%} (goal within 15 %: "
          f"{'met' if abs(dask_vs_local) <= 0.15 else 'NOT met'})")
    print(f"parent peak RSS, local:2, --reps {args.reps} vs {2 * args.reps}: {rss_small:.0f} MB vs "
          f"{rss_double:.0f} MB ({growth:+.1%}; goal flat, within 10 %: "
          f"{'met' if abs(growth) <= 0.10 else 'NOT met'})")
    print(f"same table on every executor (wall time aside): {'yes' if same else 'NO'}")
    print(f"load average at end: {os.getloadavg()[0]:.2f} (figures are noisy if other work ran)")


def full(args: argparse.Namespace) -> None:
    print(f"{args.spec}: 6 options x 200 replications on {args.executor}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="drsim-bench-full-") as tmp:
        r = measure(args.executor, 200, Path(tmp) / "out", args, options=6)
    print(_line(r))
    print(f"  wall time of the whole run: {r['run_s'] / 60:.1f} min "
          f"({r['run_s'] / r['rows']:.2f} s per replication with "
          f"{args.executor}; process {r['process_s'] / 60:.1f} min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=SPEC)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--chunk-size", type=int, default=0, help="default: the spec's")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of measurements of every executor; the fastest counts")
    parser.add_argument("--full", action="store_true", help="6 options x 200 replications")
    parser.add_argument("--executor", default="local:2", help="for --full (and --child)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--options", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
    elif args.full:
        full(args)
    else:
        small(args)


if __name__ == "__main__":
    main()
