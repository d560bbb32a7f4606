"""Double-blind drills: sealed scenario draws, inject lists compiled from a hidden run, inject
release, decision capture and scoring (docs/drills.md). Layer: imports experiments, models, sim.

The Python API (for scripts and the dashboard's drill page)::

    from drills import Drill, seal_drill, verify_drill, score_drill

    key, folder = seal_drill("tiny-drill", "exercises/2026-07", entropy=None)  # (str, Path)
    verify_drill(folder, key, commitment=None)     # -> commitment hex; ConfigError if changed

    drill = Drill.open(folder, key=key)            # controller (key: the clock, injects, score)
    drill = Drill.open(folder)                     # participant / scribe (no key); also
    drill = Drill.open(folder / "participants")    # the participants' folder alone
    drill.roles                                    # [{id, name, name_en, duties, actions}]
    drill.targets                                  # public ids by kind (union over the library)
    drill.start(speed=60)                          # -> Clock (needs the key; idempotent)
    drill.clock()                                  # -> Clock(minute, clock, speed, paused,
                                                   #   ended, end_minute, started, blind)
                                                   #   .state: not started|running|paused|ended
                                                   # without the key (blind): the state and
                                                   #   the drill time of the latest message;
                                                   #   speed and end_minute NaN
    drill.pause(); drill.resume(); drill.set_speed(120); drill.advance(30)   # need the key
    drill.end()                                    # -> Clock: ends now (needs the key)
    drill.release_due()                            # -> [Inject] released now (needs the key)
    drill.inbox("city-eoc")                        # -> [Message]: released injects of a role
    drill.record_decision("city-eoc", "evacuate", ["yicheng-01"], note="",
                          minute=None)             # -> TimedDecision; ConfigError on bad input
    drill.decisions()                              # -> [TimedDecision] (minute: with the key
                                                   #   the drill's; without, as known)
    drill.rejected()                               # -> [Rejected]: lines of decisions.jsonl
                                                   #   that are not decisions, with why
    drill.injects()                                # -> [Inject]: the MSEL (needs the key)
    drill.packet                                   # -> Packet (with the key), else None
    drill.status()                                 # -> clock, counts, next inject (with key)

    report = score_drill(folder, key, experiment=None, replications=1, out=None, lang="zh",
                         force=False)              # the drill must have ended, unless force
    report.data                                    # the score (also score.json)
    report.overall                                 # {"points", "rating", "rating_en"}
    report.out, report.files                       # report.html, score.json, figures/

Every method takes ``now`` (epoch seconds) for tests. User mistakes raise
:class:`sim.config.ConfigError` (one line: ``str(exc)``). The records (``Packet``, ``Inject``,
``TimelineEvent``, ``Decision``, ``TimedDecision``, ``Message``) are drills/packet.py's typed
models; what a drill does per model is a registered adapter (drills/adapters/).
"""

from __future__ import annotations

from typing import Any

__all__ = ["Clock", "Drill", "ScoreReport", "bundled_drill_names", "load_drill_spec",
           "open_packet", "score_drill", "seal_drill", "verify_drill"]

_WHERE = {
    "Clock": "drills.clock", "Drill": "drills.session",
    "ScoreReport": "drills.score", "score_drill": "drills.score",
    "bundled_drill_names": "drills.spec", "load_drill_spec": "drills.spec",
    "open_packet": "drills.seal", "seal_drill": "drills.seal", "verify_drill": "drills.seal",
}


def __getattr__(name: str) -> Any:
    # Imported on first use: `drsim --help` need not load the models.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'drills' has no attribute {name!r}")
