"""The hidden run through sim.runner.run_replication gives the injects it gave before: the
timeline, the MSEL, the baseline KPIs and event count, and the ids of every bundled drill
library entry, for fixed draws, equal digests captured from the code before drills used the
runner, the adapters and the typed records (commit 8b3005d). The baseline KPI digests of the
flood draws were refreshed in issue 15 (rescue time KPIs over all calls and all trapped, four new
rescue KPIs); their timeline, MSEL, event counts and targets are those of before."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from drills.seal import build_packet, draw, reference_draw
from drills.spec import load_drill_spec
from drills.targets import union_targets

# (spec, library scenario, draw) -> digests of the packet parts; "reference" is the fixed draw
# that sizes the padding, an int the entropy of a draw made at 2026-07-01 00:00 UTC.
BEFORE = {
    ("tiny-drill", "tiny-flood", "reference"): (
        "b82d8d4acc8a27b1890f3b02c13f90e06a0bba3e1cd2d4ebf827b8517f255794",
        "77d82ca6f39ab858b8216060ded6d9226bd2eb495323578d85b863706b2ae8cf",
        "b8ab4c33124abbcc196d77b294adf9306b5bca40070a2625d6d2e0941f81b167", 1307, 38),
    ("tiny-drill", "tiny-plume", "reference"): (
        "8523943b24a953e2ef1b7099b3c4dee7e922b50bf588dd41ed20384d7e7327b2",
        "e6ab3040887a4be9fc1cb8a430545c7c4cba9808823c29d0f1a9bbd0f58eb720",
        "93d36afa98d7c2ade7294b1960f2f3855b7ab4088e312eb6cd6b1a989e7a3d21", 271, 7),
    ("tiny-drill", "tiny-plume", 0): (
        "0562d4326cd86eed5960659dfddd48f432c61f059c5d26edaeeef03df26fe3af",
        "30af4d43e17863077f401e27ef743432751604b18e31188d5bc24d7da03b33c6",
        "f0c29c8f9d2f5f0e988589b575985679951aadea1e5bb6c6db7a6c2dee39070c", 253, 7),
    ("tiny-drill", "tiny-flood", 2): (
        "edd7b61378a2b2fba9c49e2394881365e320fc533d824c3654c67f011ad8c4f0",
        "558e2810a55017eda55622485f87b1573c6b2c2847a88e0424e2ab1bba08ef31",
        "418bf238e33189878244b0ecbe54c960d3ce300648355ef63ba8246031a46eec", 1846, 31),
    ("zhumadian-flood-drill", "zhumadian-flood", "reference"): (
        "535f84e102755a1b3a78efb7e8a42b4508a4c5a49c246a978cd668bd978b70e3",
        "1a0f02db3b395c98ceffaf881c397a826067b6d7a2d957bbbbf4eaf3a010c6fc",
        "00da86fdbc3b00197ced87af6e0831e60832cd5a5bbb4a45904bb00ba49edc42", 19138, 286),
    ("zhumadian-flood-drill", "zhumadian-ammonia", "reference"): (
        "3903630d3eb971aeac3d9a2361e2ffc63073acac1fac95495b3c0b0d4e91245d",
        "7553eb9441abfed19c85b04f8711ea87b52b293f3d2eb9d287e6e250e66c4263",
        "9e3a57e4644ff8848e1cb561f4c56c91265d03e20572ffe6356a1b57d1634a1a", 1313, 15),
    ("zhumadian-flood-drill", "zhumadian-ammonia", 0): (
        "42a074f841a46a1110e1b3af539a1dd842165e00891a7cebc7fca81a04b0fe74",
        "d65e4c0eeaa97ae2f6facb01e564a8aaaed576f6942ed9618d148da35290ee35",
        "fba6c5c66fecb45d75f4662c329537341738349ccddd2c19c4cd34a7067a8ca4", 1424, 16),
    ("zhumadian-flood-drill", "zhumadian-flood", 1): (
        "f4dd58aa3b0dd13423eb19fd0124c6360f24cb1127cd3d16686d9ac4e1c3b430",
        "83aeb627c5ed37f6fe31083442363cd8407dda15e7f5d8ea3fff4cba301fbfca",
        "9f9654a667e1591b6be0d756083d85d887e27729af13ed95610b89db4706a727", 17332, 276),
}
TARGETS = {"tiny-flood": "46db3863ebe39d56906ba2187f57f0c85f5c305b27e3e9ca5a8fe1396f404587",
           "tiny-plume": "3731cdc2b20dde5eb0afde6254d6fb90b55519a0caa45c705612e146ce86d25b",
           "zhumadian-flood": "2be9d62c2b8829e838524f5467169762c4758ed7cf605542588014295e08da46",
           "zhumadian-ammonia":
               "2a30856484669d0d0f12d0694fc8a5b177c16d499160623adffdc6b7ebb572dc"}
UNION = {"tiny-drill": "ac87a3c005b06681bbce0dab33af461c1f798815cdbf9f94381f10eae1696b15",
         "zhumadian-flood-drill":
             "4cd4e54672d400116ec742683a4cfc0beaf19b62a8b6bafef6ebe4e13d2f08c9"}
DRAWN_AT = datetime(2026, 7, 1, tzinfo=UTC)


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cases() -> list:
    return [pytest.param(*key, marks=[pytest.mark.slow] if key[0] != "tiny-drill" else [],
                         id="/".join(map(str, key))) for key in BEFORE]


@pytest.mark.parametrize(("spec", "scenario", "which"), _cases())
def test_the_hidden_run_gives_the_msel_it_gave_before(spec: str, scenario: str,
                                                      which: str | int) -> None:
    loaded = load_drill_spec(spec)
    index = [s.name for s in loaded.scenarios].index(scenario)
    chosen = (reference_draw(loaded, index) if which == "reference"
              else draw(loaded, which, now=DRAWN_AT))
    assert chosen.index == index
    packet, _ = build_packet(loaded, chosen)
    content = packet.model_dump(mode="json")
    timeline, msel, kpis, events, n_injects = BEFORE[(spec, scenario, which)]
    assert len(packet.msel) == n_injects
    assert _digest(content["timeline"]) == timeline
    assert _digest(content["msel"]) == msel
    assert _digest(content["baseline"]["kpis"]) == kpis
    assert packet.baseline.events == events
    assert _digest(content["targets"]) == TARGETS[scenario]


@pytest.mark.parametrize("spec", list(UNION))
def test_the_public_id_list_is_the_one_of_before(spec: str) -> None:
    """participants/targets.json, read now from the model specs' order_targets and
    team_actions instead of drills' own guesses."""
    assert _digest(union_targets(load_drill_spec(spec).scenarios)) == UNION[spec]
