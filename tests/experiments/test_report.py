"""The experiment report: every figure and table from a real (tiny) experiment run."""

from pathlib import Path

import matplotlib.image as mpimg
import pytest
from tiny_spec import tiny_spec
from typer.testing import CliRunner

from drsim.cli import app

SPEC = tiny_spec(
    "tiny-report", replications=12, root_seed=3, chunk_size=6,
    header='title = "Tiny report"\ndescription = "Two options on tiny-flood."\n',
    outcomes='\n[[outcomes]]\nkpi = "basic_needs_met_hours"\n')


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    spec = root / "tiny-report.toml"
    spec.write_text(SPEC, encoding="utf-8")
    out = root / "results"
    runner = CliRunner()
    result = runner.invoke(app, ["experiment", "run", str(spec), "--out", str(out),
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["experiment", "report", str(out)])
    assert result.exit_code == 0, result.output
    assert "report written" in result.output
    return out


def test_report_has_every_figure_and_table(report_folder: Path) -> None:
    figures = {p.name for p in (report_folder / "figures").glob("*.png")}
    assert {"targets.png", "distribution-deaths.png", "difference-deaths.png",
            "distribution-basic_needs_met_hours.png", "frontier.png",
            "sensitivity-deaths.png"} <= figures
    tables = {p.name for p in (report_folder / "tables").glob("*.csv")}
    assert {"kpi_summary.csv", "paired_differences.csv", "target_probabilities.csv",
            "cost_effectiveness.csv", "robustness.csv", "sensitivity-deaths.csv"} <= tables
    for png in (report_folder / "figures").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert mpimg.imread(png).shape[0] > 100


def test_markdown_and_html_reference_every_figure(report_folder: Path) -> None:
    markdown = (report_folder / "report.md").read_text(encoding="utf-8")
    page = (report_folder / "report.html").read_text(encoding="utf-8")
    for png in (report_folder / "figures").glob("*.png"):
        assert f"figures/{png.name}" in markdown
        assert f'src="figures/{png.name}"' in page
    assert "Plan targets" in markdown and "<table>" in page
    assert "paired replications" in markdown
    assert "sampling noise" in markdown   # negative sensitivity indices are explained


def test_report_of_a_folder_without_results_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["experiment", "report", str(tmp_path)])
    assert result.exit_code == 2
    assert "no manifest.json" in result.output
    assert "Traceback" not in result.output
