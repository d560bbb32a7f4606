"""The hazardous-chemical release model: source, plume, warning, protective action, hazmat, EMS.

``scenario`` holds the schema, ``run`` one replication, ``spec`` what the layers above read
(KPIs, levers, orders, series, map layers). See docs/models/chemical.md.
"""

from models.chemical.run import ChemicalRun, build_chemical
from models.chemical.scenario import ChemicalScenario

__all__ = ["ChemicalRun", "ChemicalScenario", "build_chemical"]
