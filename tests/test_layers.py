"""One direction: no module imports a later stage, and there is no import cycle.

The contracts are import-linter's, declared in pyproject.toml ([tool.importlinter]) and drawn
in docs/architecture.md ("Layers"). grimp reads every import statement, those inside
functions and under ``if TYPE_CHECKING`` too, so a cycle cannot hide behind a lazy import.
The planted-import tests run the same checker on a copy of the package with one wrong import
added, so a contract that could never break would fail them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The `lint-imports` command of import-linter (the test extra), run by this interpreter.
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; " \
               "sys.exit(lint_imports_command())"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter over the ``readiness`` package found in ``root``, with its contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", str(root / "pyproject.toml"),
         "--no-cache"],
        capture_output=True, text=True, timeout=300, cwd=root, env=env, check=False)


def test_every_stage_imports_only_earlier_stages_and_there_is_no_cycle():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout, result.stdout


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """The package and its contracts, copied so a test can plant an import in it."""
    shutil.copytree(REPO / "readiness", tmp_path / "readiness",
                    ignore=shutil.ignore_patterns("__pycache__", "site", "templates"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(root: Path, module: str, source: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + source, encoding="utf-8")


def test_the_untouched_copy_keeps_every_contract(package_copy):
    # So what breaks a contract in the tests below is the planted import alone.
    result = lint_imports(package_copy)
    assert "3 kept, 0 broken" in result.stdout, result.stdout + result.stderr


def test_a_lazy_import_of_a_later_stage_is_caught(package_copy):
    plant(package_copy, "readiness.store.reader",
          "def _analysis():\n    from readiness.rules.engine import analyze\n    return analyze\n")
    result = lint_imports(package_copy)
    assert result.returncode != 0
    assert "readiness.store is not allowed to import readiness.rules" in result.stdout, result.stdout


def test_rules_importing_the_crawl_is_caught(package_copy):
    plant(package_copy, "readiness.rules.links", "from readiness.crawl import robots\n")
    result = lint_imports(package_copy)
    assert result.returncode != 0
    assert "readiness.rules is not allowed to import readiness.crawl" in result.stdout, result.stdout


def test_a_cycle_hidden_by_lazy_imports_is_caught(package_copy):
    # Inside one package the layers say nothing; only the cycle contract sees this.
    plant(package_copy, "readiness.config.errors",
          "def _models():\n    from readiness.config import models\n    return models\n")
    plant(package_copy, "readiness.config.models",
          "def _errors():\n    from readiness.config import errors\n    return errors\n")
    result = lint_imports(package_copy)
    assert result.returncode != 0
    assert "Each stage imports only earlier stages" in result.stdout  # the layers are kept...
    assert "KEPT" in result.stdout.split("Each stage imports only earlier stages")[1].splitlines()[0]
    assert "No cycles are allowed in readiness.config" in result.stdout, result.stdout
