"""Streamlit dashboard for leaders, analysts and drill controllers (not built yet: see the dashboard
issue). Layer position: imports drills, experiments, models and sim."""
