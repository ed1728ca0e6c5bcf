"""Pulse: the dashboard app (layout, callbacks, query layer, REST API, config)."""

import os

# The insight models solve many small least-squares problems: OpenBLAS's thread pool
# makes each 2-4x slower and competes with the web workers. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
