"""The package as a user installs it (docs/ci.md, "Installing readiness"): `python -m build`
makes an sdist and a wheel built from that sdist; the wheel carries every file of the package
that is not Python (the demo site, the report templates, the shipped rules, the store's SQL),
and installed into a fresh virtual environment it runs from a folder outside the checkout.

Built offline from a copy of the checkout (`--no-isolation`: the build backend of the test
environment, `.[test]` installs it), so the checkout's own build/ and egg-info are left alone
while other tests run. The fresh environment has no dependencies of its own: a .pth file
lends it the test environment's (not its readiness, which is an editable install whose
finder a .pth-added folder does not load).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import REPO
from report.planted import build_site

from readiness import __version__

# What the build reads from the checkout: the package, its metadata and the README it names.
BUILD_INPUTS = ("readiness", "pyproject.toml", "setup.py", "README.md")


def package_data_files() -> set[str]:
    """Every file of the package in the checkout that is not Python, as the wheel names it."""
    return {path.relative_to(REPO).as_posix() for path in (REPO / "readiness").rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
            and path.suffix not in (".py", ".pyc")}


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                             str(out), str(source)], capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed (no dependencies fetched)."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    # No pip of its own (ensurepip is most of a venv's making): the test environment's pip
    # installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=300)
    python = venv / "bin" / "python"
    [wheel] = dist.glob("readiness-*.whl")
    result = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                             "--quiet", "--no-deps", "--no-index", str(wheel)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip()
    (Path(site_packages) / "test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return venv


def run_installed(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "readiness"), *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_build_makes_an_sdist_and_a_wheel_with_every_package_file(dist):
    [sdist] = dist.glob(f"readiness-{__version__}.tar.gz")
    [wheel] = dist.glob(f"readiness-{__version__}-py3-none-any.whl")
    data = package_data_files()
    # The demo site, the templates, the shipped rules and the store's SQL: the files a
    # running readiness opens, present in the checkout (so the comparison below means it).
    assert {"readiness/rulesets/default.yaml", "readiness/report/templates/report.html.j2",
            "readiness/report/templates/report.css", "readiness/report/templates/report.js",
            "readiness/store/indexes.sql", "readiness/demo/site/site.yaml"} <= data
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        entry_points = archive.read(
            f"readiness-{__version__}.dist-info/entry_points.txt").decode()
    assert data - in_wheel == set()
    assert "readiness = readiness.cli:run" in entry_points
    assert "[readiness.rules]" in entry_points and "[scrapy]" in entry_points
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert data - in_sdist == set()  # the wheel above was built from this sdist


def test_installed_wheel_runs_from_outside_the_checkout(installed, tmp_path):
    where = subprocess.run([str(installed / "bin" / "python"), "-c",
                            "import readiness; print(readiness.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True)
    assert Path(where.stdout.strip()).is_relative_to(installed)  # the wheel, not the checkout
    version = run_installed(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"readiness {__version__}"
    rules = run_installed(installed, "rules", cwd=tmp_path)
    assert rules.returncode == 0, rules.stderr
    for code in ("LNK001", "RDR002", "STS001", "PLC001"):  # families from their entry points
        assert code in rules.stdout


def test_installed_wheel_analyses_and_writes_every_report(installed, tmp_path):
    store = build_site(tmp_path / "reports" / "run", loop=True)
    result = run_installed(installed, "analyze", str(store), cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # the planted loop, with the shipped rules
    for name in ("report.html", "findings.json", "junit.xml", "summary.md"):
        assert (store.parent / name).is_file(), name
    assert "redirect-loop" in (store.parent / "report.html").read_text(encoding="utf-8")
