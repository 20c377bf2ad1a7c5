"""The package's floors: imports only point down; statistics know no language, no plot and no prose."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import helpers

PACKAGE = Path(helpers.__file__).resolve().parent

#: floor of each sub-package (higher floors use lower ones, never the reverse)
FLOORS = {"stats": 1, "io": 1, "datasets": 1, "studies": 2, "narrative": 3, "figures": 4, "report": 4,
          "pipeline": 5, "__main__": 6, "__init__": 6}
#: the study layer (floor 2) and statistics (floor 1): no language, no plots, no prose
ANALYSIS = ("stats", "io", "studies")
PLOTTING = ("matplotlib", "seaborn")


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        out.append((".".join(("helpers", *rel.with_suffix("").parts)), path))
    return out


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def test_imports_only_point_down():
    wrong = []
    for module, path in _modules():
        here = FLOORS[_room(module)]
        for target in _imports(path):
            if not target.startswith("helpers.") or _room(target) not in FLOORS:
                continue
            if FLOORS[_room(target)] > here:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_statistics_and_studies_neither_plot_nor_speak():
    offenders = []
    for module, path in _modules():
        if not module.startswith(("helpers.stats", "helpers.studies")):
            continue
        speaks = module.startswith(("helpers.stats", "helpers.studies.mystery_guest"))  # other rooms: data words
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        plots = sorted(t for t in _imports(path) if t.split(".")[0] in PLOTTING)
        if plots:
            offenders.append(f"{module} imports {plots}")
        cyrillic = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    and re.search("[А-Яа-яЁё]", n.value) and not _is_docstring(n, tree)]
        if cyrillic and speaks:
            offenders.append(f"{module} holds Russian text: {cyrillic[0][:40]!r}")
    assert offenders == []


def _is_docstring(node, tree) -> bool:
    for parent in ast.walk(tree):
        body = getattr(parent, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and body[0].value is node:
            return True
    return False


def _analysis_functions():
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        if _room(info.name) not in ANALYSIS:
            continue
        mod = importlib.import_module(info.name)
        for name, obj in vars(mod).items():
            if inspect.isfunction(obj) and obj.__module__ == mod.__name__:
                yield f"{info.name}.{name}", obj


def test_no_statistics_or_study_signature_has_lang():
    with_lang = [name for name, fn in _analysis_functions() if "lang" in inspect.signature(fn).parameters]
    assert with_lang == []


def _module_graph(room: str) -> dict[str, set[str]]:
    """Module -> the modules of the same room it imports (at the top or inside a function)."""
    modules = {m: p for m, p in _modules() if _room(m) == room}
    return {m: {t for t in _imports(p) if t in modules and t != m} for m, p in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle of ``graph`` found by depth-first search (each reported once, from its smallest name)."""
    found = set()

    def walk(path: list[str]) -> None:
        for nxt in sorted(graph.get(path[-1], ())):
            if nxt == path[0]:
                found.add(tuple(path))
            elif nxt not in path and nxt > path[0]:
                walk([*path, nxt])

    for start in sorted(graph):
        walk([start])
    return [list(c) for c in sorted(found)]


def test_io_has_no_import_circle():
    """Shared types live in ``helpers.io.contract``; ``columns`` and ``ingest`` no longer import each other."""
    assert _circles(_module_graph("io")) == []
    assert _circles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]  # the search finds a circle
