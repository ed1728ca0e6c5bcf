"""Insight: event impact, forecasts and shortage signals over the loaded sales data.

The modules here are pure functions over pandas objects (``impact``, ``forecast``,
``shortages``, ``calendar``), plus ``data`` (series read through the query layer) and
``reports`` (the JSON-ready answers the API and the dashboard share). Nothing here knows
about Flask; ``dashapp.insight_api`` serves it. docs/INSIGHT.md explains the methods and
shows their backtests and calibration.
"""
