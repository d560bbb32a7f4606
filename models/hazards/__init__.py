"""Hazard physics, without the response: flood depth and velocity per zone, generated or imported
from NetCDF (``flood``); chemical source terms (``source``); Gaussian plume and puff dispersion
(``plume``); what a toxic concentration does to people (``toxicity``)."""
