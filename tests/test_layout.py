"""The house rules, checked: small modules, imports that only point down, no circles, and
benchmark code outside the shipped packages."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("bot", "ingest", "vectorstore")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Modules this module imports (absolute names; relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(block)}
    for node in ast.walk(tree):
        if id(node) in typing_only:  # `if TYPE_CHECKING:` imports are for annotations only
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{a.name}" for a in node.names)
    return found


def test_no_product_module_is_over_the_limit():
    big = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in _modules().items()}
    assert {n: lines for n, lines in big.items() if lines > MAX_LINES} == {}


def test_ingest_and_vectorstore_never_import_bot_or_benchmarks():
    for name, path in _modules().items():
        if name.startswith(("ingest", "vectorstore")):
            bad = {m for m in _imports(name, path) if m.split(".")[0] in ("bot", "benchmarks")}
            assert not bad, f"{name} imports {bad}"


def test_the_packages_do_not_import_the_benchmarks_or_tests():
    for name, path in _modules().items():
        bad = {m for m in _imports(name, path) if m.split(".")[0] in ("benchmarks", "tests")}
        assert not bad, f"{name} imports {bad}"


def test_no_import_circles_between_modules():
    modules = _modules()
    graph = {n: {m for m in _imports(n, p) if m in modules and m != n} for n, p in modules.items()}
    # a package's __init__ re-exporting its own modules is not a circle
    graph = {n: {m for m in deps if not n.startswith(m + ".") and not m.startswith(n + ".")}
             for n, deps in graph.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                raise AssertionError("import circle: " + " -> ".join(path[path.index(dep):] + [dep]))
            if dep not in state:
                visit(dep)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_benchmarks_live_outside_the_packages():
    assert (ROOT / "benchmarks" / "bench.py").is_file()
    for package in PACKAGES:
        assert not list((ROOT / package).rglob("*bench*.py")), package


def test_every_import_of_our_own_modules_names_one_that_exists():
    """Lazy imports inside functions are not run by importing the module: check them all here."""
    modules = _modules()
    missing = set()
    for name, path in modules.items():
        for target in _imports(name, path):
            if target.split(".")[0] not in PACKAGES or target in modules:
                continue
            parent = target.rsplit(".", 1)[0]  # `from X import Y`: Y may be a name defined in module X
            if parent not in modules:
                missing.add(f"{name}: {target}")
    assert not missing, sorted(missing)
