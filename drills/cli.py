"""``drsim drill seal | verify | export | serve | clock | decide | score | list``.

A mistake in a spec, a folder, a key or a decision prints one line naming the file or field and
what was expected, exits with code 2, and writes nothing. The key may be given as an argument
or in the environment variable ``DRSIM_DRILL_KEY`` (keeps it out of shell history).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from sim.config import ConfigError

USAGE_ERROR = 2
KEY_ENV = "DRSIM_DRILL_KEY"

app = typer.Typer(help="Double-blind drills: seal a hidden scenario, serve injects, record "
                  "decisions, score them.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)


@contextmanager
def user_errors() -> Iterator[None]:
    """A ConfigError (bad spec, folder, key or decision) becomes one line and exit code 2."""
    try:
        yield
    except ConfigError as exc:
        typer.echo(f"error: {exc.one_line()}", err=True)
        raise typer.Exit(USAGE_ERROR) from None


KeyArgument = Annotated[str, typer.Argument(
    envvar=KEY_ENV, show_envvar=True, help="The drill key printed at sealing.")]
DirArgument = Annotated[Path, typer.Argument(help="The sealed drill folder.")]


@app.command("list")
def list_command() -> None:
    """List the bundled drill specs and the scenarios each may draw."""
    from drills.spec import bundled_drill_names, load_drill_spec

    for name in bundled_drill_names():
        with user_errors():
            loaded = load_drill_spec(name)
        library = ", ".join(f"{e.scenario} (weight {e.weight:g})" for e in loaded.spec.library)
        typer.echo(f"{name}: {loaded.spec.title}\n    library: {library}")


@app.command("seal")
def seal_command(
    spec: Annotated[str, typer.Argument(help="Drill spec file or bundled name.")],
    out: Annotated[Path, typer.Option(help="New folder for the sealed drill.")],
    entropy: Annotated[int | None, typer.Option(hidden=True, min=0,
                                                help="Fixed draws (tests only).")] = None,
) -> None:
    """Draw scenario, parameters, start time and seed from OS entropy; run the hidden
    simulation; write the encrypted packet, the commitment and the participants' brief."""
    from drills.seal import seal_drill

    started = time.perf_counter()
    with user_errors():
        key, folder = seal_drill(spec, out, entropy=entropy)
    commitment = (folder / "commitment.json").read_text(encoding="utf-8")
    import json

    digest = json.loads(commitment)["commitment"]
    typer.echo(f"sealed into {folder}/ in {time.perf_counter() - started:.1f} s")
    typer.echo(f"commitment (hand to the supervisors now): {digest}")
    typer.echo(f"participants' folder: {folder / 'participants'}/")
    typer.echo("")
    typer.echo("DRILL KEY — shown once, not stored anywhere. Give it to the exercise director; "
               "without it the drill cannot be served, exported or scored:")
    typer.echo(f"    {key}")


@app.command("verify")
def verify_command(
    folder: DirArgument,
    key: KeyArgument,
    commitment: Annotated[str | None, typer.Option(
        help="The commitment handed out before the drill, to compare.")] = None,
) -> None:
    """Prove the packet unchanged since sealing (exit 0: intact)."""
    from drills.seal import verify_drill

    with user_errors():
        digest = verify_drill(folder, key, commitment)
    typer.echo(f"packet intact: commitment {digest}")


@app.command("export")
def export_command(
    folder: DirArgument,
    key: KeyArgument,
    out: Annotated[Path, typer.Option(help="The controllers' folder (not inside the "
                                      "participants' area).")],
) -> None:
    """Write the controllers' material: MSEL (CSV, XLSX), task cards, timeline, brief."""
    from drills.injects import export_controller, write_xlsx
    from drills.seal import PARTICIPANTS, open_packet
    from sim.io import write_tree

    with user_errors():
        participants = (folder / PARTICIPANTS).resolve()
        target = out.resolve()
        if target == participants or participants in target.parents:
            raise ConfigError.single("--out", "", f"{out} is inside the participants' area: "
                                     "the MSEL belongs to the controllers")
        packet = open_packet(folder, key)
        files = export_controller(packet, packet.drill_spec())
        frame = files.pop("msel.xlsx")
        files["msel.xlsx"] = lambda path: write_xlsx(frame, path)
        try:
            written = write_tree(out, files)
        except OSError as exc:
            raise ConfigError.single("--out", "", f"cannot write to {out} ({exc})") from None
    typer.echo(f"controllers' material in {out}/: " + ", ".join(
        sorted({str(p.relative_to(out)).split('/')[0] for p in written})))


