"""Nothing outside data_access touches the Contract model directly."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPLICATION_PACKAGES = ["dashboard", "tenancy", "site_config"]


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "data_access.models":
            found += [
                f"{path}:{node.lineno} imports {a.name}"
                for a in node.names
                if a.name in {"Contract", "ClientTotals"}
            ]
        if isinstance(node, ast.Attribute) and node.attr in {"Contract", "ClientTotals"}:
            found.append(f"{path}:{node.lineno} uses .{node.attr}")
    return found


def test_only_data_access_queries_contracts():
    offences = [
        offence
        for package in APPLICATION_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for offence in _offences(path)
    ]
    assert offences == []


def test_the_check_itself_finds_an_offence(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("from data_access.models import Client, Contract\n")
    assert _offences(module) == [f"{module}:1 imports Contract"]
