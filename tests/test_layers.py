"""The layers hold: imports only point down (import-linter, configured in
pyproject.toml), and nothing outside data_access touches the contract models."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["site_config", "dashboard", "api", "demo", "data_access", "tenancy"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# The tenant admin registers Contract: it reads through the tenant-scoped manager
# and writes through data_access.services.
CONTRACT_ADMIN = ROOT / "site_config" / "admin" / "tenant.py"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml")],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def test_imports_only_point_down():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / "data_access" / "models.py").open("a") as models:
        models.write("\nfrom dashboard import views  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "data_access.models -> dashboard.views" in result.stdout


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


def test_only_data_access_touches_the_contract_models():
    offences = [
        offence
        for package in PACKAGES
        if package != "data_access"
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts and path != CONTRACT_ADMIN
        for offence in _offences(path)
    ]
    assert offences == []


def test_the_contract_check_itself_finds_an_offence(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("from data_access.models import Client, Contract\n")
    assert _offences(module) == [f"{module}:1 imports Contract"]
