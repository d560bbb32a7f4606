"""The docs run: every ```toml block and every `drsim …` line in README.md and docs/**/*.md is
executed here, so the docs cannot drift from the code.

Rules (for docs authors; docs/README.md says the same):

* A ```toml block is parsed, then validated by the loader of what it is: a scenario (it has
  ``model``), an experiment spec (``base``) or a drill spec (``[[library]]``), written to a file
  of its own. Any other block is a **fragment**: each of its top-level tables is validated
  against that section of every model that has all of them (at least one must accept it).
* Directives go in an HTML comment on the line before the fence (readers do not see them),
  several separated by ``;``:

  - ``<!-- docs-test: merge into NAME -->`` (toml): the fragment's top-level tables replace
    those of the bundled scenario NAME and the whole is validated, cross-references included;
  - ``<!-- docs-test: file NAME -->`` (toml): the block is also written to NAME in the
    document's working folder before its commands run (so ``drsim run NAME`` can use it);
  - ``<!-- docs-test: fresh folder -->`` (shell): the block's commands run in a new empty
    folder (e.g. the same steps in a second language);
  - ``<!-- docs-test: first drsim … -->`` (shell): a hidden command run before the block's;
  - ``<!-- docs-test: skip REASON -->``: the block is not run (the reason is required).

* Shell blocks (```sh, ```bash, ```console, ```shell): each line starting with ``drsim `` or
  ``$ drsim `` runs in-process (typer's CliRunner on ``drsim.cli.app``), in order, in one
  working folder per document, and must exit 0, or the code its ``#`` comment names ("exit 2",
  "退出码 2"). Other lines are not commands of ours and are left alone. A line ending in ``\\``
  continues on the next. ``> FILE`` writes the command's output to FILE. ``cmd --a | --b x``
  (alternatives, each one option) runs ``cmd --a`` then ``cmd --b x``.
* Rewrites that keep the suite fast and repeatable: ``--reps N`` becomes at most ``--reps 2``
  (the fewest for which the 5–95 % ranges and paired statistics exist), ``drsim experiment
  run`` without ``--reps`` gets ``--reps 2``; ``drsim drill seal`` gets ``--entropy 1`` (fixed
  draws: the Zhumadian flood); the word ``KEY`` stands for the key the last seal printed.
* Commands that would not end by themselves are listed in :data:`LONG_RUNNING` with the reason
  and what is done instead; known failures of docs owned elsewhere are in :data:`XFAIL`
  (strict: a fixed doc must leave the list).
"""

from __future__ import annotations

import re
import shlex
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError
from typer.testing import CliRunner

from drsim.cli import app
from models.catalog import MODELS
from models.loading import load_scenario
from sim.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
SHELLS = {"sh", "bash", "console", "shell"}
MAX_REPS = 2
SEAL_ENTROPY = "1"


def _rel(path: Path) -> str:
    """A document's name as XFAIL and the messages give it (relative to the repository)."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


# --- reading the docs --------------------------------------------------------------------------

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$")


@dataclass
class Block:
    doc: Path
    line: int            # of the opening fence, 1-based
    lang: str
    text: str
    directives: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{_rel(self.doc)}:{self.line}"

    @property
    def first_line(self) -> str:
        """The block's first line of content (how XFAIL names a block: stable under edits)."""
        return next((s.strip() for s in self.text.splitlines() if s.strip()), "")

    def directive(self, name: str) -> str | None:
        """The argument of directive ``name`` ("" if it takes none), None if absent."""
        for item in self.directives:
            if item == name or item.startswith(name + " "):
                return item[len(name):].strip()
        return None


