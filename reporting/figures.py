"""The one figure set-up and PNG writer of drsim, and text that the installed fonts can draw.

:func:`new_figure` gives a :class:`~matplotlib.figure.Figure` with an Agg canvas (no pyplot, no
display; safe in the dashboard's threads); :func:`save_png` writes one to a path or a binary
file, :func:`png_bytes` returns the bytes. Run figures (:mod:`reporting.timeline`,
:mod:`reporting.maps`), experiment reports and the dashboard's downloads use them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import IO

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["DPI", "SIZE_IN", "drawable", "figure_language", "font_families", "new_figure",
           "png_bytes", "save_png", "thousands"]

DPI = 120
SIZE_IN = (10.0, 20.0 / 3.0)          # 1200 x 800 pixels at DPI


def new_figure(size_in: tuple[float, float] = SIZE_IN, dpi: int = DPI) -> Figure:
    """A figure of ``size_in`` inches (width, height) with a constrained layout and an Agg
    canvas: savefig/PNG without pyplot or a display."""
    fig = Figure(figsize=size_in, dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: str | Path | IO[bytes], dpi: int = DPI) -> None:
    """Write ``fig`` as a PNG on a white background (1200 x 800 pixels at the default size and
    dpi) to a path or a binary file."""
    fig.savefig(path, format="png", dpi=dpi, facecolor="white")


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    """``fig`` as PNG bytes (for downloads and pages that embed the image)."""
    import io

    buffer = io.BytesIO()
    save_png(fig, buffer, dpi)
    return buffer.getvalue()


def thousands(x: float, _pos: int | None = None) -> str:
    """A tick label with thousands separators (one decimal for small fractional values)."""
    return f"{x:,.0f}" if abs(x) >= 10 or x == round(x) else f"{x:,.1f}"


# --- text: keep to glyphs the installed fonts have (no tofu boxes, no warnings) --------------

_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
              "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC",
              "Arial Unicode MS")


@cache
def _fonts() -> tuple[list[str], frozenset[int] | None]:
    """Font families for user text, and the code points the default font has (None: a CJK
    fallback font is installed, trust it)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [name for name in _CJK_FONTS if name in installed]
    if cjk:
        return ["sans-serif", cjk[0]], None
    from matplotlib.ft2font import FT2Font  # only needed without a CJK font

    path = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    return ["sans-serif"], frozenset(FT2Font(path).get_charmap())


def font_families() -> list[str]:
    """Font families for text that may hold Chinese (a CJK font when one is installed)."""
    return _fonts()[0]


def figure_language(lang: str) -> str:
    """``lang`` if the installed fonts can draw it in a figure, else "en" (Chinese needs a CJK
    font)."""
    return lang if lang != "zh" or _fonts()[1] is None else "en"


def drawable(text: str) -> str:
    """``text`` without characters no installed font can draw (e.g. Chinese without a CJK font),
    spaces tidied; '' if nothing is left."""
    _, charmap = _fonts()
    if charmap is None:
        return text
    kept = "".join(c if ord(c) in charmap or c.isspace() else " " for c in text)
    kept = re.sub(r"\(\s*", "(", re.sub(r"\s+", " ", kept)).strip()
    return "" if re.fullmatch(r"[\W_]*", kept) else kept
