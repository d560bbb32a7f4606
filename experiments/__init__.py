"""Monte Carlo experiments over capability options and uncertainties (not built yet: see the
experiments issue). Layer position: imports models and sim; imported by drills and dashboard."""
