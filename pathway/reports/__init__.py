"""Reports: SQL aggregations over current state and the event log, never loops over members.

Each report is a module named after it; every one takes a ``Scope`` (the caller's units and
the unit and kind asked for, whether to suppress small numbers, and the levels of the loaded
definitions) and answers a plain dict that the API dumps as JSON and ``export`` writes as
CSV. ``registry.REPORTS`` declares each report once, for the API, the CLI and the pages.
"""
