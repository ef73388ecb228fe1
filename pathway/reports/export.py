"""Reports as CSV for spreadsheets: one header line, one line per row, totals last.

A hidden (suppressed) cell reads ``[c]``; a figure that does not exist (a median of nobody)
is left empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from pathway.reports.summary import ACTIVITY, GAP
from pathway.reports.suppression import MARK
from pathway.reports.vocabulary import Levels

TIME_IN_LEVEL = ("from_level", "to_level", "made_it", "advances", "median_days", "q1_days",
                 "q3_days", "iqr_days", "waiting", "waiting_median_days",
                 "waiting_longest_days")


def _cell(row: dict[str, Any], column: str) -> Any:
    if column in row.get("suppressed", ()):
        return MARK
    value = row.get(column)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _write(header: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row, column) for column in header])
    return out.getvalue()


def write_rows(header: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """CSV of ``rows`` under ``header``, hidden cells marked (for reports kept in their own
    module)."""
    return _write(header, rows)


def _totals_row(totals: dict[str, Any], **labels: Any) -> dict[str, Any]:
    return {**totals, **labels}


def level_distribution_csv(report: dict[str, Any], levels: Levels) -> str:
    header = ("unit", "kind", *levels.row_counts)
    return _write(header, [*report["rows"], _totals_row(report["totals"], unit="total")])


def progression_csv(report: dict[str, Any], levels: Levels) -> str:
    header = ("period_start", "as_of", "unit", "kind", *levels.row_counts)
    lines = []
    for point in report["series"]:
        dates = {"period_start": point["period_start"], "as_of": point["as_of"]}
        lines += [{**row, **dates} for row in point["rows"]]
        lines.append(_totals_row(point["totals"], unit="total", **dates))
    return _write(header, lines)


def time_in_level_csv(report: dict[str, Any], levels: Levels) -> str:
    return _write(TIME_IN_LEVEL, report["steps"])


def attrition_csv(report: dict[str, Any], levels: Levels) -> str:
    header = ("unit", "kind", "exit_reason", "level", "exits")
    total = {"unit": "total", "exits": report["exits"],
             "suppressed": ["exits"] if report["suppressed"] and report["exits"] is None else []}
    return _write(header, [*report["rows"], total])


def summary_csv(report: dict[str, Any], levels: Levels) -> str:
    """Activity in the period and the carer gap now, one line per unit."""
    header = ("unit", *ACTIVITY, "active_service_users", "active_carers")
    units: dict[str, dict[str, Any]] = {}

    def line(code: str) -> dict[str, Any]:
        return units.setdefault(code, {"unit": code, **dict.fromkeys(header[1:], 0),
                                       "suppressed": []})

    for row in report["activity"]["rows"]:
        line(row["unit"]).update({k: row[k] for k in ACTIVITY})
        line(row["unit"])["suppressed"] += row.get("suppressed", [])
    for row in report["carer_gap"]:
        line(row["unit"]).update({f"active_{k}": row[k] for k in GAP})
        line(row["unit"])["suppressed"] += [f"active_{k}" for k in row.get("suppressed", [])]
    totals = _totals_row(report["activity"]["totals"], unit="total")
    return _write(header, [*(units[code] for code in sorted(units)), totals])



READINESS = ("reference", "unit", "kind", "member_level", "status", "award", "ready",
             "awarded", "met", "unmet")


def readiness_csv(report: dict[str, Any], levels: Levels) -> str:
    """One line per member and award; met and unmet criteria as ``;``-separated slugs."""
    lines = [{**item, "met": ";".join(c["criterion"] for c in item["met"]),
              "unmet": ";".join(c["criterion"] for c in item["unmet"])}
             for item in report["items"]]
    return _write(READINESS, lines)


def involvement_csv(report: dict[str, Any], levels: Levels) -> str:
    """Involvement for finance: one line per unit and kind, the totals last."""
    from pathway.reports.involvement import COLUMNS

    return _write(COLUMNS, [*report["rows"], report["totals"]])