def _render(drill, released: list, now: float):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    status = drill.status(now)
    clock = status["clock"]
    state = "ended" if clock["ended"] else ("paused" if clock["paused"] else "running")
    head = Text(f"drill clock {clock['clock']}  (T+{clock['minute']:.0f} min of "
                f"{clock['end_minute']:.0f})  speed x{clock['speed']:g}  {state}  ·  "
                f"released {status.get('released', 0)}, pending {status.get('pending', 0)}, "
                f"decisions {status['decisions']}", style="bold")
    table = Table(title="recently released injects", title_justify="left", expand=True)
    for column in ("id", "time", "to", "synopsis"):
        table.add_column(column)
    for inject in released[-8:]:
        table.add_row(inject.id, inject.clock, inject.recipient, inject.synopsis_en)
    nxt = status.get("next")
    upcoming = Text(f"next: {nxt.id} at {nxt.clock} to {nxt.recipient}: "
                    f"{nxt.synopsis_en}" if nxt else "next: –")
    decisions = Table(title="latest decisions", title_justify="left", expand=True)
    for column in ("#", "T+min", "role", "action", "targets"):
        decisions.add_column(column)
    for d in drill.decisions()[-6:]:
        decisions.add_row(str(d.seq), f"{d.minute:.0f}", d.role, d.action, ", ".join(d.targets))
    parts = [head, upcoming, table, decisions]
    if status.get("rejected"):
        parts.append(Text(f"{status['rejected']} line(s) of participants/decisions.jsonl are "
                          "not valid decisions and are left out (drsim drill score lists them)",
                          style="bold red"))
    return Group(*parts)


@app.command("serve")
def serve_command(
    folder: DirArgument,
    key: Annotated[str, typer.Option(envvar=KEY_ENV, show_envvar=True,
                                     help="The drill key printed at sealing.")],
    speed: Annotated[float | None, typer.Option(help="Simulated minutes per wall minute "
                                                "(1: real time; default: the spec's).")] = None,
    refresh: Annotated[float, typer.Option(min=0.01, help="Seconds between updates.")] = 1.0,
    wait: Annotated[bool, typer.Option(help="Start the drill only at the sealed start time "
                                       "(a live double-blind drill: start serving in "
                                       "advance).")] = False,
) -> None:
    """Run the drill clock here, releasing injects into the roles' inboxes as their time comes
    (Ctrl-C pauses the drill; run serve again to resume)."""
    from rich.console import Console
    from rich.live import Live

    from drills.session import Drill

    with user_errors():
        drill = Drill.open(folder, key)
        if speed is not None and not speed > 0:
            raise ConfigError.single("--speed", "", "expected a speed > 0")
    if wait and not drill.clock().started:
        start = drill.packet.start.timestamp()
        try:
            while (left := start - time.time()) > 0:
                typer.echo(f"waiting for the sealed start: {left / 3600:.1f} h to go", err=True)
                time.sleep(min(left, 600.0))
        except KeyboardInterrupt:
            typer.echo("stopped before the start; nothing changed", err=True)
            raise typer.Exit(130) from None
    with user_errors():
        clock = drill.start(speed=speed)
        if clock.paused and not clock.ended:
            drill.resume()
    console = Console(highlight=False)
    released: list = []
    try:
        with Live(_render(drill, released, time.time()), console=console,
                  auto_refresh=False) as live:
            while True:
                now = time.time()
                released += drill.release_due(now)
                live.update(_render(drill, released, now), refresh=True)
                if drill.clock(now).ended:
                    released += drill.release_due(now)
                    break
                time.sleep(refresh)
    except KeyboardInterrupt:
        clock = drill.pause()
        typer.echo(f"paused at T+{clock.minute:.0f} min; run `drsim drill serve` again to "
                   "resume", err=True)
        raise typer.Exit(130) from None
    typer.echo(f"drill ended at T+{drill.clock().minute:.0f} min: {len(released)} injects "
               f"released, {len(drill.decisions())} decisions recorded. Score it with "
               f"`drsim drill score {folder} KEY`.")


