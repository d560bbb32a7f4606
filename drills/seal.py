"""Sealing a drill: draw the scenario from OS entropy, run it hidden, encrypt the controller
packet, commit to it publicly, and brief the participants without telling them anything.

``seal_drill(spec, out)`` writes::

    out/packet.enc            the controller packet, Fernet-encrypted (AES-128-CBC + HMAC-SHA256)
    out/commitment.json       SHA-256 of the packet's plaintext (which holds a 256-bit salt)
    out/participants/README.md    the participants' brief: roles, how to decide (zh + en)
    out/participants/roles.json   roles and the decisions each may record
    out/participants/targets.json the ids decisions may name: the union over the library

and returns the key, which the caller shows once and never writes to disk. ``participants/``
is the only part handed to participants; the drill session adds its status, the inboxes and
the decisions there, and its encrypted clock beside the packet (drills/session.py).

**The commitment.** The packet's plaintext is canonical JSON that includes a random 256-bit
salt, and ``commitment.json`` holds its SHA-256. Handed to supervisors before the drill it
reveals nothing (without the salt no candidate packet can be checked against it); afterwards
``verify`` with the key decrypts the packet (Fernet's HMAC rejects any changed byte), hashes the
plaintext and compares it with the commitment, and supervisors compare that with the copy they
were given.

**The packet's size.** The plaintext is compressed and padded before encryption to a size fixed
by the library, not by the draw (:func:`packet_size`): at sealing, every library entry's packet
is built for a reference draw (its uncertainties at their means, seed 0, a fixed noon start)
and the padded size is the smallest power of two of at least 64 KiB and twice the largest of
those compressed packets. The drawn packet is padded to exactly that size, so ``packet.enc``
has the same length whichever entry, parameters, start and seed were drawn. A draw whose
compressed packet would not fit (more than twice the largest reference; not seen with the
bundled libraries, whose draws stay within a few per cent of their reference) is refused
with an error and nothing written: seal again. The size depends on the spec, its scenarios
and the drsim version only.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.fernet import Fernet, InvalidToken

from drills.compose import ACTION_TEXT
from drills.injects import compile_msel
from drills.packet import PACKET_FORMAT, Baseline, Packet, SealedScenario, SealedSpec, SealedStyle
from drills.spec import DrillSpec, LoadedDrillSpec, load_drill_spec
from drills.targets import scenario_targets, union_targets
from drills.timeline import hidden_run
from models.loading import with_overrides
from models.scenario import ScenarioBase
from sim.config import ConfigError, canonical_hash
from sim.io import dumps_json, write_tree
from sim.provenance import provenance

__all__ = ["CHINA", "Draw", "build_packet", "draw", "key_cipher", "open_packet", "packet_size",
           "read_commitment", "reference_draw", "seal_drill", "verify_drill"]

CHINA = timezone(timedelta(hours=8), "CST")
PACKET = "packet.enc"
COMMITMENT = "commitment.json"
PARTICIPANTS = "participants"
_MAGIC = b"DRSIMPK1"
_MIN_PADDED = 1 << 16
_HEADER = len(_MAGIC) + 8
PAD_MARGIN = 2.0   # padded size >= this many times the largest reference packet


class Draw:
    """What sealing drew: the library entry, the parameter values, the start and the seed."""

    def __init__(self, index: int, parameters: dict[str, float], start: datetime,
                 seed: int) -> None:
        self.index, self.parameters, self.start, self.seed = index, parameters, start, seed


def _hours(spec: DrillSpec, now: datetime) -> tuple[datetime, int, list[int] | None]:
    """First candidate hour, number of hours in the window, allowed clock hours."""
    window = spec.start
    if window.next_days is not None:
        local = now.astimezone(CHINA).replace(tzinfo=None)
        first = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        count = window.next_days * 24
    else:
        assert window.from_ is not None and window.to is not None
        first = window.from_.replace(minute=0, second=0, microsecond=0)
        if first < window.from_:
            first += timedelta(hours=1)
        count = int((window.to - first).total_seconds() // 3600) + 1
    return first, max(count, 0), window.hours


def draw(loaded: LoadedDrillSpec, entropy: int | None = None,
         now: datetime | None = None) -> Draw:
    """Draw the scenario (by weight), its uncertain parameters, a start hour in the window and
    a root seed, all from one generator seeded by ``entropy`` (fresh OS entropy if None)."""
    spec = loaded.spec
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
    weights = np.array([e.weight for e in spec.library], dtype=float)
    index = int(rng.choice(len(weights), p=weights / weights.sum()))
    entry = spec.library[index]
    parameters = {u.path: float(u.distribution.draw(rng)) for u in entry.uncertainties}
    first, count, allowed = _hours(spec, now or datetime.now(UTC))
    offsets = [h for h in range(count)
               if allowed is None or (first + timedelta(hours=h)).hour in allowed]
    if not offsets:
        raise ConfigError.single(loaded.source, "start", "the start window holds no allowed "
                                 "hour (check from/to and hours)")
    start = first + timedelta(hours=int(offsets[int(rng.integers(len(offsets)))]))
    seed = int(rng.integers(0, 2**63 - 1))
    return Draw(index, parameters, start.replace(tzinfo=CHINA), seed)


def _compress(plaintext: bytes) -> bytes:
    return zlib.compress(plaintext, 9)


def _pack(plaintext: bytes, size: int) -> bytes:
    """Compress and pad to ``size`` bytes: MAGIC, length, data, zeros."""
    body = _compress(plaintext)
    used = _HEADER + len(body)
    if used > size:
        raise ConfigError.single("seal", "", f"this draw's packet ({used:,} bytes compressed) "
                                 f"does not fit the library's padded size ({size:,} bytes); "
                                 "nothing was written: seal again")
    return _MAGIC + len(body).to_bytes(8, "big") + body + bytes(size - used)


def reference_draw(loaded: LoadedDrillSpec, index: int) -> Draw:
    """The fixed draw of library entry ``index`` that sizes the padding: its uncertainties at
    their means, seed 0, noon (or the first allowed hour) of a fixed day."""
    entry = loaded.spec.library[index]
    hours = loaded.spec.start.hours
    hour = 12 if not hours or 12 in hours else hours[0]
    return Draw(index, {u.path: float(u.distribution.mean()) for u in entry.uncertainties},
                datetime(2000, 1, 1, hour, tzinfo=CHINA), 0)


def packet_size(loaded: LoadedDrillSpec) -> int:
    """The size every packet of this library is padded to: the smallest power of two of at
    least 64 KiB and twice the largest compressed reference packet (one hidden run per
    library entry, :func:`reference_draw`)."""
    largest = max(_HEADER + len(_compress(build_packet(loaded, reference_draw(loaded, i))[0]
                                          .canonical()))
                  for i in range(len(loaded.spec.library)))
    return max(_MIN_PADDED, 1 << math.ceil(math.log2(PAD_MARGIN * largest)))


def _unpack(blob: bytes, source: str) -> bytes:
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 8:
        raise ConfigError.single(source, "", "corrupted packet (bad header)")
    length = int.from_bytes(blob[len(_MAGIC):len(_MAGIC) + 8], "big")
    body = blob[len(_MAGIC) + 8:len(_MAGIC) + 8 + length]
    try:
        return zlib.decompress(body)
    except zlib.error:
        raise ConfigError.single(source, "", "corrupted packet (cannot decompress)") from None


def build_packet(loaded: LoadedDrillSpec, chosen: Draw) -> tuple[Packet, ScenarioBase]:
    """Run the hidden simulation of a draw and assemble the packet (with the scenario
    drawn)."""
    spec = loaded.spec
    entry = spec.library[chosen.index]
    base = loaded.scenarios[chosen.index]
    overrides = {**chosen.parameters, "start_hour": float(chosen.start.hour)}
    scenario = with_overrides(base, overrides)
    run = hidden_run(scenario, chosen.seed)
    end = entry.end if entry.end is not None else scenario.horizon
    speed = 1.0 if spec.style.mode == "live" else (entry.speed or spec.style.speed)
    start_local = chosen.start.replace(tzinfo=None)
    msel = compile_msel(run.timeline, scenario, spec, start_local, end)
    text = Path(loaded.source).read_text(encoding="utf-8")
    packet = Packet(
        format=PACKET_FORMAT,
        salt=secrets.token_hex(32),
        spec=SealedSpec(name=spec.name, source=loaded.source, text=text,
                        hash=canonical_hash(spec)),
        library_index=chosen.index,
        scenario=SealedScenario(name=scenario.name, model=scenario.model,
                                source=loaded.sources[chosen.index],
                                hash=canonical_hash(scenario),
                                content=scenario.model_dump(mode="json")),
        parameters=chosen.parameters,
        seed=chosen.seed,
        start=chosen.start,
        end_minute=float(end),
        style=SealedStyle(mode=spec.style.mode, speed=float(speed)),
        timeline=run.timeline,
        msel=msel,
        baseline=Baseline(kpis=run.kpis, replication=0, wall_time_s=run.wall_time_s,
                          events=run.events),
        targets=scenario_targets(scenario),
        provenance=provenance(),
    )
    return packet, scenario


def seal_drill(spec: str | Path | LoadedDrillSpec, out: str | Path, entropy: int | None = None,
               now: datetime | None = None) -> tuple[str, Path]:
    """Seal a drill into the new folder ``out``; return (key, out). The key decrypts the
    packet: show it once, never store it next to the packet. ``entropy`` fixes the draws
    (tests); by default they come from the OS."""
    loaded = spec if isinstance(spec, LoadedDrillSpec) else load_drill_spec(spec)
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError.single(str(out), "", "exists and is not an empty folder: seal into "
                                 "a new folder")
    chosen = draw(loaded, entropy, now)
    size = packet_size(loaded)
    packet, _ = build_packet(loaded, chosen)
    plaintext = packet.canonical()
    padded = _pack(plaintext, size)
    key = Fernet.generate_key()
    while key.startswith(b"-"):   # a leading "-" would read as an option on command lines
        key = Fernet.generate_key()
    token = Fernet(key).encrypt(padded)
    digest = hashlib.sha256(plaintext).hexdigest()
    commitment = {
        "format": "drsim-drill-commitment/1",
        "algorithm": "sha256",
        "commitment": digest,
        "drill_id": digest[:12],
        "sealed_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": "SHA-256 of the sealed packet's plaintext, which contains a random 256-bit "
                "salt. Keep a copy; after the drill `drsim drill verify DIR KEY` must print "
                "this same value.",
    }
    union = union_targets(loaded.scenarios)
    roles = [{"id": r.id, "name": r.name, "name_en": r.name_en, "duties": r.duties,
              "actions": list(r.actions) or union["actions"]} for r in loaded.spec.roles]
    files = {
        PACKET: token,
        COMMITMENT: dumps_json(commitment),
        f"{PARTICIPANTS}/README.md": participants_brief(roles, union, digest[:12],
                                                       loaded.spec.style.mode),
        f"{PARTICIPANTS}/roles.json": dumps_json({"drill_id": digest[:12], "roles": roles}),
        f"{PARTICIPANTS}/targets.json": dumps_json({
            "drill_id": digest[:12],
            "note": "Every id any decision of this drill may name, over every scenario the "
                    "drill could be about (not only the one drawn).",
            **union}),
    }
    try:
        write_tree(out, files, fresh=True)
    except OSError as exc:
        raise ConfigError.single(str(out), "", f"cannot write there ({exc})") from None
    return key.decode("ascii"), out


def participants_brief(roles: list[dict[str, Any]], union: dict[str, list[str]],
                       drill_id: str, mode: str) -> str:
    """The participants' README (Chinese, then English): roles, decisions, how to submit.
    Nothing about the scenario, the place or the time."""
    kinds = {"zone": ("区域", "zones"), "shelter": ("避难场所", "shelters"),
             "team": ("救援队伍", "teams"), "depot": ("储备库", "depots"),
             "agreement": ("协议储备", "agreement reserves"), "link": ("道路路段", "road links")}
    lines = [f"# 演练参演人员须知 — 演练编号 {drill_id}", "",
             "本次演练为“双盲”演练：演练的时间、地点和内容事先不告知。演练开始后，各角色会按时收到"
             "信息（注入），请依据预案作出决策并及时报送。", "",
             "## 角色", ""]
    for role in roles:
        actions = "、".join(f"{ACTION_TEXT[a][0]}（`{a}`）" for a in role["actions"])
        lines.append(f"- **{role['name']}**（`{role['id']}`）{role['duties']}  可下达：{actions}")
    lines += ["", "## 如何报送决策", "",
              "每条决策包括：角色、行动、对象（编号，可多个，用逗号分隔）和备注。例如：", "",
              "```sh",
              "drsim drill decide <本目录> --role <角色编号> --action evacuate "
              "--targets <编号1>,<编号2> --note \"依据预案启动转移\"",
              "drsim drill clock <本目录>     # 演练是否进行中，最近一条信息的演练时间",
              "```", "",
              "- `<本目录>` 即交给参演人员的这个目录（`participants/`）。",
              "- 决策时间由控制组的演练时钟自动记录（参演人员看不到演练时钟），提交后不可撤回，"
              "可再提交新的决策；补录纸面决策用 `--at`（不晚于最近一条信息的演练时间）。",
              "- 全部决策记录在本目录的 `decisions.jsonl` 中。",
              "- 对象编号见 `targets.json`（包含本次演练所有可能涉及的编号，并不表示都会用到）。",
              f"- 收到的信息见本目录的 `<角色编号>.jsonl`（只包含已经下达给该角色的信息）。"
              f"演练方式：{'实时' if mode == 'live' else '桌面推演（加速）'}。", "",
              "---", "",
              f"# Participants' brief — drill {drill_id}", "",
              "This is a double-blind drill: its time, place and content are not announced. Once "
              "it starts, each role receives messages (injects) as events unfold; decide as your "
              "plan says and report your decisions promptly.", "",
              "## Roles", ""]
    for role in roles:
        actions = ", ".join(f"`{a}`" for a in role["actions"])
        lines.append(f"- **{role['name_en']}** (`{role['id']}`). May decide: {actions}")
    lines += ["", "## How to submit a decision", "",
              "A decision is a role, an action, its targets (ids, comma-separated) and a note:",
              "", "```sh",
              "drsim drill decide <this folder> --role <role id> --action evacuate "
              "--targets <id1>,<id2> --note \"evacuation as the plan says\"",
              "drsim drill clock <this folder>     # running or not; drill time of the latest "
              "message",
              "```", "",
              "- `<this folder>` is the folder you were given (`participants/`).",
              "- The controllers' drill clock stamps each decision (participants do not see that "
              "clock); a decision cannot be withdrawn, but a new one can be submitted. Enter a "
              "decision taken earlier on paper with `--at` (not later than the drill time of "
              "the latest message).",
              "- Every decision is kept in `decisions.jsonl` in this folder.",
              "- The ids are in `targets.json` (every id this drill could involve; not all will "
              "matter).",
              f"- Your messages are in `<role id>.jsonl` in this folder (only those already sent "
              f"to you). Style: {'real time' if mode == 'live' else 'accelerated tabletop'}.",
              "", "## Ids by kind / 编号类别", ""]
    for kind, (zh, en) in kinds.items():
        if union.get(kind):
            lines.append(f"- {zh} / {en}: {len(union[kind])}")
    return "\n".join(lines) + "\n"


# --- opening and verifying ---------------------------------------------------------------------


def key_cipher(key: str | bytes) -> Fernet:
    """The Fernet cipher of a drill key; :class:`ConfigError` if it is not one."""
    try:
        return Fernet(key.encode("ascii") if isinstance(key, str) else key)
    except (ValueError, UnicodeEncodeError, TypeError):
        raise ConfigError.single("KEY", "", "not a drill key (expected the 44-character key "
                                 "printed when the drill was sealed)") from None


def _read(folder: Path, name: str) -> bytes:
    path = folder / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError.single(str(path), "", "missing (is this a sealed drill folder?)"
                                 ) from None
    except IsADirectoryError:
        raise ConfigError.single(str(path), "", "is a folder, expected a file") from None
    except OSError as exc:
        raise ConfigError.single(str(path), "", f"cannot be read ({exc.strerror})") from None


def _commitment(folder: Path) -> str:
    path = folder / COMMITMENT
    try:
        data = json.loads(_read(folder, COMMITMENT).decode("utf-8"))
        value = data["commitment"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        raise ConfigError.single(str(path), "commitment", "unreadable: expected the JSON "
                                 "written at sealing") from None
    if not isinstance(value, str) or len(value) != 64:
        raise ConfigError.single(str(path), "commitment", "expected a 64-digit SHA-256")
    return value


def _decrypt(folder: Path, key: str | bytes) -> bytes:
    fernet = key_cipher(key)
    source = str(folder / PACKET)
    token = _read(folder, PACKET)
    try:
        blob = fernet.decrypt(token)
    except InvalidToken:
        raise ConfigError.single(source, "", "cannot be decrypted with this key: the key is "
                                 "wrong or the packet was changed") from None
    return _unpack(blob, source)


def _verified(folder: Path, key: str | bytes, commitment: str | None) -> tuple[str, bytes]:
    expected = _commitment(folder)
    plaintext = _decrypt(folder, key)
    if hashlib.sha256(plaintext).hexdigest() != expected:
        raise ConfigError.single(str(folder / COMMITMENT), "commitment", "does not match the "
                                 "packet: the packet or the commitment was changed")
    if commitment is not None and commitment.strip().lower() != expected:
        raise ConfigError.single(str(folder / COMMITMENT), "commitment", "differs from the "
                                 f"commitment handed out ({commitment.strip()[:16]}...)")
    return expected, plaintext


def verify_drill(folder: str | Path, key: str | bytes, commitment: str | None = None) -> str:
    """Prove the packet unchanged: decrypt it (any changed byte fails Fernet's HMAC), hash the
    plaintext and compare with commitment.json and, if given, the commitment handed out.
    Returns the commitment; raises :class:`ConfigError` with one line otherwise."""
    return _verified(Path(folder), key, commitment)[0]


def open_packet(folder: str | Path, key: str | bytes) -> Packet:
    """The packet, after verifying it against the commitment (read and validated here, once:
    :class:`ConfigError` if it is not a packet)."""
    folder = Path(folder)
    _, plaintext = _verified(folder, key, None)
    return Packet.from_plaintext(plaintext, str(folder / PACKET))


def read_commitment(folder: str | Path) -> str:
    """The commitment of a sealed drill folder (commitment.json; :class:`ConfigError` if it
    is missing or unreadable)."""
    return _commitment(Path(folder))
