"""The ``readiness`` command behaves like a good Unix tool (issue 13 §5), each behaviour through
a subprocess: a closed stdout ends it quietly, ``--quiet``/``--verbose``/``--no-color`` on every
command, colour only on a terminal, the findings document on stdout with ``-o -``, progress
during the outbound phase (the CLI's line and ``scrapy crawl``'s log).

The site is tests/cli_site: one planted error (/gone, a linked 404) beside its clean twin
(/about), and nine outside links on three loopback hosts, one of them slow.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import REPO, TEST_PROBE, run_cli

from readiness import __version__
from readiness.demo.server import SiteServer

CLI_SITE = REPO / "tests" / "cli_site"
WAIT = 120  # seconds: generous bounds, never expected to be reached
COMMANDS = ("crawl", "check", "backlinks", "analyze", "diff", "prospects", "placements",
            "rules", "demo", "init")
ANSI = "\x1b["
CLI = [sys.executable, "-m", "readiness.cli"]


@pytest.fixture(scope="module")
def site():
    with SiteServer(CLI_SITE) as server:
        yield server


@pytest.fixture(scope="module")
def config(site, tmp_path_factory) -> Path:
    """Probes one at a time per host, with time for the slow outside page."""
    path = tmp_path_factory.mktemp("config") / "cli.yaml"
    probe = {**TEST_PROBE, "timeout": 30.0, "concurrency_per_host": 1}
    path.write_text(yaml.safe_dump({"crawl": {"probe": probe}}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def piped_check(site, config, tmp_path_factory):
    """``check URL -o - --verbose``: (the process, the findings document it printed, the store)."""
    reports = tmp_path_factory.mktemp("reports")
    result = run_cli("check", site.url("site"), "--config", str(config), "--reports-dir",
                     str(reports), "-o", "-", "--verbose", timeout=WAIT)
    assert result.returncode == 1, result.stderr  # the planted 404 fails the gate
    store = Path(re.search(r"^store: (.+)$", result.stderr, re.M).group(1))
    return result, json.loads(result.stdout), store


def finding_urls(document: dict, rule: str) -> set[str]:
    return {f["url"] for f in document["findings"] if f["rule"] == rule}


# --- a closed stdout ----------------------------------------------------------------------


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI with a stdout whose reader has already gone: its first write fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([*CLI, *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=WAIT, cwd=REPO)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [("rules",), ("rules", "RDR001"), ("--help",)])
def test_a_closed_stdout_ends_the_command_quietly(args):
    result = run_into_closed_pipe(*args)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode in (141, 0), result.stderr  # 128 + SIGPIPE; --help: argparse's


def test_rules_piped_into_head_prints_no_traceback():
    result = subprocess.run(f"{sys.executable} -m readiness.cli rules | head -1", shell=True,
                            capture_output=True, text=True, timeout=WAIT, cwd=REPO)
    assert result.stderr == ""
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 1


def test_analyze_into_a_closed_pipe_says_nothing(piped_check):
    result = run_into_closed_pipe("analyze", str(piped_check[2]), "--format", "json")
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr


def test_dash_capital_v_prints_the_version():
    for flag in ("-V", "--version"):
        result = run_cli(flag)
        assert result.returncode == 0 and result.stdout.strip() == f"readiness {__version__}"


# --- the findings document on stdout ------------------------------------------------------


def test_check_dash_o_dash_prints_the_findings_document(piped_check, site):
    result, document, store = piped_check
    assert result.stdout.startswith("{")
    assert finding_urls(document, "STS001") == {site.url("site", "/gone")}
    assert site.url("site", "/about") not in {f["url"] for f in document["findings"]}  # clean
    # The people's text went to stderr, and nothing but the store was written.
    assert "verdict: NOT READY" in result.stderr and "verdict: " not in result.stdout
    assert sorted(p.name for p in store.parent.iterdir()) == ["crawl.log", "crawl.sqlite"]


def test_verbose_check_echoes_the_scrapy_log_and_times_its_phases(piped_check):
    stderr = piped_check[0].stderr
    assert "[scrapy.core.engine] INFO: Spider opened" in stderr
    for phase in ("crawl", "analysis", "reports"):
        assert re.search(rf"^readiness: {phase} took \d+\.\d s$", stderr, re.M), phase


def test_analyze_dash_o_dash_pipes_into_json_tool(piped_check):
    store = piped_check[2]
    result = subprocess.run(
        f"{sys.executable} -m readiness.cli analyze {store} -o - | {sys.executable} -m json.tool",
        shell=True, capture_output=True, text=True, timeout=WAIT, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["ready"] is False
    assert "gate (--fail-on error): FAIL" in result.stderr
    assert not (store.parent / "findings.json").exists()


def test_dash_o_dash_takes_only_the_json_format(piped_check):
    result = run_cli("analyze", str(piped_check[2]), "-o", "-", "--format", "html")
    assert result.returncode == 2 and result.stdout == ""
    assert "only the findings document (--format json) goes to stdout" in result.stderr


def test_files_written_without_dash_o_dash_are_named(piped_check):
    store = piped_check[2]
    result = run_cli("analyze", str(store), "--format", "md")
    assert result.returncode == 1
    assert f"summary: {store.parent / 'summary.md'}" in result.stdout
    # The summary never names a file it did not write.
    for name in ("findings.json", "report.html", "junit.xml", "redirects"):
        assert name not in result.stdout, name


# --- quiet, verbose, colour ---------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_quiet_verbose_and_no_color(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    for switch in ("--quiet", "--verbose", "--no-color"):
        assert switch in result.stdout, switch


def test_quiet_prints_only_the_verdict_and_the_gate(piped_check):
    result = run_cli("analyze", str(piped_check[2]), "--quiet", "--format", "json")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["verdict:", "gate"], lines
    assert lines[0].startswith("verdict: NOT READY")


def test_quiet_before_the_command_works_too(piped_check):
    result = run_cli("--quiet", "analyze", str(piped_check[2]), "--format", "json")
    assert [line.split()[0] for line in result.stdout.splitlines()] == ["verdict:", "gate"]


def run_on_a_terminal(*args: str, env: dict | None = None) -> tuple[int, str]:
    """Run the CLI with stdout on a pseudo-terminal: (exit status, what it printed there)."""
    master, slave = pty.openpty()
    process = subprocess.Popen([*CLI, *args], stdout=slave, stderr=subprocess.DEVNULL,
                               cwd=REPO, env={**os.environ, **(env or {})})
    os.close(slave)
    output = read_terminal(master, process)
    return process.wait(timeout=WAIT), output


def read_terminal(master: int, process: subprocess.Popen, until=None) -> str:
    """Everything written to the terminal ``master`` until the process closes it (or, with
    ``until``, until the text so far matches it)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + WAIT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
            if until is not None and until(b"".join(chunks).decode(errors="replace")):
                break
    finally:
        if until is None:
            os.close(master)
    return b"".join(chunks).decode(errors="replace")


