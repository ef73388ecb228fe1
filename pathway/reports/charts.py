"""Charts as SVG, drawn with matplotlib (Agg, no pyplot: figures are per call and thread-safe).

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness; every segment carries its count, so the chart reads without colour too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from matplotlib import rc_context, use
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

use("Agg")  # never a display: these charts are drawn on a server

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {"sky_blue": "#56B4E9", "blue": "#0072B2", "bluish_green": "#009E73",
             "orange": "#E69F00", "reddish_purple": "#CC79A7", "vermillion": "#D55E00",
             "yellow": "#F0E442", "black": "#000000"}
SERIES = (("level_1", "Level 1 (active)", OKABE_ITO["sky_blue"], "black"),
          ("level_2", "Level 2 (active)", OKABE_ITO["blue"], "white"),
          ("level_3", "Level 3 (active)", OKABE_ITO["bluish_green"], "white"),
          ("paused", "Paused", OKABE_ITO["orange"], "black"),
          ("exited", "Exited", OKABE_ITO["reddish_purple"], "black"))
# Fixed salt and no date: the same report draws the same bytes.
SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "pathway", "font.size": 10}


def _svg(figure: Figure, title: str) -> str:
    out = io.StringIO()
    with rc_context(SVG_RC):
        figure.savefig(out, format="svg", bbox_inches="tight",
                       metadata={"Title": title, "Date": None, "Creator": "Pathway"})
    return out.getvalue()


def _footnote(figure: Figure, suppressed: bool) -> None:
    if suppressed:
        figure.text(0.01, -0.02, "Counts from 1 to 7 are hidden (not drawn); other counts "
                    "are rounded to the nearest 5.", fontsize=8, ha="left", va="top")


def _stack(axes: Any, labels: Sequence[str], rows: Sequence[dict[str, Any]],
           horizontal: bool) -> None:
    """One stacked bar per label, one segment per series, each segment labelled."""
    base = [0.0] * len(rows)
    for key, name, colour, ink in SERIES:
        values = [float(row.get(key) or 0) for row in rows]
        if horizontal:
            bars = axes.barh(labels, values, 0.7, left=base, color=colour, label=name,
                             edgecolor="white", linewidth=0.5)
        else:
            bars = axes.bar(labels, values, 0.7, bottom=base, color=colour, label=name,
                            edgecolor="white", linewidth=0.5)
        texts = [_label(row, key) for row in rows]
        axes.bar_label(bars, labels=texts, label_type="center", color=ink, fontsize=8)
        base = [b + v for b, v in zip(base, values, strict=True)]
    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))


def _label(row: dict[str, Any], key: str) -> str:
    """The count on its segment; a hidden count has no segment (the footnote says so)."""
    value = row.get(key) or 0
    return str(value) if value else ""


def distribution_chart(rows: Sequence[dict[str, Any]], *, title: str,
                       suppressed: bool = False) -> str:
    """A horizontal stacked bar per unit: members at each level, paused and exited."""
    height = 1.6 + 0.45 * max(len(rows), 1)
    figure = Figure(figsize=(8, height), layout="constrained")
    axes = figure.add_subplot()
    units = [row["unit"] for row in rows]
    _stack(axes, units, rows, horizontal=True)
    axes.invert_yaxis()  # units read top to bottom in code order
    axes.set_title(title)
    axes.set_xlabel("Members")
    axes.set_ylabel("Unit")
    if not rows:
        axes.text(0.5, 0.5, "No members in this selection", transform=axes.transAxes,
                  ha="center", va="center")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / height),
                ncols=len(SERIES), frameon=False, fontsize=8)
    _footnote(figure, suppressed)
    return _svg(figure, title)


def progression_chart(points: Sequence[dict[str, Any]], *, title: str,
                      suppressed: bool = False) -> str:
    """A stacked bar per interval end: the whole selection at each level, paused, exited."""
    figure = Figure(figsize=(max(6.0, 0.55 * len(points) + 2), 4.5), layout="constrained")
    axes = figure.add_subplot()
    labels = [point["as_of"].isoformat() for point in points]
    _stack(axes, labels, [point["totals"] for point in points], horizontal=False)
    axes.set_title(title)
    axes.set_xlabel("End of period")
    axes.set_ylabel("Members")
    for tick in axes.get_xticklabels():
        tick.set(rotation=45, ha="right", rotation_mode="anchor")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    _footnote(figure, suppressed)
    return _svg(figure, title)
