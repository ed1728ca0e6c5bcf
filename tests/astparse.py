"""`ast.parse` for the tests that read the project's own source.

CPython 3.11 before 3.11.8 can fail `ast.parse` with "SystemError: AST constructor
recursion depth mismatch" (python/cpython#106905): the parse compares its depth count
before and after against the thread's recursion limit, which a RecursionError recovered
from earlier in the thread, or another thread changing the limit meanwhile (Hypothesis
sets it around each example), throws off. A new thread's counters start clean, so the
parse runs in one; a clean-clone CI run still failed there once (before=18, after=53,
on dashapp/page/layout.py), the limit moved by another thread of the same xdist worker.
A parse that fails so runs again in a process of its own, which nothing else touches.
"""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_ALONE = ("import ast, pickle, sys; path = sys.argv[1]; "
          "text = open(path, encoding='utf-8').read(); "
          "sys.stdout.buffer.write(pickle.dumps(ast.parse(text, path)))")


def parse(path: Path) -> ast.Module:
    try:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(ast.parse, path.read_text(encoding="utf-8"), str(path)).result()
    except SystemError:
        done = subprocess.run([sys.executable, "-c", _ALONE, str(path)], check=True,
                              capture_output=True)
        return pickle.loads(done.stdout)
