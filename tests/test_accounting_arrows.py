"""Money sits below the pipeline: arrows between accounting, pipeline and billing point down only.

studio.accounting (prices, the ledger's and budgets' tables) uses Django, the standard library and
the capability table; the pipeline writes charges and reservations through it and never reaches
up into studio.billing, which only reads. Every import counts, deferred ones too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import studio

ROOT = Path(studio.__file__).parent


def studio_imports(package: str) -> dict[str, set[str]]:
    """Each module of `package` → the studio modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[str(path.relative_to(ROOT.parent))] = {n for n in names if n.split(".")[0] == "studio"}
    return found


def test_accounting_uses_only_django_the_capability_table_and_itself():
    allowed = ("studio.accounting", "studio.wan.capabilities")
    reaching_up = {
        module: sorted(n for n in names if not n.startswith(allowed))
        for module, names in studio_imports("accounting").items()
    }
    assert {m: names for m, names in reaching_up.items() if names} == {}


def test_the_pipeline_never_imports_billing():
    upward = {
        module: sorted(n for n in names if n.startswith("studio.billing"))
        for module, names in studio_imports("pipeline").items()
    }
    assert {m: names for m, names in upward.items() if names} == {}
