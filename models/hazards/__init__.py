"""Hazard physics, no response: flood depth/velocity fields, generated or imported (``flood``),
chemical source terms (``source``), plume and puff dispersion (``plume``), toxicity
(``toxicity``)."""
