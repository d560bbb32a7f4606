"""The canonical hash: SHA-256 of the validated content, blind to how the file was written."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from models.loading import load_scenario, with_overrides
from models.queue import QueueScenario
from sim.config import canonical_hash, canonical_json, validate


def _load(write_toml, data: dict[str, Any]) -> QueueScenario:
    return load_scenario(write_toml(tomli_w.dumps(data)))  # type: ignore[return-value]


def test_hash_is_sha256_of_sorted_compact_json(reference_data) -> None:
    scenario = validate(QueueScenario, reference_data, "ref")
    text = canonical_json(scenario)
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False)
    assert canonical_hash(scenario) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert len(canonical_hash(scenario)) == 64
    assert json.loads(text)["queue"]["servers"] == 8  # content, with durations in minutes
    assert json.loads(text)["horizon"] == 10080.0


def test_same_content_written_differently_same_hash(
    write_toml, reference_text, reference_data
) -> None:
    original = load_scenario(write_toml(reference_text))
    # Keys shuffled, comments gone, quoting and durations spelled differently, strings escaped.
    rewritten = f"""\
"seed" = 20260101
report_every = 60
horizon = "6d 24h"
model = 'queue'
description = {json.dumps(reference_data["description"])}
name = "mmc-reference"
schema_version = 1
title = 'Reference M/M/c queue (emergency call centre, 8 call-takers)'

[queue]
mean_service = 3.5
warmup = "120min"
mean_interarrival = 0.5
servers = 8
"""
    other = load_scenario(write_toml(rewritten))
    assert other == original
    assert canonical_hash(other) == canonical_hash(original)
    assert rewritten.splitlines() != reference_text.splitlines()


def test_dotted_keys_and_inline_tables_same_hash(write_toml, small_text) -> None:
    base = load_scenario(write_toml(small_text))
    dotted = ('schema_version = 1\nname = "small-queue"\nmodel = "queue"\nhorizon = "24h"\n'
              'queue.servers = 3\nqueue.mean_interarrival = "60s"\nqueue.mean_service = 2.5\n')
    inline = ('schema_version = 1\nname = "small-queue"\nmodel = "queue"\nhorizon = 1440\n'
              'queue = { servers = 3, mean_interarrival = 1, mean_service = "2min 30s" }\n')
    assert canonical_hash(load_scenario(write_toml(dotted))) == canonical_hash(base)
    assert canonical_hash(load_scenario(write_toml(inline))) == canonical_hash(base)


def test_defaults_written_or_omitted_same_hash(write_toml, small_text) -> None:
    omitted = load_scenario(write_toml(small_text))
    explicit = load_scenario(write_toml(
        small_text.replace('horizon = "1d"\n',
                           'horizon = "1d"\ntitle = ""\ndescription = ""\nseed = 1\n')
        + "warmup = 0\n"))
    assert explicit == omitted
    assert canonical_hash(explicit) == canonical_hash(omitted)
    assert '"title":""' in canonical_json(omitted)  # defaults are part of the hashed content
    assert '"report_every":null' in canonical_json(omitted)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("name", "other-name"),
        ("title", "A title"),
        ("description", "changed"),
        ("horizon", "8d"),
        ("report_every", "2h"),
        ("seed", 20260102),
        ("queue.servers", 9),
        ("queue.mean_interarrival", "31s"),
        ("queue.mean_service", "3.6min"),
        ("queue.warmup", "3h"),
        ("queue.warmup", "2h 1s"),
    ],
)
def test_any_change_of_value_changes_the_hash(write_toml, reference_data, path, value) -> None:
    base = _load(write_toml, reference_data)
    changed = copy.deepcopy(reference_data)
    node = changed
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    other = _load(write_toml, changed)
    assert other != base
    assert canonical_hash(other) != canonical_hash(base)


def test_hash_does_not_depend_on_how_overrides_arrive(write_toml, reference_text) -> None:
    path = write_toml(reference_text)
    from_strings = load_scenario(path, ["queue.servers=9", "horizon=1d"])
    from_mapping = load_scenario(path, {"queue.servers": 9, "horizon": 1440})
    edited = load_scenario(write_toml(reference_text.replace("servers = 8", "servers = 9")
                                      .replace('horizon = "7d"', 'horizon = "24h"')))
    again = with_overrides(load_scenario(path), ["queue.servers=9", "horizon=1d"])
    assert len({canonical_hash(s) for s in (from_strings, from_mapping, edited, again)}) == 1


TOP_KEYS = ["schema_version", "name", "model", "horizon", "queue"]
QUEUE_KEYS = ["servers", "mean_interarrival", "mean_service", "warmup"]


@settings(max_examples=30, deadline=None)
@given(st.permutations(TOP_KEYS), st.permutations(QUEUE_KEYS), st.integers(1, 50),
       st.integers(1, 50))
def test_key_order_never_matters_and_value_always_does(top, inner, servers, other) -> None:
    data = {"schema_version": 1, "name": "q", "model": "queue", "horizon": "1d",
            "queue": {"servers": servers, "mean_interarrival": "1min", "mean_service": "2min",
                      "warmup": "1h"}}
    shuffled = {key: data[key] for key in top}
    shuffled["queue"] = {key: data["queue"][key] for key in inner}
    a = validate(QueueScenario, data, "a")
    b = validate(QueueScenario, shuffled, "b")
    assert canonical_hash(a) == canonical_hash(b)
    changed = copy.deepcopy(data)
    changed["queue"]["servers"] = other
    c = validate(QueueScenario, changed, "c")
    assert (canonical_hash(c) == canonical_hash(a)) == (servers == other)


def test_a_moved_file_is_the_same_scenario_but_remembers_where_it_was_read(
        tmp_path, reference_text) -> None:
    """The folder a scenario file lies in is not content (it only locates its data files)."""
    paths = [tmp_path / folder / "reference.toml" for folder in ("here", "there")]
    for path in paths:
        path.parent.mkdir()
        path.write_text(reference_text, encoding="utf-8")
    here, there = (load_scenario(path) for path in paths)
    assert here == there and canonical_hash(here) == canonical_hash(there)
    assert (here.source_file, there.source_file) == tuple(paths)
    assert canonical_json(here) == canonical_json(validate(QueueScenario, here.model_dump(), "x"))
    changed = with_overrides(here, ["seed=3"])
    assert changed.source_file == paths[0] and changed.resolve("data.nc") == paths[0].with_name(
        "data.nc")
