"""Monte Carlo experiments: capability options (levers, L) under uncertainties (X), outcomes (M)
against the plan targets, with common random numbers.

``spec`` reads experiment files; ``design`` gives each replication index its uncertainty values;
``executors`` run the replications (serial, local processes, Dask) and ``run`` plans and runs
them into the resumable result folder of ``store``; ``analysis`` and ``sensitivity`` (SALib)
compare the options; ``report`` writes Markdown/HTML; ``cli`` is ``drsim experiment``. See
docs/experiments.md. Layer position: imports models and sim; imported by drills, dashboard and
drsim.
"""
