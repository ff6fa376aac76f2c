"""The house's boundaries, as import-linter contracts in pyproject.toml: the kernel below the
contexts below the processes and the demo, contexts reaching each other only through their
``service`` module, and no import circles."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own lint-imports, fixed arguments
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_code_keeps_every_contract() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "services", tmp_path / "services", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _report_with(tmp_path: Path, module: str, line: str) -> str:
    """What lint-imports says of a copy of the code with ``line`` added to ``module``; it must
    find a broken contract."""
    tree = _copy(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}\n")
    result = _lint_imports(tree)
    assert result.returncode != 0
    return result.stdout


def test_reaching_past_another_context_s_service_breaks_a_contract(tmp_path: Path) -> None:
    report = _report_with(
        tmp_path, "services/tendering/bids.py", "from services.planning import repository  # noqa"
    )
    assert "A context reaches another only through its service module BROKEN" in report
    assert "services.tendering.bids -> services.planning.repository" in report


def test_the_kernel_importing_a_context_breaks_the_layers(tmp_path: Path) -> None:
    report = _report_with(
        tmp_path, "services/kit/money.py", "from services.tenancy import service  # noqa"
    )
    assert "processes and the demo on top BROKEN" in report.replace("\n", " ")


def test_an_import_circle_inside_a_package_breaks_a_contract(tmp_path: Path) -> None:
    # kit.relay imports kit.jobs; jobs importing relay back closes a circle.
    report = _report_with(
        tmp_path, "services/kit/jobs.py", "from services.kit import relay  # noqa"
    )
    assert "No import circles between the modules of a package BROKEN" in report
