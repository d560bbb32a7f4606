"""Sealing: what is written where, the key nowhere on disk, the commitment and verify."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from drills.seal import build_packet, draw, open_packet, seal_drill, verify_drill
from drills.spec import load_drill_spec
from models.catalog import build
from models.loading import load_scenario
from sim.config import ConfigError
from sim.runner import run_replication


def test_seal_writes_the_packet_the_commitment_and_the_brief(
        sealed_flood: tuple[str, Path]) -> None:
    key, folder = sealed_flood
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == ["commitment.json", "packet.enc", "participants/README.md",
                     "participants/roles.json", "participants/targets.json"]
    for path in folder.rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes(), f"the key is in {path}"
    assert not list(folder.parent.glob(".flood.*"))          # no staging folder left


def test_the_packet_holds_the_draw_the_timeline_and_the_msel(
        sealed_flood: tuple[str, Path]) -> None:
    key, folder = sealed_flood
    packet = open_packet(folder, key)
    assert packet.scenario.name == "tiny-flood"
    assert set(packet.parameters) == {"hazard.gauges.0.peak_stage_m", "warnings.never_act"}
    scenario = packet.sealed_scenario()
    start_hour = int(packet.start.isoformat()[11:13])
    assert scenario.start_hour == start_hour                  # the drawn clock hour
    assert scenario.hazard.gauges[0].peak_stage_m == packet.parameters[
        "hazard.gauges.0.peak_stage_m"]
    assert packet.timeline and packet.msel
    assert len(packet.salt) == 64
    assert packet.end_minute == scenario.horizon
    assert packet.style.model_dump() == {"mode": "tabletop", "speed": 60.0}


def test_the_hidden_run_is_the_plan_response_with_the_sealed_seed(
        sealed_flood: tuple[str, Path]) -> None:
    """The baseline KPIs in the packet equal an ordinary replication 0 (the observer of the
    hidden run changes nothing)."""
    key, folder = sealed_flood
    packet = open_packet(folder, key)
    scenario = packet.sealed_scenario()
    again = run_replication(build, scenario, 0, int(packet.seed), scenario.horizon)
    sealed = packet.baseline.kpis
    assert set(sealed) == set(again.kpis)
    for name, value in again.kpis.items():
        assert sealed[name] == pytest.approx(value, nan_ok=True), name


def test_verify_proves_the_packet_unchanged(sealed_flood: tuple[str, Path]) -> None:
    key, folder = sealed_flood
    commitment = json.loads((folder / "commitment.json").read_text())["commitment"]
    assert verify_drill(folder, key) == commitment
    assert verify_drill(folder, key, commitment=commitment.upper()) == commitment
    with pytest.raises(ConfigError, match="differs from the commitment handed out"):
        verify_drill(folder, key, commitment="0" * 64)


@pytest.mark.parametrize("where", [0, 40, 100, -60, -1])
def test_one_changed_byte_fails_verify(flood_copy: tuple[str, Path], where: int) -> None:
    key, folder = flood_copy
    path = folder / "packet.enc"
    data = bytearray(path.read_bytes())
    data[where] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ConfigError) as caught:
        verify_drill(folder, key)
    assert "packet.enc" in str(caught.value) and "\n" not in str(caught.value)


def test_a_changed_commitment_fails_verify(flood_copy: tuple[str, Path]) -> None:
    key, folder = flood_copy
    path = folder / "commitment.json"
    data = json.loads(path.read_text())
    data["commitment"] = hashlib.sha256(b"another packet").hexdigest()
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="commitment.json: commitment: does not match"):
        verify_drill(folder, key)


def test_a_wrong_or_malformed_key_fails_cleanly(sealed_flood: tuple[str, Path],
                                                sealed_plume: tuple[str, Path]) -> None:
    _, folder = sealed_flood
    other_key, _ = sealed_plume
    with pytest.raises(ConfigError, match="cannot be decrypted with this key"):
        verify_drill(folder, other_key)
    with pytest.raises(ConfigError, match="KEY: not a drill key"):
        verify_drill(folder, "not-a-key")


def test_a_missing_file_fails_cleanly(flood_copy: tuple[str, Path]) -> None:
    key, folder = flood_copy
    (folder / "packet.enc").unlink()
    with pytest.raises(ConfigError, match=r"packet.enc: missing"):
        verify_drill(folder, key)
    shutil.rmtree(folder / "participants")
    (folder / "commitment.json").unlink()
    with pytest.raises(ConfigError, match=r"commitment.json: missing"):
        verify_drill(folder, key)


def test_sealing_refuses_a_folder_in_use(sealed_flood: tuple[str, Path],
                                         spec_files: dict[str, Path]) -> None:
    _, folder = sealed_flood
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(ConfigError, match="not an empty folder"):
        seal_drill(spec_files["tiny-flood"], folder, entropy=1)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_the_packet_size_does_not_tell_the_scenario(tmp_path: Path) -> None:
    loaded = load_drill_spec("tiny-drill")
    sizes, names = set(), set()
    for entropy in range(6):
        key, folder = seal_drill(loaded, tmp_path / str(entropy), entropy=entropy)
        sizes.add((folder / "packet.enc").stat().st_size)
        names.add(open_packet(folder, key).scenario.name)
    assert names == {"tiny-flood", "tiny-plume"}
    assert len(sizes) == 1


def test_the_padded_size_is_fixed_by_the_library(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With a smaller floor the two tiny scenarios' packets (about 9 and 5 KB compressed) would
    fall into different powers of two; padded to the library's size they do not differ."""
    import zlib

    from cryptography.fernet import Fernet

    import drills.seal as seal

    monkeypatch.setattr(seal, "_MIN_PADDED", 1024)
    loaded = load_drill_spec("tiny-drill")
    size = seal.packet_size(loaded)
    references = [len(zlib.compress(build_packet(
        loaded, seal.reference_draw(loaded, i))[0].canonical(), 9)) for i in range(2)]
    assert size >= 2 * max(references) and size & (size - 1) == 0
    old_rule = {max(1024, 1 << (16 + r - 1).bit_length()) for r in references}
    assert len(old_rule) == 2                  # a power of two of each: the size would tell
    sizes, names = set(), set()
    for entropy in range(6):
        key, folder = seal_drill(loaded, tmp_path / str(entropy), entropy=entropy)
        names.add(open_packet(folder, key).scenario.name)
        sizes.add((folder / "packet.enc").stat().st_size)
        blob = Fernet(key.encode()).decrypt((folder / "packet.enc").read_bytes())
        assert len(blob) == size
    assert names == {"tiny-flood", "tiny-plume"} and len(sizes) == 1


