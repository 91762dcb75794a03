"""The installed package stands alone: nothing in aitrail/ reaches into the checkout.

The benchmarks (bench/), the brownie scripts (scripts/) and the test support (tests/) live beside the
package because they need the repository (contracts, build/, node_modules); a wheel of `aitrail` must
not import them, nor brownie (a dev dependency), nor edit sys.path to find them.
"""

import ast
import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]
CHECKOUT_ONLY = {"bench", "scripts", "tests", "brownie"}


def _imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def _edits_sys_path(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Attribute) and node.attr == "path"
        and isinstance(node.value, ast.Name) and node.value.id == "sys"
        for node in ast.walk(tree)
    )


def test_package_source_imports_nothing_from_the_checkout():
    offenders = {}
    for path in sorted((ROOT / "aitrail").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        bad = _imported_roots(tree) & CHECKOUT_ONLY
        if _edits_sys_path(tree):
            bad.add("sys.path")
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_wheel_packages_leave_the_bench_out():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(str(ROOT), include=include)
    assert "aitrail" in packages
    assert not [p for p in packages if p.split(".")[0] in CHECKOUT_ONLY]
