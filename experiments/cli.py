"""``drsim experiment run | report | list``."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from tqdm.auto import tqdm

from experiments.executors import EXECUTOR_HELP, make_executor
from experiments.run import FolderError, check_folder, finish_manifest, manifest_for, run_experiment
from experiments.spec import bundled_spec_names, load_spec
from experiments.store import ResultStore
from sim.config import ConfigError

USAGE_ERROR = 2
app = typer.Typer(help="Monte Carlo experiments: capability options under uncertainty.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(USAGE_ERROR)


@app.command("run")
def run_command(
    spec: Annotated[str, typer.Argument(help="Experiment spec file or bundled name.")],
    executor: Annotated[str, typer.Option(help=EXECUTOR_HELP)] = "serial",
    reps: Annotated[int | None, typer.Option(min=1, help="Override the spec's replications.")
                    ] = None,
    resume: Annotated[bool, typer.Option(help="Finish a run that was interrupted.")] = False,
    out: Annotated[Path | None, typer.Option(help="Result folder (default results/<name>).")
                   ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run every option x replication, writing results as chunks finish."""
    try:
        loaded = load_spec(spec)
    except ConfigError as exc:
        raise _fail(exc.one_line()) from None
    if reps is not None:
        loaded.spec = loaded.spec.model_copy(update={"replications": reps})
    folder = out or Path("results") / loaded.spec.name
    store = ResultStore(folder)
    try:
        check_folder(loaded, store, resume)
    except FolderError as exc:
        raise _fail(str(exc)) from None
    try:
        pool = make_executor(executor)
    except ValueError as exc:
        raise _fail(f"--executor: {exc}") from None
    total = loaded.spec.replications * len(loaded.spec.options)
    with pool:
        store.write_manifest({**manifest_for(loaded, pool.name), "status": "running"})
        bar = tqdm(total=total, disable=not progress, unit="rep", desc=loaded.spec.name,
                   file=sys.stderr, initial=len(store.done()))
        try:
            summary = run_experiment(loaded, store, pool, progress=bar.update)
        except KeyboardInterrupt:
            # Finish the clean-up (closing the pool) without a second Ctrl-C cutting it short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            bar.close()
            typer.echo(f"interrupted: finished chunks are kept in {folder}; "
                       "run again with --resume", err=True)
            raise typer.Exit(130) from None
        bar.close()
    finish_manifest(loaded, store, pool.name, summary)
    typer.echo(f"{summary.ran} replications run, {summary.skipped} already done, "
               f"{summary.wall_time_s:.1f} s; results in {folder}/")


@app.command("list")
def list_command(
    folder: Annotated[Path | None, typer.Argument(help="A result folder (default: bundled "
                                                  "specs).")] = None,
) -> None:
    """List bundled experiment specs, or what a result folder holds."""
    if folder is None:
        for name in bundled_spec_names():
            typer.echo(name)
        return
    store = ResultStore(folder)
    manifest = store.read_manifest()
    if manifest is None:
        raise _fail(f"{folder}: no manifest.json (not a result folder)")
    table = store.table()
    typer.echo(f"{manifest['experiment']} ({manifest.get('status', '?')}), executor "
               f"{manifest.get('executor')}, root seed {manifest.get('root_seed')}")
    counts = table.groupby("option", sort=False)["replication"].count() if len(table) else {}
    for option in manifest["spec"]["options"]:
        name = option["name"]
        n = int(counts.get(name, 0)) if len(table) else 0
        typer.echo(f"  {name}: {n} replications")


@app.command("report")
def report_command(
    folder: Annotated[Path, typer.Argument(help="A result folder from `drsim experiment run`.")],
) -> None:
    """Write report.md, report.html, figures/ and tables/ for a result folder."""
    from experiments.report import write_report  # matplotlib only when reporting

    try:
        written = write_report(folder)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"report written to {folder}/report.html and report.md "
               f"({sum(1 for p in written if p.suffix == '.png')} figures, "
               f"{sum(1 for p in written if p.suffix == '.csv')} tables)")
