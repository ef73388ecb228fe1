"""Charts as SVG, drawn with matplotlib (Agg, no pyplot: figures are per call and thread-safe).

Colours are the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness; every segment carries its count, so the chart reads without colour too.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from textwrap import fill
from typing import Any

from matplotlib import rc_context, use
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from pathway.reports.suppression import FEWER, SMALLEST_SHOWN
from pathway.reports.vocabulary import Levels
from workflows.machine import EXITED, PAUSED

use("Agg")  # never a display: these charts are drawn on a server

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {"sky_blue": "#56B4E9", "blue": "#0072B2", "bluish_green": "#009E73",
             "orange": "#E69F00", "reddish_purple": "#CC79A7", "vermillion": "#D55E00",
             "yellow": "#F0E442", "black": "#000000"}
LEVEL_COLOURS = (("sky_blue", "black"), ("blue", "white"), ("bluish_green", "white"),
                 ("yellow", "black"), ("vermillion", "white"), ("black", "white"))
STATUS_COLOURS = {PAUSED: ("orange", "black"), EXITED: ("reddish_purple", "black")}
# A hidden count is drawn as a hatched segment of this many members, labelled "<8": it has
# to be seen (never read as zero), and its true size, 1 to 7, is the one thing not to show.
HIDDEN_WIDTH = SMALLEST_SHOWN / 2
HIDDEN_LABEL = f"<{SMALLEST_SHOWN}"
# Fixed salt and no date: the same report draws the same bytes.
SVG_RC: dict[Any, Any] = {"svg.fonttype": "none", "svg.hashsalt": "pathway", "font.size": 10}


def _svg(figure: Figure, title: str) -> str:
    out = io.StringIO()
    with rc_context(SVG_RC):
        figure.savefig(out, format="svg", bbox_inches="tight",
                       metadata={"Title": title, "Date": None, "Creator": "Pathway"})
    return out.getvalue()


def series(levels: Levels) -> list[tuple[str, str, str, str]]:
    """(column, legend name, colour, ink) for each level (active), then paused and exited."""
    drawn = []
    for index, code in enumerate(levels.codes):
        colour, ink = LEVEL_COLOURS[index % len(LEVEL_COLOURS)]
        drawn.append((code, f"{levels.name(code)} (active)", OKABE_ITO[colour], ink))
    for status, (colour, ink) in STATUS_COLOURS.items():
        drawn.append((status, status.capitalize(), OKABE_ITO[colour], ink))
    return drawn


def _footnote(figure: Figure, suppressed: bool) -> None:
    if suppressed:
        figure.text(0.01, -0.02, f"Hatched segments marked {HIDDEN_LABEL} are hidden counts "
                    f"({FEWER}, drawn at {HIDDEN_WIDTH:g}, not to scale); other counts are "
                    "rounded to the nearest 5.", fontsize=8, ha="left", va="top")


def _hidden(row: dict[str, Any], key: str) -> bool:
    return key in row.get("suppressed", ())


def _stack(axes: Any, labels: Sequence[str], rows: Sequence[dict[str, Any]],
           levels: Levels, horizontal: bool) -> tuple[float, bool]:
    """One stacked bar per label, one segment per series, each segment labelled; a hidden
    count is a hatched segment labelled "<8". Answers the longest bar and whether any
    segment was hidden."""
    base = [0.0] * len(rows)
    any_hidden = False
    for key, name, colour, ink in series(levels):
        hidden = [_hidden(row, key) for row in rows]
        any_hidden = any_hidden or any(hidden)
        values = [HIDDEN_WIDTH if secret else float(row.get(key) or 0)
                  for row, secret in zip(rows, hidden, strict=True)]
        hatches = ["///" if secret else "" for secret in hidden]
        draw = axes.barh if horizontal else axes.bar
        placed = {"left": base} if horizontal else {"bottom": base}
        bars = draw(labels, values, 0.7, color=colour, label=name, edgecolor="white",
                    linewidth=0.5, **placed)
        for bar, hatch in zip(bars, hatches, strict=True):
            if hatch:
                bar.set_hatch(hatch)
                bar.set_edgecolor("black")
        texts = [HIDDEN_LABEL if secret else _label(row, key)
                 for row, secret in zip(rows, hidden, strict=True)]
        axes.bar_label(bars, labels=texts, label_type="center", color=ink, fontsize=8)
        base = [b + v for b, v in zip(base, values, strict=True)]
    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))
    return max(base, default=0.0), any_hidden


def _label(row: dict[str, Any], key: str) -> str:
    """The count on its segment (a zero has no segment and no label)."""
    value = row.get(key) or 0
    return str(value) if value else ""


def _empty(axes: Any, horizontal: bool) -> None:
    """Nothing to draw: say so, with no scale around nothing."""
    axes.text(0.5, 0.5, "No members in this selection", transform=axes.transAxes,
              ha="center", va="center")
    value_axis = axes.xaxis if horizontal else axes.yaxis
    value_axis.set_ticks([])
    (axes.set_xlim if horizontal else axes.set_ylim)(0, 1)


def _legend_hidden(axes: Any) -> list[Any]:
    handles, _ = axes.get_legend_handles_labels()
    return [*handles, Patch(facecolor="white", edgecolor="black", hatch="///",
                            label=f"Hidden: {FEWER}")]


def distribution_chart(rows: Sequence[dict[str, Any]], levels: Levels, *, title: str,
                       suppressed: bool = False,
                       unit_names: dict[str, str] | None = None) -> str:
    """A horizontal stacked bar per unit: members at each level, paused and exited. Units
    are named by name, their code after it where it differs."""
    names = unit_names or {}
    # Long names wrap onto a second line rather than squeezing the bars.
    units = [fill(unit_label(row["unit"], names.get(row["unit"])), LABEL_WIDTH) for row in rows]
    lines = sum(label.count("\n") + 1 for label in units)
    height = 1.6 + 0.3 * max(lines, 1) + 0.15 * max(len(rows), 1)
    figure = Figure(figsize=(10, height), layout="constrained")
    axes = figure.add_subplot()
    longest, hidden = _stack(axes, units, rows, levels, horizontal=True)
    axes.invert_yaxis()  # units read top to bottom in code order
    axes.set_title(title)
    axes.set_xlabel("Members")
    axes.set_ylabel("Unit")
    if not longest:
        _empty(axes, horizontal=True)
    drawn = series(levels)
    axes.legend(handles=_legend_hidden(axes) if hidden else None,
                loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / height),
                ncols=len(drawn) + (1 if hidden else 0), frameon=False, fontsize=8)
    _footnote(figure, suppressed)
    return _svg(figure, title)


LABEL_WIDTH = 34  # characters of a unit's label on one line


def unit_label(code: str, name: str | None) -> str:
    """"Ty Bryn (ty-bryn)": the name people know, the code the data uses."""
    return f"{name} ({code})" if name and name != code else code


def progression_chart(points: Sequence[dict[str, Any]], levels: Levels, *, title: str,
                      suppressed: bool = False) -> str:
    """A stacked bar per interval end: the whole selection at each level, paused, exited."""
    figure = Figure(figsize=(max(6.0, 0.55 * len(points) + 2), 4.5), layout="constrained")
    axes = figure.add_subplot()
    labels = [point["as_of"].isoformat() for point in points]
    longest, hidden = _stack(axes, labels, [point["totals"] for point in points], levels,
                             horizontal=False)
    axes.set_title(title)
    axes.set_xlabel("End of period")
    axes.set_ylabel("Members")
    if not longest:
        _empty(axes, horizontal=False)
    for tick in axes.get_xticklabels():
        tick.set(rotation=45, ha="right", rotation_mode="anchor")
    axes.legend(handles=_legend_hidden(axes) if hidden else None, loc="upper left",
                bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    _footnote(figure, suppressed)
    return _svg(figure, title)
