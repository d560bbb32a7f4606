"""Streamlit dashboard for leaders, analysts and drill controllers (see docs/dashboard.md).

``drsim dashboard`` runs :data:`APP_PATH` with Streamlit. Pages live in ``dashboard/views``;
they call :mod:`dashboard.service` (cached runs), :mod:`dashboard.levers` (what a leader can
change) and :mod:`dashboard.charts` (plotly figures). Layer position: imports drills,
experiments, models and sim.
"""

from pathlib import Path

APP_PATH = Path(__file__).resolve().parent / "app.py"
