"""`ast.parse` for the tests that read the project's own source.

CPython 3.11 before 3.11.8 can fail `ast.parse` with "SystemError: AST constructor
recursion depth mismatch" in a thread that earlier recovered from a RecursionError
(python/cpython#106905): under pytest-xdist, whatever ran before in the same worker
decides it. A new thread's recursion counters start clean, so the parse runs in one.
"""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def parse(path: Path) -> ast.Module:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(ast.parse, path.read_text(), str(path)).result()
