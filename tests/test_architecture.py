"""The layers hold: no import circle, no reach into another module's private names,
no function too long to read, and nothing at the top of `dashapp/` that belongs to
one face (page, api, web, cli).

Read from the source with `ast`, not by importing, so a circle that only bites at
run time in some import order is still caught.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from astparse import parse

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dashapp", "loaders")
MAX_FUNCTION_LINES = 100
#: Small, central modules that every layer may use (see docs/ARCHITECTURE.md).
FLAT = {"__init__", "__main__", "config", "db", "cache", "service", "filters", "metrics",
        "regions", "jsonout", "logsetup", "userdata"}
#: Which packages may import which: arrows point down only.
LAYER_OF = {"dashapp.web": 4, "dashapp.cli": 4, "dashapp.api": 3, "dashapp.page": 3,
            "dashapp.notify": 3,
            "dashapp.insight": 2, "dashapp.service": 2, "dashapp.userdata": 2,
            "dashapp.queries": 1, "loaders": 0}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if not level:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports_of(module: str, path: Path, known: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> names imported from it (the module itself for `import x`)."""
    tree = parse(path)
    out: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    out.setdefault(alias.name, set())
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, path.name == "__init__.py", node.level, node.module)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:  # `from . import charts`: the submodule itself
                    out.setdefault(sub, set())
                elif target in known:
                    out.setdefault(target, set()).add(alias.name)
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, set[str]]]:
    known = modules()
    return {m: imports_of(m, p, known) for m, p in known.items()}


def test_no_import_circles(graph):
    # Tarjan's strongly connected components; a package importing its own submodules
    # (an __init__ re-exporting them) is not a circle of design, so skip parent edges.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = [0]

    def edges(m: str) -> list[str]:
        return [t for t in graph[m] if not t.startswith(m + ".") and t != m]

    def visit(m: str) -> None:
        index[m] = low[m] = counter[0]
        counter[0] += 1
        stack.append(m)
        on_stack.add(m)
        for t in edges(m):
            if t not in index:
                visit(t)
                low[m] = min(low[m], low[t])
            elif t in on_stack:
                low[m] = min(low[m], index[t])
        if low[m] == index[m]:
            component = []
            while True:
                t = stack.pop()
                on_stack.discard(t)
                component.append(t)
                if t == m:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for m in graph:
        if m not in index:
            visit(m)
    assert not circles, f"import circles: {circles}"


def test_no_private_names_across_modules(graph):
    offenders = [f"{m} imports {name} from {t}"
                 for m, targets in graph.items() for t, names in targets.items()
                 for name in names if name.startswith("_") and not name.startswith("__")]
    known = modules()
    for m, path in known.items():  # attribute access: `svc._cached(...)`, `module._x`
        tree = parse(path)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name)
                             and node.value.id in ("self", "cls"))):
                offenders.append(f"{m}:{node.lineno} uses .{node.attr}")
    allowed = ("._replace", "._asdict", "._fields", "._make")  # namedtuple's public API
    offenders = [o for o in offenders if not o.endswith(allowed)]
    assert not offenders, "\n".join(offenders)


def _layer(module: str) -> int | None:
    for prefix, layer in LAYER_OF.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def test_arrows_point_down(graph):
    upward = []
    for m, targets in graph.items():
        mine = _layer(m)
        for t in targets:
            theirs = _layer(t)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{m} -> {t}")
            if m.startswith("loaders") and t.startswith("dashapp"):
                upward.append(f"{m} -> {t}")
            faces = ("dashapp.page", "dashapp.api")
            for face in faces:  # the two faces stand side by side, never on each other
                other = faces[1 - faces.index(face)]
                if m.startswith(face) and t.startswith(other):
                    upward.append(f"{m} -> {t}")
            # messages format as the page does (its pure modules); nothing below the CLI
            # uses them, and they use neither the API nor the page's layout or callbacks
            if t.startswith("dashapp.notify") and not m.startswith(("dashapp.notify",
                                                                    "dashapp.cli")):
                upward.append(f"{m} -> {t}")
            if m.startswith("dashapp.notify") and (t.startswith("dashapp.api") or t in (
                    "dashapp.page.layout", "dashapp.page.callbacks")):
                upward.append(f"{m} -> {t}")
    assert not upward, "imports that point up or sideways:\n" + "\n".join(upward)


def test_core_knows_no_web_framework():
    """The query layer, the service and the insight answers run without Flask or Dash
    (the cache uses flask-caching's backends, which need no app)."""
    known = modules()
    core = [m for m in known if _layer(m) is not None and _layer(m) <= 2] + [
        "dashapp.filters", "dashapp.metrics", "dashapp.regions", "dashapp.cache"]
    found = []
    for m in core:
        tree = parse(known[m])
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{m} imports {n}" for n in names
                      if n.split(".")[0] in ("flask", "dash", "werkzeug")
                      or (n.startswith("flask_caching") and n != "flask_caching.backends")]
    assert not found, "\n".join(found)


def test_no_function_over_100_lines():
    long = []
    for m, path in modules().items():
        for node in ast.walk(parse(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{m}.{node.name}: {length} lines")
    assert not long, "\n".join(long)


def test_top_level_holds_only_central_modules():
    top = {p.stem for p in (ROOT / "dashapp").glob("*.py")}
    assert top <= FLAT, f"modules of one layer at dashapp/'s top: {sorted(top - FLAT)}"
    assert {p.name for p in (ROOT / "dashapp").iterdir() if p.is_dir()
            and not p.name.startswith("__")} == {"api", "cli", "insight", "notify", "page",
                                                  "queries", "web"}


def test_the_checks_can_fail(tmp_path):
    """The circle finder and the private-name check see what they are meant to see."""
    a = tmp_path / "a.py"
    a.write_text("from .b import x\nfrom .c import _hidden\n")
    known = {"p.a": a, "p.b": a, "p.c": a}
    assert imports_of("p.a", a, known) == {"p.b": {"x"}, "p.c": {"_hidden"}}
