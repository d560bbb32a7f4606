"""Start the dashboard's Streamlit server with the models already imported.

``python -m dashboard.serve [streamlit options]`` is ``streamlit run dashboard/app.py`` in a
process that has imported the model stack (SciPy, pandas, the models, plotly) before the server
starts: Streamlit runs pages in the server process, so the first visitor's page no longer pays
for those imports (about 2 s here).
"""

import sys

from streamlit.web import cli

import dashboard.charts
import dashboard.levers
import dashboard.service  # noqa: F401  (imported for its side effect: warm modules)
from dashboard import APP_PATH
from models.loading import bundled_names, load_scenario


def main() -> None:
    # Validate every bundled scenario once so pydantic's validators are built (and a broken
    # installation shows before anyone opens the page).
    for name in bundled_names():
        load_scenario(name)
    sys.argv = ["streamlit", "run", str(APP_PATH), *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
