"""Streamlit dashboard for leaders, analysts and drill controllers (see docs/dashboard.md).

``drsim dashboard`` runs :data:`APP_PATH` with Streamlit. Pages live in ``dashboard/views``;
they call :mod:`dashboard.service` (cached runs), :mod:`dashboard.levers` (widgets for the levers
a model's spec declares) and :mod:`dashboard.charts` (plotly figures). Everything about a model
(KPIs, levers, series, map layers) comes from its spec (``models.catalog.spec_for``); no page
names a model. Layer position: imports drills, experiments, reporting, models and sim.
"""

from pathlib import Path

APP_PATH = Path(__file__).resolve().parent / "app.py"


def server_command(port: int = 8501, address: str = "127.0.0.1", headless: bool = False
                   ) -> list[str]:
    """The command line starting the dashboard's server (used by ``drsim dashboard`` and the
    browser tests): :mod:`dashboard.serve` (``streamlit run`` with the models imported first),
    uploads capped at 1 MB, the developer toolbar hidden, no usage statistics."""
    import sys

    return [sys.executable, "-m", "dashboard.serve",
            "--server.port", str(port), "--server.address", address,
            "--server.headless", "true" if headless else "false",
            "--server.maxUploadSize", "1", "--client.toolbarMode", "viewer",
            "--browser.gatherUsageStats", "false"]
