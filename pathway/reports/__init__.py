"""Reports: SQL aggregations over current state and the event log, never loops over members.

Each report is a module named after it; every one takes a ``Scope`` (the caller's units and
the unit and kind asked for, and whether to suppress small numbers) and answers a plain dict
that the API dumps as JSON and ``export`` writes as CSV.
"""

NAMES = ("level-distribution", "progression", "time-in-level", "attrition", "summary")
