"""Response parts both hazard models use (flood and chemical release).

* :mod:`models.response.roads`: the ``[roads]`` network, link names, closure windows (to
  everyone or to the public only), water on roads, routing, convoys, travel minutes;
* :mod:`models.response.orders`: when a commander's order takes effect;
* :mod:`models.response.cohorts`: from warnings to cohorts (warning chain, people present,
  cohorts by alert and action time).

The hazard physics is in :mod:`models.hazards`, the schemas shared by every model in
:mod:`models.orders`, :mod:`models.warnings`, :mod:`models.zones`.
"""
