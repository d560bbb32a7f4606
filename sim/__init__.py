"""drsim's simulation engine: SimPy helpers that know nothing about disasters.

Random streams, monitors, monitored resources, a structured trace, configuration loading and
the replication runner. Higher layers (``models``, ``experiments`` …) build on it; it imports
none of them.
"""

from sim.config import ConfigError, StrictModel
from sim.monitors import LevelMonitor, TallyMonitor
from sim.resources import MonitoredPriorityResource, MonitoredResource
from sim.runner import ReplicationContext, ReplicationResult, run_replication, run_replications
from sim.streams import Streams
from sim.trace import Trace

__all__ = [
    "ConfigError",
    "LevelMonitor",
    "MonitoredPriorityResource",
    "MonitoredResource",
    "ReplicationContext",
    "ReplicationResult",
    "Streams",
    "StrictModel",
    "TallyMonitor",
    "Trace",
    "run_replication",
    "run_replications",
]
