"""How Chinese inject messages name places: the Chinese name with the id (``驿城区 城区（yicheng-
core）``) when the scenario gives one, otherwise the id — alone in lists, with a Chinese word for
its kind (and the district its name starts with) when it is the subject (``区域 yicheng-01
（驿城区）``). English names never go into Chinese text. Each model's drill adapter lists its
scenario's places (:meth:`Names.add`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["ITEM_ZH", "KIND_ZH", "Names", "chinese_name"]

_LATIN = re.compile(r"[A-Za-z]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_PAREN = re.compile(r"\s*[（(]([^()（）]*)[)）]")
_LEADING_HAN = re.compile(r"^([\u3400-\u9fff]+)(?=\s|$)")

# Chinese words for the kinds of place an inject names, and for common relief items (by id).
KIND_ZH = {"zone": "区域", "shelter": "避难场所", "depot": "储备库", "agreement": "协议储备",
           "team": "救援队伍", "link": "路段", "gauge": "水文站", "item": "物资"}
ITEM_ZH = {"water": "饮用水", "drinking-water": "饮用水", "food": "食品", "bedding": "被褥",
           "quilt": "被褥", "kit": "生活用品包", "tent": "帐篷", "tents": "帐篷",
           "medicine": "药品", "medical": "药品"}
SOURCE_ZH = "事发企业"   # the release source of an incident, when it has no Chinese name


def chinese_name(name: str | None) -> str | None:
    """The Chinese name inside a scenario's name, or None when it has none: the name itself
    when it has no Latin letters; without its English gloss in brackets ("驿城区 城区 (Yicheng
    District urban core)" -> "驿城区 城区"); a Chinese name in brackets ("Banqiao reservoir
    (板桥水库)" -> "板桥水库")."""
    name = (name or "").strip()
    if not name or not _HAN.search(name):
        return None
    if not _LATIN.search(name):
        return name
    bare = _PAREN.sub(lambda m: "" if _LATIN.search(m.group(1)) else m.group(0), name).strip()
    if bare and not _LATIN.search(bare):
        return bare
    for inner in _PAREN.findall(name):
        if inner.strip() and _HAN.search(inner) and not _LATIN.search(inner):
            return inner.strip()
    return None


class Names:
    """The places of one scenario as Chinese text names them (see the module docstring).
    ``source``: the incident's source (事发企业 unless it has a Chinese name)."""

    def __init__(self, source: str | None = None) -> None:
        self.entries: dict[str, tuple[str | None, str, str | None]] = {}
        self.items: dict[str, str] = {}
        self.source = chinese_name(source) or SOURCE_ZH

    def add(self, kind: str, ident: str, name: str | None) -> None:
        """Place ``ident`` of ``kind`` (a key of :data:`KIND_ZH`) with its scenario name (a
        later place of the same id replaces an earlier one)."""
        prefix = _LEADING_HAN.match((name or "").strip())
        self.entries[ident] = (chinese_name(name), KIND_ZH[kind],
                               prefix.group(1) if prefix else None)

    def add_item(self, ident: str, name: str | None) -> None:
        """A relief item: its Chinese name, a common one by id, or 物资 <id>."""
        self.items[ident] = (chinese_name(name) or ITEM_ZH.get(ident.lower())
                             or f"物资 {ident}")

    def one(self, ident: str) -> str:
        """A place as the subject of a Chinese sentence."""
        zh, kind, prefix = self.entries.get(ident, (None, "", None))
        if zh:
            return f"{zh}（{ident}）"
        where = f"（{prefix}）" if prefix else ""
        return f"{kind} {ident}{where}" if kind else ident

    def item(self, ident: str, name: str = "") -> str:
        return self.items.get(ident) or chinese_name(name) or f"物资 {ident}"

    def __call__(self, ids: Iterable[str], limit: int = 12) -> str:
        """Places in a Chinese list: Chinese name (id), or the id; ``…等N处`` past ``limit``."""
        ids = list(ids)
        shown = []
        for ident in ids[:limit]:
            zh = self.entries.get(ident, (None, "", None))[0]
            shown.append(f"{zh}（{ident}）" if zh else ident)
        return "、".join(shown) + (f"等{len(ids)}处" if len(ids) > limit else "")
