"""The query layer: typed answers to everything the page and the API ask.

`fast` reads the rollups, `raw` the raw tables; `report` assembles either into
the API's shapes. Nothing here imports Dash.
"""