def blocks(doc: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with the directives of the line before each."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, lang = match.groups()
        body, j = [], i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        directive = DIRECTIVE.match(before)
        directives = ([d.strip() for d in directive.group(1).split(";") if d.strip()]
                      if directive else [])
        found.append(Block(doc, i + 1, lang.lower(), "\n".join(body) + "\n", directives))
        i = j + 1
    return found


ALL_BLOCKS = [b for doc in DOCS for b in blocks(doc)]
TOML_BLOCKS = [b for b in ALL_BLOCKS if b.lang == "toml"]


# --- known exceptions --------------------------------------------------------------------------

# (document, first line of the toml block or start of the command) -> why it fails today.
XFAIL: dict[tuple[str, str], str] = {}

# Commands that do not end by themselves: (start of the command, reason, what runs instead
# or None to skip it).
LONG_RUNNING: list[tuple[str, str, Callable[[list[str]], None] | None]] = []


def _start_drill(args: list[str]) -> None:
    """What ``drsim drill serve`` does before its loop: start (or resume) the drill clock."""
    from drills.session import Drill

    folder = args[2]
    key = args[args.index("--key") + 1]
    speed = float(args[args.index("--speed") + 1]) if "--speed" in args else None
    drill = Drill.open(folder, key)
    clock = drill.start(speed=speed)
    if clock.paused and not clock.ended:
        drill.resume()


LONG_RUNNING += [
    ("drsim dashboard", "serves the Streamlit app until Ctrl-C (tests/dashboard runs the app)",
     None),
    ("drsim drill serve --wait", "waits for the sealed start time, up to 30 days ahead", None),
    ("drsim drill serve", "runs the drill clock in real time until the drill ends (72 min for "
     "the flood tabletop); instead the clock is started as serve starts it", _start_drill),
]


def _long_running(args: list[str]):
    words = ["drsim", *args]
    for prefix, reason, instead in LONG_RUNNING:
        wanted = prefix.split()
        head = [w for w in wanted if not w.startswith("--")]
        flags = [w for w in wanted if w.startswith("--")]
        if words[:len(head)] == head and all(f in words for f in flags):
            return prefix, reason, instead
    return None


# --- toml blocks -------------------------------------------------------------------------------


def _check_fragment(data: dict, where: str) -> None:
    """Validate each top-level table against that section of every model having all of them."""
    fits = [spec for spec in MODELS.values() if set(data) <= set(spec.scenario.model_fields)]
    assert fits, (f"{where}: no model has the sections {sorted(data)} (mark the block with "
                  "<!-- docs-test: skip REASON --> if it is not a drsim scenario)")
    problems = []
    for spec in fits:
        try:
            for key, value in data.items():
                TypeAdapter(spec.scenario.model_fields[key].annotation).validate_python(value)
            return
        except ValidationError as exc:
            problems.append(f"model {spec.name!r}: {exc}")
    raise AssertionError(f"{where}: " + "\n".join(problems))


def check_toml(block: Block, folder: Path) -> None:
    try:
        data = tomllib.loads(block.text)
    except tomllib.TOMLDecodeError as exc:
        raise AssertionError(f"{block.where}: not TOML: {exc}") from None
    path = folder / "block.toml"
    path.write_text(block.text, encoding="utf-8")
    try:
        if (name := block.directive("merge into")) is not None:
            load_scenario(name, data)
        elif "model" in data:
            load_scenario(path)
        elif "base" in data:
            from experiments.spec import load_spec

            load_spec(path)
        elif "library" in data:
            from drills.spec import load_drill_spec

            load_drill_spec(path)
        else:
            _check_fragment(data, block.where)
    except ConfigError as exc:
        raise AssertionError(f"{block.where}: {exc.one_line()}") from None


def _id(block: Block) -> str:
    return f"{block.where} {block.first_line[:30].strip()}"


def _toml_params():
    for block in TOML_BLOCKS:
        marks = []
        if (reason := block.directive("skip")) is not None:
            marks.append(pytest.mark.skip(reason=reason or "no reason given"))
        if (reason := XFAIL.get((_rel(block.doc), block.first_line))) is not None:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        yield pytest.param(block, id=_id(block), marks=marks)


@pytest.mark.parametrize("block", list(_toml_params()))
def test_toml_block_is_valid(block, tmp_path):
    check_toml(block, tmp_path)


# --- shell blocks ------------------------------------------------------------------------------

EXIT = re.compile(r"\bexit (?:code )?(\d+)\b|退出码\s*(\d+)")


def _split_comment(line: str) -> tuple[str, str]:
    """(command, comment): the comment starts at the first ``#`` outside quotes after a space."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


@dataclass
class Command:
    where: str
    text: str             # as written (without the comment)
    args: list[str]       # after "drsim", before rewrites
    exit_code: int = 0
    output: str | None = None   # "> FILE"


def commands(block: Block) -> list[Command]:
    """The ``drsim`` command lines of a shell block (continuations joined, alternatives
    expanded), hidden ``first`` commands before them."""
    raw: list[tuple[int, str]] = [(block.line, d.removeprefix("first").strip())
                                  for d in block.directives if d.startswith("first ")]
    pending, start = "", 0
    for offset, line in enumerate(block.text.splitlines(), start=1):
        if not pending:
            start = block.line + offset
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        raw.append((start, pending + line))
        pending = ""
    found = []
    for line_no, line in raw:
        line = line.strip().removeprefix("$ ")
        if not line.startswith("drsim "):
            continue
        text, comment = _split_comment(line)
        code = EXIT.search(comment)
        exit_code = int(code.group(1) or code.group(2)) if code else 0
        tokens = shlex.split(text)[1:]
        output = None
        if ">" in tokens:
            at = tokens.index(">")
            output, tokens = tokens[at + 1], tokens[:at]
        where = f"{_rel(block.doc)}:{line_no}"
        if "|" in tokens:
            groups, group = [], []
            for token in tokens:
                if token == "|":
                    groups.append(group)
                    group = []
                else:
                    group.append(token)
            groups.append(group)
            alternatives = groups[1:]
            assert all(alt and alt[0].startswith("--") for alt in alternatives), (
                f"{where}: a pipe: only `cmd --a | --b` (alternatives) is run here")
            first = groups[0]
            cut = max(i for i, t in enumerate(first) if t.startswith("--"))
            base, alternatives = first[:cut], [first[cut:], *alternatives]
            found += [Command(where, text, base + alt, exit_code, output)
                      for alt in alternatives]
        else:
            found.append(Command(where, text, tokens, exit_code, output))
    return found


def rewrite(args: list[str], key: str | None) -> list[str]:
    """Small replication counts, fixed drill draws, the sealed key (see the module docstring)."""
    out = list(args)
    if "--reps" in out:
        at = out.index("--reps") + 1
        out[at] = str(min(int(out[at]), MAX_REPS))
    elif out[:2] == ["experiment", "run"]:
        out += ["--reps", str(MAX_REPS)]
    if out[:2] == ["drill", "seal"] and "--entropy" not in out:
        out += ["--entropy", SEAL_ENTROPY]
    if "KEY" in out:
        assert key is not None, "KEY used before any `drsim drill seal` printed one"
        out = [key if word == "KEY" else word for word in out]
    return out


KEY_LINE = re.compile(r"DRILL KEY.*\n\s+(\S+)")


def run_document(doc: Path, folder: Path, monkeypatch) -> None:
    """Run the document's commands in order, in ``folder`` (or fresh ones where it says)."""
    doc_blocks = blocks(doc)
    files = {b.directive("file"): b.text for b in doc_blocks if b.directive("file")}
    runner = CliRunner()
    key: str | None = None

    def enter(where: Path) -> None:
        where.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (where / name).write_text(text, encoding="utf-8")
        monkeypatch.chdir(where)

    enter(folder)
    for block in doc_blocks:
        if block.lang not in SHELLS or block.directive("skip") is not None:
            continue
        if block.directive("fresh folder") is not None:
            enter(folder.parent / f"{folder.name}-{block.line}")
            key = None
        for command in commands(block):
            xfail = next((reason for (d, start), reason in XFAIL.items()
                          if d == _rel(doc) and command.text.startswith(start)), None)
            long_running = _long_running(command.args)
            args = rewrite(command.args, key)
            if long_running is not None:
                instead = long_running[2]
                if instead is not None:
                    instead(args)
                continue
            result = runner.invoke(app, args, env={"DRSIM_DRILL_KEY": None, "COLUMNS": "120"})
            failed = result.exit_code != command.exit_code
            if xfail is not None:
                assert failed, (f"{command.where}: `{command.text}` works now: remove it from "
                                f"XFAIL ({xfail})")
                continue
            if failed:
                trace = ("".join(traceback.format_exception(result.exception))
                         if result.exception and not isinstance(result.exception, SystemExit)
                         else "")
                raise AssertionError(
                    f"{command.where}: `drsim {' '.join(args)}` exited {result.exit_code}, "
                    f"expected {command.exit_code}:\n{result.output}{trace}")
            if command.output is not None:
                Path(command.output).write_text(result.stdout, encoding="utf-8")
            if args[:2] == ["drill", "seal"]:
                key = KEY_LINE.search(result.output).group(1)


def _has_commands(doc: Path) -> bool:
    return any(commands(b) for b in blocks(doc) if b.lang in SHELLS)


# The documents whose commands take more than a few seconds (experiments, drills, the city).
SLOW_DOCS = {"README.md", "docs/experiments.md", "docs/drills.md"}


@pytest.mark.parametrize("doc", [
    pytest.param(doc, id=_rel(doc),
                 marks=[pytest.mark.slow] if _rel(doc) in SLOW_DOCS else [])
    for doc in DOCS if _has_commands(doc)])
def test_document_commands_run(doc, tmp_path, monkeypatch):
    run_document(doc, tmp_path / doc.stem, monkeypatch)


# --- the rules themselves ----------------------------------------------------------------------


def test_every_exception_listed_here_still_matches_a_doc():
    """XFAIL and LONG_RUNNING entries that no longer match anything must go."""
    every = [(b, c) for b in ALL_BLOCKS if b.lang in SHELLS for c in commands(b)]
    for (doc, start), _ in XFAIL.items():
        assert any(_rel(b.doc) == doc and (c.text.startswith(start)) for b, c in every) or any(
            _rel(b.doc) == doc and b.first_line == start for b in TOML_BLOCKS), (doc, start)
    for prefix, _, _ in LONG_RUNNING:
        assert any(_long_running(c.args) and _long_running(c.args)[0] == prefix
                   for _, c in every), prefix


def test_shell_lines_are_read_as_the_docs_mean_them(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("\n".join([
        "<!-- docs-test: first drsim list -->",
        "```console",
        "$ drsim run a.toml --reps 20 --set 'x={a=\"#1\"}'   # KPI table (exit 0)",
        "drsim validate bad.toml            # one line per problem, exit 2",
        "make demo",
        "drsim drill clock D --key KEY --pause | --speed 120 | --end",
        "drsim schema > s.json",
        "drsim experiment run spec \\",
        "    --executor local:2",
        "```",
    ]) + "\n", encoding="utf-8")
    (block,) = blocks(doc)
    found = commands(block)
    assert [(c.args, c.exit_code, c.output) for c in found] == [
        (["list"], 0, None),
        (["run", "a.toml", "--reps", "20", "--set", 'x={a="#1"}'], 0, None),
        (["validate", "bad.toml"], 2, None),
        (["drill", "clock", "D", "--key", "KEY", "--pause"], 0, None),
        (["drill", "clock", "D", "--key", "KEY", "--speed", "120"], 0, None),
        (["drill", "clock", "D", "--key", "KEY", "--end"], 0, None),
        (["schema"], 0, "s.json"),
        (["experiment", "run", "spec", "--executor", "local:2"], 0, None),
    ]
    assert rewrite(found[1].args, None)[:4] == ["run", "a.toml", "--reps", "2"]
    assert rewrite(found[7].args, None)[-2:] == ["--reps", "2"]
    assert rewrite(["drill", "seal", "s", "--out", "d"], None)[-2:] == ["--entropy", "1"]
    assert rewrite(found[3].args, "k3y")[4] == "k3y"
    assert _long_running(["drill", "serve", "D", "--key", "K", "--wait"])[0] == (
        "drsim drill serve --wait")
    assert _long_running(["drill", "serve", "D", "--key", "K"])[0] == "drsim drill serve"
    assert _long_running(["drill", "score", "D", "K"]) is None


def test_toml_blocks_are_checked_by_what_they_are(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("\n".join([
        "```toml", "[queue]", "servers = 0", "```",
        "<!-- docs-test: merge into tiny-flood -->",
        "```toml", "[orders]", "[[orders.orders]]", 'at = "1h"', 'action = "warn"',
        'targets = ["nowhere"]', "```",
        "```toml", "[hazzard]", "x = 1", "```",
        "```toml", 'model = "queue"', "```",
        "<!-- docs-test: merge into tiny-flood -->",
        "```toml", "[orders]", "[[orders.orders]]", 'at = "1h"', 'action = "warn"',
        'targets = ["riverside"]', "```",
    ]) + "\n", encoding="utf-8")
    bad_section, bad_target, no_section, bad_scenario, good = blocks(doc)
    with pytest.raises(AssertionError, match="greater than or equal to 1"):
        check_toml(bad_section, tmp_path)
    with pytest.raises(AssertionError, match="nowhere"):
        check_toml(bad_target, tmp_path)
    with pytest.raises(AssertionError, match="no model has the sections"):
        check_toml(no_section, tmp_path)
    with pytest.raises(AssertionError, match="x.md:17"):
        check_toml(bad_scenario, tmp_path)
    check_toml(good, tmp_path)


def test_a_listed_failure_must_fail_and_a_fixed_one_must_leave_the_list(tmp_path, monkeypatch):
    doc = tmp_path / "x.md"
    doc.write_text("```sh\ndrsim validate missing.toml\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="exited 2, expected 0"):
        run_document(doc, tmp_path / "a", monkeypatch)
    monkeypatch.setitem(XFAIL, ("x.md", "drsim validate missing"), "no such file")
    run_document(doc, tmp_path / "b", monkeypatch)
    doc.write_text("```sh\ndrsim validate tiny-flood\n```\n", encoding="utf-8")
    monkeypatch.setitem(XFAIL, ("x.md", "drsim validate tiny"), "was broken")
    with pytest.raises(AssertionError, match="works now: remove it from XFAIL"):
        run_document(doc, tmp_path / "c", monkeypatch)
