"""drsim run --out: timeline.png and map.png (what the model's spec draws), written in the same
all-or-nothing step as the data files."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import pytest

import reporting.figures
import reporting.runs
from sim.output import write_run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) > 0
    assert data[:8] == PNG_SIGNATURE
    image = mpimg.imread(path)
    assert image.shape[:2] == (800, 1200)
    assert image.size > 0


def test_flood_run_writes_timeline_and_map(invoke, tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    result = invoke("run", "tiny-flood", "--reps", "2", "--no-progress", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "extras.json", "kpi_summary.csv", "kpis.csv", "manifest.json", "map.png",
        "timeline.png", "timeseries.parquet"]
    for name in ("timeline.png", "map.png"):
        assert_png(out / name)
    listing = " ".join(result.stdout.split())        # rich may wrap the file list
    assert "timeline.png, map.png, manifest.json" in listing
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_queue_run_writes_a_timeline_but_no_map(invoke, tmp_path: Path) -> None:
    out = tmp_path / "queue"
    result = invoke("run", "mmc-reference", "--set", "horizon=4h", "--no-progress", "--out", out)
    assert result.exit_code == 0, result.output
    assert_png(out / "timeline.png")
    assert not (out / "map.png").exists()


def test_chemical_run_writes_a_timeline_and_a_map(invoke, tmp_path: Path) -> None:
    out = tmp_path / "plume"
    result = invoke("run", "tiny-plume", "--no-progress", "--out", out)
    assert result.exit_code == 0, result.output
    for name in ("timeline.png", "map.png"):
        assert_png(out / name)


def test_without_out_no_figures_are_made(invoke, tmp_path: Path, monkeypatch) -> None:
    def fail(*_args, **_kwargs):
        raise AssertionError("figures built without --out")

    monkeypatch.setattr(reporting.runs, "figures_for", fail)
    result = invoke("run", "mmc-reference", "--set", "horizon=4h", "--no-progress")
    assert result.exit_code == 0, result.output


def test_a_figure_that_cannot_be_written_leaves_nothing(invoke, tmp_path: Path,
                                                        monkeypatch) -> None:
    def broken(fig, path, dpi=120):
        Path(path).write_bytes(b"\x89PNG half")       # a partial file, then the failure
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reporting.figures, "save_png", broken)
    out = tmp_path / "results" / "queue"
    result = invoke("run", "mmc-reference", "--set", "horizon=4h", "--no-progress", "--out", out)
    assert result.exit_code == 2
    assert "cannot write there (No space left on device)" in result.stderr
    assert not out.exists()
    assert not [p for p in out.parent.iterdir()]      # no staging folder left either


def test_write_run_refuses_extra_files_that_clash_with_run_files(tmp_path: Path) -> None:
    for name in ("kpis.csv", "manifest.json", "sub/plot.png"):
        with pytest.raises(ValueError, match="extra file"):
            write_run(tmp_path / "out", [], {}, extra_files={name: lambda p: None})
    assert not (tmp_path / "out").exists()