def test_colour_on_a_terminal(piped_check):
    status, output = run_on_a_terminal("analyze", str(piped_check[2]), "--format", "json",
                                       env={"NO_COLOR": ""})
    assert status == 1
    assert "\x1b[31m\x1b[1mNOT READY\x1b[0m" in output
    assert "\x1b[31m\x1b[1mFAIL\x1b[0m" in output


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_no_colour_when_asked(piped_check, how):
    args, env = ["analyze", str(piped_check[2]), "--format", "json"], {}
    if how == "NO_COLOR":
        env["NO_COLOR"] = "1"
    else:
        args.append(how)
    status, output = run_on_a_terminal(*args, env=env)
    assert status == 1 and "verdict: NOT READY" in output
    assert ANSI not in output


def test_never_colour_into_a_pipe(piped_check):
    result = run_cli("analyze", str(piped_check[2]), "--format", "json")
    assert "verdict: NOT READY" in result.stdout and ANSI not in result.stdout


# --- progress during the outbound phase ---------------------------------------------------

OUTBOUND_LINE = re.compile(r"checking 9 outside links on 3 hosts \(polite: 1 at a time per "
                           r"host\) — (\d) done(, ~\d+ s left)?")


def test_the_progress_line_counts_the_outside_links_while_they_are_checked(site, config,
                                                                           tmp_path):
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [*CLI, "crawl", site.url("site"), "--config", str(config), "--reports-dir",
         str(tmp_path)], stdout=subprocess.DEVNULL, stderr=slave, cwd=REPO)
    os.close(slave)
    try:
        # The slow outside page keeps the phase open for seconds; the line is redrawn every
        # second meanwhile.
        seen = read_terminal(master, process,
                             until=lambda text: any(int(m.group(1)) < 9 for m in
                                                    OUTBOUND_LINE.finditer(text)))
        seen += read_terminal(master, process)
    finally:
        assert process.wait(timeout=WAIT) == 0
    during = [m for m in OUTBOUND_LINE.finditer(seen) if int(m.group(1)) < 9]
    assert during, seen
    assert "9 outside links on 3 hosts checked" in seen.splitlines()[-1]


def test_scrapy_crawl_logs_the_progress_every_interval(site, config, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url('site')}",
         "-a", f"config={config}", "-a", f"out={tmp_path / 'run'}",
         "-s", "READINESS_PROGRESS_LOG_INTERVAL=0.5", "-s", "READINESS_ANALYZE_ON_CLOSE=0"],
        capture_output=True, text=True, timeout=WAIT, cwd=REPO)
    assert result.returncode == 0, result.stderr
    logged = re.findall(r"\[readiness\.crawl\.progress\] INFO: progress: (.*)", result.stderr)
    assert any(int(m.group(1)) < 9 for line in logged if (m := OUTBOUND_LINE.search(line))), \
        logged
    assert logged[-1].endswith("| 9 outside links on 3 hosts checked")


def test_scrapy_crawl_progress_log_switched_off(site, config, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url('site')}",
         "-a", f"config={config}", "-a", f"out={tmp_path / 'run'}",
         "-s", "READINESS_PROGRESS_LOG_INTERVAL=0", "-s", "READINESS_ANALYZE_ON_CLOSE=0"],
        capture_output=True, text=True, timeout=WAIT, cwd=REPO)
    assert "readiness.crawl.progress" not in result.stderr
