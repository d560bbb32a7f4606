"""Double-blind drills: sealed scenarios, inject lists, decision capture and scoring (not built yet:
see the drills issue). Layer position: imports experiments, models and sim."""
