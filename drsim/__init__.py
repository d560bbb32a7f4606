"""drsim — discrete-event simulation of disaster response. The front door: version and CLI."""

from importlib import metadata

try:
    __version__ = metadata.version("drsim")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
