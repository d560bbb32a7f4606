"""drsim's domain layer: scenario schema, bundled scenarios and the models that build runs.

Entry points: :func:`models.loading.load_scenario` reads a scenario file or bundled name, and
:func:`models.catalog.build` registers the right model's processes for a replication.
"""
