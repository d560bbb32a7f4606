"""The ``drsim`` command: validate, run, list and describe scenarios, list their levers; the
layers' own command groups (``drsim experiment``, ``drsim drill``) and ``drsim dashboard``.

What a model reports is read from its spec (``models.catalog``): KPI labels and targets, levers,
the figures ``run --out`` writes. User mistakes (bad files, fields, overrides) print one line to
stderr and exit with code 2; no traceback, nothing written.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from drills.cli import app as drill_app
from drsim import __version__
from experiments.cli import app as experiment_app
from models.catalog import MODELS, build, scenario_json_schema
from models.kpis import describe
from models.levers import levers_for
from models.loading import bundled_names, bundled_path, load_scenario
from reporting.censored import mean_text, value_text
from sim.config import ConfigError, canonical_hash, read_toml
from sim.io import write_file
from sim.output import kpi_summary, write_run
from sim.provenance import provenance
from sim.runner import resolve_root_seed, run_replications
from sim.units import format_duration

USAGE_ERROR = 2

app = typer.Typer(
    name="drsim",
    help="Discrete-event simulation of disaster response for emergency-management planning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


@contextmanager
def user_errors(hint: str = "") -> Iterator[None]:
    """Turn a ConfigError into one line on stderr and exit code 2."""
    try:
        yield
    except ConfigError as exc:
        typer.echo(f"error: {exc.one_line()}{hint if len(exc.problems) > 1 else ''}", err=True)
        raise typer.Exit(USAGE_ERROR) from None


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"drsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version_callback, is_eager=True,
        help="Print the version and exit.")] = False,
) -> None:
    """drsim: floods, hazardous-chemical releases and the response to them."""


app.add_typer(experiment_app, name="experiment")
app.add_typer(drill_app, name="drill")

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="PATH=VALUE",
                 help="Override a scenario field, e.g. --set queue.servers=10 (repeatable)."),
]


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help="Scenario file or bundled scenario name.")],
    set_: SetOption = None,
) -> None:
    """Check a scenario file; print every problem, one per line (exit 2 if any)."""
    try:
        scenario = load_scenario(file, set_ or [])
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(USAGE_ERROR) from None
    typer.echo(f"ok: {file}: scenario {scenario.name!r} (model {scenario.model}, horizon "
               f"{format_duration(scenario.horizon)}), hash {canonical_hash(scenario)[:16]}")


def _number(value: float) -> str:
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3e}"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def _format(value: float) -> str:
    """A value for the table: +inf "not within the horizon", NaN a dash (reporting.censored)."""
    return value_text(value, _number)


def _kpi_table(results, title: str, model: str | None = None) -> Table:
    """Mean and 5-95 % range per KPI over the replications. A KPI that was +inf ("not within
    the horizon") in some run has no usable mean: the cell says in how many runs, and the
    target column counts the runs that met it (+inf fails "<= 60"), not the mean."""
    summary = kpi_summary(results)
    table = Table(title=title, title_justify="left")
    for column, justify in [("KPI", "left"), ("unit", "left"), ("mean", "right"),
                            ("5 %", "right"), ("95 %", "right"), ("target", "left")]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in summary.itertuples(index=False):
        info = describe(row.kpi, model)
        values = [r.kpis.get(row.kpi, math.nan) for r in results]
        values = [v for v in values if not math.isnan(v)]
        never = sum(1 for v in values if math.isinf(v))
        target = ""
        if info.target is not None and values:
            if never and len(values) > 1:
                met = sum(info.target.met(v) for v in values)
                target = f"{info.target}: met in {met} of {len(values)} runs"
            else:
                target = f"{info.target} {'met' if info.target.met(row.mean) else 'NOT met'}"
        table.add_row(info.label, info.unit, mean_text(row.mean, never, len(values), _number),
                      _format(row.p5), _format(row.p95), target)
    return table


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled scenario name.")],
    seed: Annotated[int | None, typer.Option(
        min=0, help="Root seed (default: the scenario's).")] = None,
    reps: Annotated[int, typer.Option(min=1, help="Number of replications.")] = 1,
    set_: SetOption = None,
    out: Annotated[Path | None, typer.Option(help="Folder for kpis.csv, kpi_summary.csv, "
                                             "timeseries.parquet, extras.json, manifest.json, "
                                             "trace.parquet (with --trace) and the figures the "
                                             "model's spec draws (timeline.png, map.png), "
                                             "written all or nothing.")] = None,
    trace: Annotated[bool, typer.Option(help="Record the event trace (trace.parquet).")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run replications of a scenario and print the KPI table (mean and 5–95 % range)."""
    with user_errors(hint="; run `drsim validate` to see all"):
        loaded = load_scenario(scenario, set_ or [])
    if out is not None and out.exists() and not out.is_dir():
        typer.echo(f"error: --out {out}: exists and is not a folder", err=True)
        raise typer.Exit(USAGE_ERROR)
    root_seed = resolve_root_seed(loaded.seed if seed is None else seed)
    try:
        results = run_replications(
            build, loaded, reps, root_seed, loaded.horizon, report_every=loaded.report_every,
            trace=trace, progress=progress and reps > 1, desc=loaded.name, file=sys.stderr)
    except KeyboardInterrupt:
        typer.echo("interrupted: nothing was written", err=True)
        raise typer.Exit(130) from None
    digest = canonical_hash(loaded)
    events = sum(r.events for r in results)
    wall = sum(r.wall_time_s for r in results)
    stdout.print(_kpi_table(
        results, f"{loaded.name}: {reps} replication{'s' * (reps > 1)}, root seed {root_seed}, "
                 f"horizon {format_duration(loaded.horizon)}", loaded.model))
    stdout.print(f"{events:,} events in {wall:.2f} s ({events / max(wall, 1e-9):,.0f} events/s); "
                 f"scenario hash {digest[:16]}")
    if out is not None:
        manifest = {
            "kind": "drsim run",
            "scenario": {"name": loaded.name, "model": loaded.model, "source": scenario,
                         "overrides": list(set_ or []), "hash": digest,
                         "content": loaded.model_dump(mode="json")},
            "root_seed": str(root_seed),
            "replications": reps,
            "events": events,
            "wall_time_s": wall,
            **provenance(),
        }
        # matplotlib is imported only when figures are written (keeps the command quick).
        from reporting.figures import save_png
        from reporting.runs import figures_for

        figures = {name: partial(save_png, figure)
                   for name, figure in figures_for(loaded, results).items()}
        try:
            written = write_run(out, results, manifest, extra_files=figures)
        except OSError as exc:  # e.g. a parent of --out is a file, or no permission
            typer.echo(f"error: --out {out}: cannot write there ({exc.strerror or exc})", err=True)
            raise typer.Exit(USAGE_ERROR) from None
        stdout.print(f"outputs in {out}/: " + ", ".join(p.name for p in written))


@app.command("list")
def list_scenarios() -> None:
    """List the bundled scenarios and the models that run them (from each model's spec)."""
    table = Table(title="Bundled scenarios (use the name wherever a scenario file is expected)",
                  title_justify="left")
    table.add_column("name")
    table.add_column("model")
    table.add_column("title")
    for name in bundled_names():
        data, _ = read_toml(bundled_path(name))
        table.add_row(name, str(data.get("model", "")), str(data.get("title", "")))
    stdout.print(table)
    models = Table(title="Models", title_justify="left")
    models.add_column("model")
    models.add_column("what it simulates")
    models.add_column("中文")
    for key, spec in MODELS.items():
        models.add_row(key, spec.summary, spec.summary_zh)
    stdout.print(models)


def _lever_value(lever, value) -> str:
    if lever.kind == "multi":
        return ", ".join(value) if value else "(none)"
    if lever.kind == "percent":
        return f"{value:g} %"
    return str(value).lower() if lever.kind == "bool" else f"{value:g}" if isinstance(
        value, float) else str(value)


@app.command()
def levers(
    scenario: Annotated[str, typer.Argument(help="Scenario file or bundled scenario name.")],
    set_: SetOption = None,
) -> None:
    """List the levers of a scenario (what the dashboard shows and an experiment option can set
    with `levers = { KEY = VALUE }`), with the scenario's values."""
    with user_errors(hint="; run `drsim validate` to see all"):
        loaded = load_scenario(scenario, set_ or [])
    found = levers_for(loaded)
    table = Table(title=f"Levers of {loaded.name} (model {loaded.model})", title_justify="left")
    for column in ("key", "lever", "中文", "kind", "value", "takes"):
        table.add_column(column)
    for lever in found:
        if lever.kind == "choice":
            takes = " | ".join(lever.options)
        elif lever.kind == "multi":
            takes = "a list of: " + ", ".join(lever.options)
        elif lever.kind == "bool":
            takes = "true | false"
        elif lever.kind == "float":
            takes = f"{lever.low:g}–{lever.high:g} {lever.unit_en}".rstrip()
        else:
            takes = f">= {lever.low:g} {lever.unit_en}".rstrip()
        table.add_row(lever.key, lever.label_en, lever.label_zh, lever.kind,
                      _lever_value(lever, lever.default), takes)
    if not found:
        stdout.print(f"{loaded.name}: its model has no levers")
        return
    stdout.print(table)


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of scenario files (for editors and other tools)."""
    text = json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            write_file(out, text)
        except OSError as exc:
            typer.echo(f"error: --out {out}: cannot write there ({exc.strerror or exc})", err=True)
            raise typer.Exit(USAGE_ERROR) from None
        typer.echo(f"schema written to {out}")


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Local port to serve on.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this "
                                         "machine only; 0.0.0.0: the whole network).")] =
    "127.0.0.1",
    browser: Annotated[bool, typer.Option(help="Open a browser tab.")] = True,
) -> None:
    """Open the leaders' dashboard (Streamlit) in a browser."""
    import os
    import subprocess

    from dashboard import server_command

    command = server_command(port, address, headless=not browser)
    if hasattr(os, "execv"):
        # Become the server (same pid): a SIGTERM to `drsim dashboard` (a service manager, a
        # test's terminate()) then stops the server itself instead of orphaning a child.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(command[0], command)
    try:
        raise typer.Exit(subprocess.call(command))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def main() -> None:
    app()