@app.command("clock")
def clock_command(
    folder: DirArgument,
    key: Annotated[str | None, typer.Option(
        envvar=KEY_ENV, show_envvar=True,
        help="The drill key: shows the drill clock and allows changing it.")] = None,
    pause: Annotated[bool, typer.Option("--pause", help="Pause the drill clock.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Resume it.")] = False,
    speed: Annotated[float | None, typer.Option(help="Set the speed.")] = None,
    advance: Annotated[str | None, typer.Option(help="Jump ahead, e.g. 30min.")] = None,
    end: Annotated[bool, typer.Option("--end", help="End the drill now (then score it).")
                   ] = False,
) -> None:
    """Show the drill clock (with the key), or only whether the drill runs and the drill time
    of the latest message (without: what participants may know). Pausing, resuming, speed,
    jumping ahead and ending need the key."""
    from drills.session import Drill
    from sim.units import parse_duration

    with user_errors():
        if pause and resume:
            raise ConfigError.single("--pause", "", "give --pause or --resume, not both")
        changes = [name for name, given in (("--pause", pause), ("--resume", resume),
                                            ("--speed", speed is not None),
                                            ("--advance", advance is not None),
                                            ("--end", end)) if given]
        if changes and not key:
            raise ConfigError.single(changes[0], "", "changing the drill clock needs the drill "
                                     f"key (--key or {KEY_ENV})")
        drill = Drill.open(folder, key or None)
        clock = drill.clock()
        if not clock.started:
            raise ConfigError.single(str(folder), "", "the drill has not started (drsim drill "
                                     "serve starts it)")
        if pause:
            drill.pause()
        if resume:
            drill.resume()
        if speed is not None:
            drill.set_speed(speed)
        if advance is not None:
            try:
                minutes = parse_duration(advance)
            except ValueError as exc:
                raise ConfigError.single("--advance", "", str(exc)) from None
            drill.advance(minutes)
        if end:
            drill.end()
        clock = drill.clock()
    if clock.blind:
        latest = (f"latest message at T+{clock.minute:.0f} min ({clock.clock})" if clock.clock
                  else "no message released yet")
        typer.echo(f"drill {clock.state}; {latest}")
        return
    typer.echo(f"{clock.clock} (T+{clock.minute:.0f} min of {clock.end_minute:.0f}), "
               f"speed x{clock.speed:g}, {clock.state}")


@app.command("decide")
def decide_command(
    folder: Annotated[Path, typer.Argument(help="The participants' folder (or the drill "
                                           "folder holding it).")],
    role: Annotated[str, typer.Option(help="Your role id (roles.json).")],
    action: Annotated[str, typer.Option(help="warn, evacuate, shelter_in_place, open_shelter, "
                                        "mobilize_team, request_team, release_supplies, "
                                        "activate_agreement, close_road, reopen_road.")],
    targets: Annotated[str, typer.Option(help="Ids, comma-separated (targets.json).")],
    note: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    at: Annotated[str | None, typer.Option(help="Drill time of a decision taken earlier "
                                           "(e.g. 95min), not later than the latest "
                                           "message; default: now.")] = None,
) -> None:
    """Record a decision (no key needed): the controllers' drill clock stamps it."""
    from drills.session import Drill

    with user_errors():
        drill = Drill.open(folder)
        record = drill.record_decision(role, action, targets, note=note, minute=at)
    when = (f" at T+{record.at:.0f} min" if record.at is not None
            else " (stamped by the drill clock)")
    typer.echo(f"recorded #{record.seq}{when}: {record.role} {record.action} "
               f"{', '.join(record.targets)}")


@app.command("score")
def score_command(
    folder: DirArgument,
    key: KeyArgument,
    experiment: Annotated[Path | None, typer.Option(
        help="An experiment result folder: compare with its best option.")] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder (default DIR/score, for the "
                                             "controllers).")] = None,
    reps: Annotated[int, typer.Option(min=1, help="Paired replications (1: the hidden run's "
                                      "randomness only).")] = 1,
    lang: Annotated[str, typer.Option(help="Language of report.html: zh or en (score.json "
                                      "has both).")] = "zh",
    force: Annotated[bool, typer.Option("--force", help="Score a drill that has not ended "
                                        "(or not started) as it stands.")] = False,
) -> None:
    """Replay the decisions into the sealed scenario; compare with the plan's own response
    (and an experiment's best option); write score.json, report.html and figures."""
    from drills.score import score_drill

    started = time.perf_counter()
    with user_errors():
        report = score_drill(folder, key, experiment=experiment, replications=reps, out=out,
                             lang=lang, force=force)
    overall = report.overall
    typer.echo(f"overall rating: {overall['rating']} ({overall['rating_en']}); "
               f"{len(report.data['decisions'])} decisions, "
               f"{len(report.data['improvements'])} improvement items; "
               f"{time.perf_counter() - started:.1f} s")
    for rejected in report.data["rejected"]:
        typer.echo(f"  left out, not a valid decision: {rejected['file']}:{rejected['line']}: "
                   f"{rejected['reason']}")
    for objective in report.data["objectives"]:
        typer.echo(f"  {objective['item']} / {objective['name_en']}: {objective['rating']} "
                   f"({objective['rating_en']})")
    typer.echo(f"report: {report.out}/report.html")
