"""The layout's lines are checked, not remembered: import-linter's contracts (pyproject.toml) and no import cycle."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flows", "tasks", "warehouse", "config", "contracts")
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=root, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})


def test_every_import_contract_is_kept():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") >= 6


@pytest.mark.parametrize("module, line, contract", [
    ("config/catalog.py", "from tasks.read import submission", "Contracts and config"),
    ("tasks/read/text.py", "from warehouse import db", "Reading and checking need no database"),
    ("tasks/check/reconcile.py", "import tasks.load.submissions", "Stages"),
    ("tasks/load/submissions.py", "from flows import nightly", "Packages"),
    ("flows/cli/district.py", "import prefect", "The path of `baocao check`"),
])
def test_an_import_across_a_line_breaks_the_build(tmp_path, module, line, contract):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "var", ".git", "tests", "benchmarks",
                                                              "examples", "*.pyc", "__pycache__"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # a line crossed on purpose\n", encoding="utf-8")
    done = lint(copy)
    assert done.returncode != 0
    broken = done.stdout.split("Broken contracts", 1)[1]
    assert contract in broken and module.removesuffix(".py").replace("/", ".") in broken


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a cycle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    modules = sorted(m for m in graph.modules if m.split(".")[0] in PACKAGES)

    def visit(start: str) -> None:
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next((c for c in children if c.split(".")[0] in PACKAGES), None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in modules:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_among_the_projects_modules():
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES)
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("tasks.a", "tasks.b", "tasks.c"):
        graph.add_module(module)
    graph.add_import(importer="tasks.a", imported="tasks.b")
    graph.add_import(importer="tasks.b", imported="tasks.c")
    graph.add_import(importer="tasks.c", imported="tasks.a")
    assert cycles(graph) == [["tasks.a", "tasks.b", "tasks.c"]]


def test_tasks_holds_stage_folders_not_a_flat_bag():
    modules = sorted(p.name for p in (ROOT / "tasks").glob("*.py"))
    assert len(modules) <= 6, modules
    assert {"intake", "read", "check", "load", "review"} <= {p.name for p in (ROOT / "tasks").iterdir() if p.is_dir()}
