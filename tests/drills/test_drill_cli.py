"""``drsim drill ...`` through typer's test runner, and one real process: exit codes, one-line
errors, the key shown once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from drill_specs import spec_text

KEY = re.compile(r"^    ([A-Za-z0-9_-]{43}=)$", re.M)


def _seal(invoke, tmp_path: Path, *scenarios: str) -> tuple[str, Path]:
    spec = tmp_path / "spec.toml"
    spec.write_text(spec_text(*(scenarios or ("tiny-flood",))), encoding="utf-8")
    out = tmp_path / "drill"
    result = invoke("drill", "seal", spec, "--out", out, "--entropy", 4)
    assert result.exit_code == 0, result.output
    keys = KEY.findall(result.output)
    assert len(keys) == 1                               # shown once
    assert "shown once" in result.output and "commitment" in result.output
    return keys[0], out


def test_list_names_the_bundled_specs(invoke) -> None:
    result = invoke("drill", "list")
    assert result.exit_code == 0
    assert "zhumadian-flood-drill" in result.output and "zhumadian-ammonia" in result.output
    assert "tiny-drill" in result.output


def test_a_tabletop_journey(invoke, tmp_path: Path) -> None:
    """Seal, verify, export, serve accelerated, two decisions, clock, score."""
    key, folder = _seal(invoke, tmp_path)
    for path in folder.rglob("*"):
        assert not path.is_file() or key.encode() not in path.read_bytes()
    assert invoke("drill", "verify", folder, key).output.startswith("packet intact")
    assert invoke("drill", "export", folder, key, "--out", tmp_path / "ctrl").exit_code == 0
    # Serve far faster than any real drill: the 36 h flood is over in about 0.1 s.
    served = invoke("drill", "serve", folder, "--key", key, "--speed", 1e6, "--refresh", 0.02)
    assert served.exit_code == 0, served.output
    assert "drill ended" in served.output
    inbox = (folder / "participants" / "city-eoc.jsonl").read_text(encoding="utf-8")
    assert "INJ-001" in inbox
    for args in (("--role", "city-eoc", "--action", "evacuate", "--targets", "riverside,town",
                  "--at", "5h"),
                 ("--role", "shelters", "--action", "open_shelter", "--targets",
                  "hill-school", "--at", "6h", "--note", "开放")):
        result = invoke("drill", "decide", folder / "participants", *args)  # what they hold
        assert result.exit_code == 0, result.output
        assert result.output.startswith("recorded #")
    clock = invoke("drill", "clock", folder / "participants", env={"DRSIM_DRILL_KEY": None})
    assert clock.exit_code == 0 and clock.output.startswith("drill ended; latest message at T+")
    assert "speed" not in clock.output and " of " not in clock.output
    clock = invoke("drill", "clock", folder, "--key", key)
    assert clock.exit_code == 0 and "speed x1e+06, ended" in clock.output
    scored = invoke("drill", "score", folder, "--out", tmp_path / "score", "--lang", "en",
                    env={"DRSIM_DRILL_KEY": key})
    assert scored.exit_code == 0, scored.output
    assert "overall rating" in scored.output
    assert (tmp_path / "score" / "report.html").exists()


def test_a_wrong_key_is_one_line_and_exit_2(invoke, sealed_flood, sealed_plume) -> None:
    _, folder = sealed_flood
    wrong, _ = sealed_plume
    for command in (("verify", folder, wrong), ("score", folder, wrong),
                    ("export", folder, wrong, "--out", folder.parent / "ctrl-x")):
        result = invoke("drill", *command)
        assert result.exit_code == 2, command
        assert result.output.count("\n") == 1
        assert result.output.startswith("error: ") and "cannot be decrypted" in result.output
        assert "Traceback" not in result.output
    assert not (folder.parent / "ctrl-x").exists()
    assert not (folder / "score").exists()


def test_bad_decisions_on_the_command_line(invoke, flood_copy) -> None:
    key, folder = flood_copy
    result = invoke("drill", "decide", folder, "--role", "city-eoc", "--action", "warn",
                    "--targets", "town")
    assert result.exit_code == 2 and "the drill has not started" in result.output
    invoke("drill", "clock", folder)                             # no clock yet: still fine
    assert invoke("drill", "serve", folder, "--key", key, "--speed", 1e6,
                  "--refresh", 0.02).exit_code == 0
    before = (folder / "participants" / "decisions.jsonl").exists()
    result = invoke("drill", "decide", folder, "--role", "city-eoc", "--action", "evacuate",
                    "--targets", "atlantis", "--at", "1h")
    assert result.exit_code == 2
    assert result.output == "error: decision: targets: unknown zone 'atlantis' (see " \
                            "participants/targets.json)\n"
    assert (folder / "participants" / "decisions.jsonl").exists() == before


def test_bad_spec_and_bad_folder(invoke, tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(spec_text("tiny-flood").replace("weight = 1", "weight = -1"),
                    encoding="utf-8")
    result = invoke("drill", "seal", spec, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {spec}:") and "library[0].weight" in result.output
    assert not (tmp_path / "out").exists()
    result = invoke("drill", "verify", tmp_path, "x" * 43 + "=")
    assert result.exit_code == 2 and "commitment.json: missing" in result.output


@pytest.mark.slow
def test_seal_and_a_wrong_key_in_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    drsim = [sys.executable, "-m", "drsim"]
    out = tmp_path / "drill"
    sealed = subprocess.run([*drsim, "drill", "seal", "tiny-drill", "--out", str(out)],
                            capture_output=True, text=True, encoding="utf-8", env=env,
                            timeout=120, check=False)
    assert sealed.returncode == 0, sealed.stderr
    key = KEY.findall(sealed.stdout)[0]
    ok = subprocess.run([*drsim, "drill", "verify", str(out), key], capture_output=True,
                        text=True, encoding="utf-8", env=env, timeout=120, check=False)
    assert ok.returncode == 0 and ok.stdout.startswith("packet intact")
    wrong = key[:10] + ("A" if key[10] != "A" else "B") + key[11:]
    bad = subprocess.run([*drsim, "drill", "verify", str(out), wrong], capture_output=True,
                         text=True, encoding="utf-8", env=env, timeout=120, check=False)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: ")