def test_a_draw_too_big_for_the_padding_is_refused(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import drills.seal as seal

    monkeypatch.setattr(seal, "_MIN_PADDED", 1024)
    monkeypatch.setattr(seal, "PAD_MARGIN", 0.5)          # room for the leak, not the flood
    loaded = load_drill_spec("tiny-drill")
    flood = next(e for e in range(50) if draw(loaded, e).index == 0)
    with pytest.raises(ConfigError, match=r"does not fit the library's padded size .* seal "
                                          r"again$"):
        seal_drill(loaded, tmp_path / "drill", entropy=flood)
    assert not (tmp_path / "drill").exists()


def test_same_entropy_same_packet_content(spec_files: dict[str, Path]) -> None:
    loaded = load_drill_spec(spec_files["tiny-flood"])
    a, _ = build_packet(loaded, draw(loaded, 99))
    b, _ = build_packet(loaded, draw(loaded, 99))
    volatile = {"salt", "provenance", "baseline"}
    assert a.model_dump(exclude=volatile) == b.model_dump(exclude=volatile)


def test_a_drawn_parameter_reaches_the_sealed_scenario() -> None:
    base = load_scenario("tiny-flood")
    loaded = load_drill_spec("tiny-drill")
    chosen = draw(loaded, 3)
    packet, scenario = build_packet(loaded, chosen)
    for path, value in chosen.parameters.items():
        node = scenario.model_dump()
        for part in path.split("."):
            node = node[int(part)] if part.isdigit() else node[part]
        assert node == pytest.approx(value)
    assert packet.scenario.hash != "" and base.name in ("tiny-flood",)
