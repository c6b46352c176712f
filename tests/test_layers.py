"""Rules of the code's shape that the linters do not check. The import order of the layers
is checked by import-linter (the contracts in pyproject.toml, run by scripts/test.sh)."""

from __future__ import annotations

import ast
from pathlib import Path

PARVIS = Path(__file__).resolve().parents[1] / "parvis"
# Where settings are read from the environment (and checked at start).
SETTINGS_MODULES = {"config.py", "settings.py"}


def environment_reads(tree: ast.AST) -> list[int]:
    """Lines reading os.environ or os.getenv; writes (setdefault, assignment) are not reads."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target, name = node.func.value, node.func.attr
            if _is_environ(target) and name in {"get", "pop", "copy", "items", "keys", "values"}:
                lines.append(node.lineno)
            if isinstance(target, ast.Name) and target.id == "os" and name == "getenv":
                lines.append(node.lineno)
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.ctx, ast.Load)
            and _is_environ(node.value)
        ):
            lines.append(node.lineno)
        if isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
            lines.append(node.lineno)  # "NAME" in os.environ
    return lines


def _is_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def test_settings_are_read_from_the_environment_only_through_config():
    found = []
    for path in sorted(PARVIS.rglob("*.py")):
        if path.relative_to(PARVIS).as_posix() in SETTINGS_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(PARVIS)}:{line}" for line in environment_reads(tree)]
    assert found == [], "read these through parvis.config (checked at start): " + ", ".join(found)


def test_the_check_finds_reads_and_ignores_writes():
    code = (
        "import os\n"
        "a = os.environ.get('X')\n"
        "b = os.environ['Y']\n"
        "c = os.getenv('Z')\n"
        "d = 'W' in os.environ\n"
        "os.environ['V'] = '1'\n"
        "os.environ.setdefault('U', '1')\n"
    )
    assert environment_reads(ast.parse(code)) == [2, 3, 4, 5]
