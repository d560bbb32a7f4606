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


# --- +inf ("never within the horizon") in the report's tables --------------------------------

def _reach():
    import pandas as pd

    from experiments.analysis import kpi_summary, paired_differences
    from experiments.spec import ExperimentSpec

    inf = float("inf")
    table = pd.DataFrame({
        "option": ["baseline"] * 4 + ["boats"] * 4, "option_index": [0] * 4 + [1] * 4,
        "replication": list(range(4)) * 2,
        "rescue_reach_p90_min": [90, inf, inf, 55, 50, 60, inf, 45]})
    spec = ExperimentSpec.model_validate({
        "schema_version": 1, "name": "reach", "base": "tiny-flood", "replications": 4,
        "options": [{"name": "baseline"}, {"name": "boats"}],
        "outcomes": [{"kpi": "rescue_reach_p90_min"}]})
    return kpi_summary(table, spec), paired_differences(table, spec)


def test_a_mean_with_never_is_words_and_never_is_never_inf_or_nan() -> None:
    from experiments.report import _markdown_table, shown_differences, shown_summary

    summary, diffs = _reach()
    text = _markdown_table(shown_summary(summary))
    assert "no mean: 2 of 4 runs not within the horizon" in text          # baseline
    assert "no mean: 1 of 4 runs not within the horizon" in text          # boats
    assert "not within the horizon" in text                               # p95 = +inf
    diff_text = _markdown_table(shown_differences(diffs))
    assert "no mean: 1 of 4 pairs not within the horizon on one side" in diff_text
    for table in (text, diff_text):
        cells = [c.strip() for line in table.splitlines() for c in line.split("|")]
        assert not any(c in ("inf", "-inf", "nan", "NaN") for c in cells), table
    # A finite mean is still a number.
    finite = summary.assign(n_inf=0, mean=57.5)
    assert "57.5" in _markdown_table(shown_summary(finite))
