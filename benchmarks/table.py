"""The figures as a Markdown table: each against its baseline, the ratio, the target, met."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    measure: str
    figure: str
    baseline: str
    ratio: str
    target: str
    met: bool | None  # None: shown for context, no target

    @property
    def result(self) -> str:
        return "-" if self.met is None else ("met" if self.met else "MISSED")


HEADER = ("Measure", "Figure", "Baseline (same run)", "Ratio", "Target", "Result")


def render(figures: list[Figure]) -> str:
    rows = [HEADER, *((f.measure, f.figure, f.baseline, f.ratio, f.target, f.result)
                      for f in figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |"
             for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"
