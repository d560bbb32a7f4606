"""The hidden run through sim.runner.run_replication gives the injects it gave before: the
timeline, the MSEL, the baseline KPIs and event count, and the ids of every bundled drill
library entry, for fixed draws, equal digests captured from the code before drills used the
runner, the adapters and the typed records (commit 8b3005d). Re-pinned on purpose in issue 15:
the chemical entries when care began to save lives (care KPIs, deaths awaiting care; in
zhumadian-ammonia the two hospital-load injects moved: in_hospital counts living casualties,
ambulances serve immediate casualties first), the flood entries' baseline KPIs and events (and,
for zhumadian-flood draw 1, timeline and MSEL) when trapped people began to face risk while
waiting for rescue, and with the honest rescue and supply KPIs."""

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
    ('tiny-drill', 'tiny-flood', 'reference'): (
        "b82d8d4acc8a27b1890f3b02c13f90e06a0bba3e1cd2d4ebf827b8517f255794",
        "77d82ca6f39ab858b8216060ded6d9226bd2eb495323578d85b863706b2ae8cf",
        "66165b01c2c7b383df4e88a025f3d66085d1180bae9f64108de48f731e9f542b", 1302, 38),
    ('tiny-drill', 'tiny-plume', 'reference'): (
        "8523943b24a953e2ef1b7099b3c4dee7e922b50bf588dd41ed20384d7e7327b2",
        "e6ab3040887a4be9fc1cb8a430545c7c4cba9808823c29d0f1a9bbd0f58eb720",
        "4bd5cae7aec68b7b6e6a5f7228434b783f796e9023b09f0bbb605cdb8cc909c3", 293, 7),
    ('tiny-drill', 'tiny-plume', 0): (
        "0562d4326cd86eed5960659dfddd48f432c61f059c5d26edaeeef03df26fe3af",
        "30af4d43e17863077f401e27ef743432751604b18e31188d5bc24d7da03b33c6",
        "c1274b7abc48364972d28c3e8b03d198e5fbfbcfa0a501182212c7ef24d2b094", 271, 7),
    ('tiny-drill', 'tiny-flood', 2): (
        "edd7b61378a2b2fba9c49e2394881365e320fc533d824c3654c67f011ad8c4f0",
        "558e2810a55017eda55622485f87b1573c6b2c2847a88e0424e2ab1bba08ef31",
        "7a79998e9aabf5c72889745ede5ad5faa881ddf829e93ee0748be03fa3e830ab", 1849, 31),
    ('zhumadian-flood-drill', 'zhumadian-flood', 'reference'): (
        "535f84e102755a1b3a78efb7e8a42b4508a4c5a49c246a978cd668bd978b70e3",
        "1a0f02db3b395c98ceffaf881c397a826067b6d7a2d957bbbbf4eaf3a010c6fc",
        "c29cf5de7e669d2220fcede87d9218c285b7e9b7f4f0e70241a375c9aad1cea6", 19076, 286),
    ('zhumadian-flood-drill', 'zhumadian-ammonia', 'reference'): (
        "30348a545722cc12c2bdaa095dcfd8df70db79a468c5e54fc43e497691be3d7d",
        "8ea4ed9cc6fb7444c8e256dffb348d1843c17e9bbd82ead4b4dde7144ff85dd5",
        "5f25b680fdb41a94666e02497558f41100a670bc635d848be26737b10a93f7e4", 1560, 15),
    ('zhumadian-flood-drill', 'zhumadian-ammonia', 0): (
        "302154c26cad921aa1854c5ee21f9efe2eb71f8359dc39b0a18cdaf7cd5822b0",
        "ae07d863e0373426e89f32a0d5cbcd8aefbbf6d3af9f4b0cce4e7892705aa7ba",
        "478a1b953d7c79e719d1a6d76609a30008e9755d749ac00c133d19aec68521f4", 1711, 16),
    ('zhumadian-flood-drill', 'zhumadian-flood', 1): (
        "4e8ae9844c4700fad4702222ed01613d22892af1a9d05478e161153944d5ccdb",
        "b063357912107cde8ba9d118b9882c0fe148aaa7d21d6bc8be9cac93a5671ba6",
        "a29cf03172c29255ee0a968bc5c0090ca78bfb47d0a2c6a9dbf370b45197745e", 17157, 276),
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
