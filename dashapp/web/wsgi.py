"""WSGI entry point for gunicorn: `gunicorn dashapp.wsgi:server`."""

import gc

from .app import create_app

app = create_app()
server = app.server
# What the start built (Dash, plotly's figure schemas, pandas, the layout) lives as long
# as the process: in the permanent generation, a full collection no longer walks it. A
# full collection over it took ~90 ms in a process serving the page's answers (bench
# runs), a pause any request in flight then waited for.
gc.freeze()
