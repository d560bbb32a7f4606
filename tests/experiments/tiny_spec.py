"""The small experiment spec the experiment tests share: tiny-flood, two options (baseline and
three more boat crews), two uncertainties (river peak, share who never act)."""


def tiny_spec(name: str = "tiny-options", replications: int = 6, root_seed: int = 7,
              chunk_size: int = 2, header: str = "", outcomes: str = "") -> str:
    """The spec's TOML text; ``header`` adds top-level lines after ``name``, ``outcomes`` adds
    ``[[outcomes]]`` tables after deaths and warning coverage."""
    return f"""\
schema_version = 1
name = "{name}"
{header}base = "tiny-flood"
replications = {replications}
design = "lhs"
root_seed = {root_seed}
chunk_size = {chunk_size}

[[uncertainties]]
path = "hazard.gauges.0.peak_stage_m"
distribution = {{ triangular = [23.5, 24.8, 26.0] }}

[[uncertainties]]
path = "warnings.never_act"
distribution = {{ uniform = [0.05, 0.2] }}

[[options]]
name = "baseline"

[[options]]
name = "more-boats"
cost_capital_cny = 2e6
overrides = {{ "rescue.teams.0.count" = 6 }}

[[outcomes]]
kpi = "deaths"

[[outcomes]]
kpi = "warning_coverage"
{outcomes}"""
