"""The explorer's lever widgets: one Streamlit widget per :class:`models.levers.Lever`, grouped in
tabs by the lever's group. The levers themselves come from the model's spec
(``spec_for(scenario).levers(scenario)``); this module only draws them, in either language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models.levers import Lever, LeverGroup

__all__ = ["lever_groups", "lever_widget"]


def lever_groups(levers: Sequence[Lever]) -> list[LeverGroup]:
    """The groups of ``levers``, in the order they first appear."""
    return list(dict.fromkeys(lever.group for lever in levers))


def lever_widget(cell: Any, lever: Lever, key: str, lang: str) -> Any:
    """Draw ``lever`` in the container ``cell`` under widget key ``key``; its value."""
    label = lever.label(lang)
    if lever.kind == "int":
        return cell.number_input(label, min_value=int(lever.low), max_value=int(lever.high),
                                 value=int(lever.default), step=1, key=key)
    if lever.kind in ("float", "percent"):
        return cell.slider(label, min_value=float(lever.low), max_value=float(lever.high),
                           value=float(lever.default), step=float(lever.step), key=key)
    if lever.kind == "bool":
        return cell.checkbox(label, value=bool(lever.default), key=key)

    def option_label(option: str) -> str:
        return lever.option_label(option, lang)

    if lever.kind == "choice":
        return cell.selectbox(label, lever.options, index=lever.options.index(lever.default),
                              format_func=option_label, key=key)
    return tuple(cell.multiselect(label, lever.options, default=list(lever.default),
                                  format_func=option_label, key=key))
