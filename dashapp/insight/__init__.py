"""Insight: event impact, forecasts and shortage signals over the loaded sales data.

The modules here are pure functions over pandas objects (``impact``, ``forecast``,
``shortages``, ``calendar``), plus ``data`` (series read through the query layer) and
``reports`` (the JSON-ready answers), ``runner`` (model work off the request thread) and
``answers`` (the cached questions the API and the page both ask, given a service).
Nothing here knows about Flask or Dash; ``dashapp.api.insight`` and
``dashapp.page.panels`` serve it. docs/INSIGHT.md explains the methods and
shows their backtests and calibration.
"""
