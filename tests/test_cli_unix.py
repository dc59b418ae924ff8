"""The ``readiness`` command behaves like a good Unix tool (issue 13 §5), each behaviour through
a subprocess: a closed stdout ends it quietly, ``--quiet``/``--verbose``/``--no-color`` on every
command, colour only on a terminal, the findings document on stdout with ``-o -``, progress
during the outbound phase (the CLI's line and ``scrapy crawl``'s log).

The site is tests/cli_site: one planted error (/gone, a linked 404) beside its clean twin
(/about), and nine outside links on three loopback hosts, one of them slow.
"""

from __future__ import annotations

import gzip
import json
import os
import pty
import re
import select
import shutil
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


@pytest.fixture
def store(piped_check, tmp_path) -> Path:
    """A copy of the checked store in a run folder of its own: what a test writes beside it
    stays there."""
    copy = tmp_path / "run" / "crawl.sqlite"
    copy.parent.mkdir()
    shutil.copy(piped_check[2], copy)
    return copy


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
    assert result.returncode == 0 and result.stdout.splitlines() == ["backlinks"]  # a family


def test_analyze_into_a_closed_pipe_says_nothing(store):
    result = run_into_closed_pipe("analyze", str(store), "--format", "json")
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


def test_check_counts_what_it_fetched_once(piped_check):
    """The summary's counts line says what was fetched; the crawl line before it says only
    whether the crawl is whole (it once said "N URLs fetched" too, a second count of the
    same fetches)."""
    lines = piped_check[0].stderr.splitlines()
    assert "crawl: complete (finished)" in lines
    counted = [line for line in lines if "URLs fetched" in line and "progress: " not in line]
    assert len(counted) == 1 and re.match(r"\d+ site URLs fetched: \d+ HTML pages", counted[0]), \
        counted


def test_verbose_check_echoes_the_scrapy_log_and_times_its_phases(piped_check):
    stderr = piped_check[0].stderr
    assert "[scrapy.core.engine] INFO: Spider opened" in stderr
    for phase in ("crawl", "analysis", "reports"):
        assert re.search(rf"^readiness: {phase} took \d+\.\d s$", stderr, re.M), phase


def test_analyze_dash_o_dash_pipes_into_json_tool(store):
    result = subprocess.run(
        f"{sys.executable} -m readiness.cli analyze {store} -o - | {sys.executable} -m json.tool",
        shell=True, capture_output=True, text=True, timeout=WAIT, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["ready"] is False
    assert "gate (--fail-on error): FAIL" in result.stderr
    assert not (store.parent / "findings.json").exists()


def test_dash_o_dash_takes_only_the_json_format(store):
    result = run_cli("analyze", str(store), "-o", "-", "--format", "html")
    assert result.returncode == 2 and result.stdout == ""
    assert "only the findings document (--format json) goes to stdout" in result.stderr


def test_files_written_without_dash_o_dash_are_named(store):
    result = run_cli("analyze", str(store), "--format", "md")
    assert result.returncode == 1
    assert f"summary: {store.parent / 'summary.md'}" in result.stdout
    # The summary never names a file it did not write.
    for name in ("findings.json", "report.html", "junit.xml", "redirects.csv"):
        assert name not in result.stdout, name


# --- quiet, verbose, colour ---------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_quiet_verbose_and_no_color(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0
    for switch in ("--quiet", "--verbose", "--no-color"):
        assert switch in result.stdout, switch


def test_quiet_prints_the_verdict_its_urls_and_the_gate(store):
    result = run_cli("analyze", str(store), "--quiet", "--format", "json")
    assert result.returncode == 1
    assert re.search(r"^verdict: NOT READY .*\n(?:  [( ].*\n)*"
                     r"  http://\S+/gone \(dead-end, 1 internal reference\)\n +STS001 ",
                     result.stdout, re.M), result.stdout
    assert re.search(r"^gate \(--fail-on error\): FAIL", result.stdout, re.M)
    # No detail: the counts by family, which files were written.
    loud = run_cli("analyze", str(store), "--format", "json")
    for detail in ("  status ", "findings: /"):
        assert detail in loud.stdout and detail not in result.stdout, detail


def test_quiet_before_the_command_works_too(store):
    quiet_after = run_cli("analyze", str(store), "--quiet", "--format", "json").stdout
    quiet_before = run_cli("--quiet", "analyze", str(store), "--format", "json").stdout
    assert quiet_before == quiet_after and "findings: /" not in quiet_before


def test_quiet_crawl_still_says_where_its_store_is(site, tmp_path):
    result = run_cli("crawl", site.url("site"), "--no-outbound", "--out", str(tmp_path / "run"),
                     "--reports-dir", str(tmp_path), "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"store: {tmp_path / 'run' / 'crawl.sqlite'}"
    # No summary follows a crawl: its own line counts the fetches.
    assert re.fullmatch(r"crawl: \d+ URLs fetched, outbound links not checked, complete "
                        r"\(finished\)", result.stdout.splitlines()[1]), result.stdout
    assert result.stderr == ""  # no progress line


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


def test_colour_on_a_terminal(store):
    status, output = run_on_a_terminal("analyze", str(store), "--format", "json",
                                       env={"NO_COLOR": ""})
    assert status == 1
    assert "\x1b[31m\x1b[1mNOT READY\x1b[0m" in output
    assert "\x1b[31m\x1b[1mFAIL\x1b[0m" in output


@pytest.mark.parametrize("how", ["NO_COLOR", "--no-color"])
def test_no_colour_when_asked(store, how):
    args, env = ["analyze", str(store), "--format", "json"], {}
    if how == "NO_COLOR":
        env["NO_COLOR"] = "1"
    else:
        args.append(how)
    status, output = run_on_a_terminal(*args, env=env)
    assert status == 1 and "verdict: NOT READY" in output
    assert ANSI not in output


def test_never_colour_into_a_pipe(store):
    result = run_cli("analyze", str(store), "--format", "json")
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


def scrapy_crawl(site, config, out: Path, progress_interval: float):
    """`scrapy crawl site` of the CLI site, its progress log every ``progress_interval`` s."""
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={site.url('site')}",
         "-a", f"config={config}", "-a", f"out={out}",
         "-s", f"READINESS_PROGRESS_LOG_INTERVAL={progress_interval}",
         "-s", "READINESS_ANALYZE_ON_CLOSE=0"],
        capture_output=True, text=True, timeout=WAIT, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return result


def test_scrapy_crawl_logs_the_progress_every_interval(site, config, tmp_path):
    result = scrapy_crawl(site, config, tmp_path / "run", 0.5)
    logged = re.findall(r"\[readiness\.crawl\.progress\] INFO: progress: (.*)", result.stderr)
    assert any(int(m.group(1)) < 9 for line in logged if (m := OUTBOUND_LINE.search(line))), \
        logged
    assert logged[-1].endswith("| 9 outside links on 3 hosts checked")
    # Site URLs, as the summary counts them (pages are only the HTML ones among them).
    assert all(re.match(r"site URLs fetched \d+ \|.* URLs/s", line) for line in logged), logged


def test_scrapy_crawl_progress_log_switched_off(site, config, tmp_path):
    result = scrapy_crawl(site, config, tmp_path / "run", 0)
    assert "Spider closed (finished)" in result.stderr  # the crawl ran to its end, silently
    assert "readiness.crawl.progress" not in result.stderr


# --- readiness init, and ./readiness.yaml found --------------------------------------------


def test_init_writes_a_commented_readiness_yaml_for_the_site(site, tmp_path):
    result = run_cli("init", site.url("site", "/old-home"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "readiness.yaml").read_text(encoding="utf-8")
    written = yaml.safe_load(text)
    # Where the old address ends up is the start URL; the sitemap robots.txt names is told;
    # the https variant (nothing speaks TLS there) is said not to answer; the host map is a
    # commented stub.
    assert written["crawl"]["start_urls"] == [site.url("site")]
    assert f"where {site.url('site', '/old-home')} ends up: 1 redirect" in text
    assert f"#   {site.url('site', '/sitemap.xml')} (robots.txt)" in text
    https_home = site.url("site").replace("http://", "https://")
    assert re.search(rf"#   {re.escape(https_home)} no answer", text)
    assert "extra_hosts" not in written["crawl"]  # an IP address has no www twin
    assert "# host_map:" in text and "host_map" not in written["crawl"]
    # It is a valid configuration.
    from readiness.rules.settings import load_config
    assert load_config(tmp_path / "readiness.yaml").crawl.start_urls == [site.url("site")]


def test_init_refuses_to_overwrite_without_force(site, tmp_path):
    (tmp_path / "readiness.yaml").write_text("# mine\n", encoding="utf-8")
    refused = run_cli("init", site.url("site"), cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (tmp_path / "readiness.yaml").read_text(encoding="utf-8") == "# mine\n"
    forced = run_cli("init", site.url("site"), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "extends: default" in (tmp_path / "readiness.yaml").read_text(encoding="utf-8")


def test_init_never_follows_a_redirect_to_an_address_nobody_named(site, tmp_path):
    result = run_cli("init", site.url("site", "/elsewhere"), cwd=tmp_path)
    assert result.returncode == 3
    assert "cannot reach http://127.0.0.5:9/: not checked: private address" in result.stderr
    assert not (tmp_path / "readiness.yaml").exists()


def test_init_keeps_a_start_url_that_redirects_in_a_loop(site, tmp_path):
    """A loop ends at no page: the URL given stays the start URL (the crawl then reports the
    loop), never one of the loop's redirects, and the loop is asked round once only."""
    site.reset_log()
    result = run_cli("init", site.url("site", "/loop-a"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{site.url('site', '/loop-a')} redirects in a loop" in result.stderr
    text = (tmp_path / "readiness.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["crawl"]["start_urls"] == [site.url("site", "/loop-a")]
    assert "kept as given: it redirects in a loop" in text and "ends up" not in text
    assert len(site.requests_for("site", "/loop-a")) == 1
    assert len(site.requests_for("site", "/loop-b")) == 1
    # Its clean twin, a redirect that ends at a page, gives that page:
    # test_init_writes_a_commented_readiness_yaml_for_the_site (/old-home).


def test_init_without_a_url_writes_a_template(tmp_path):
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load((tmp_path / "readiness.yaml").read_text(encoding="utf-8"))
    assert written == {"extends": "default",
                       "crawl": {"start_urls": ["https://www.clinic.example/"]}}


def test_commands_find_readiness_yaml_and_say_so(site, tmp_path):
    assert run_cli("init", site.url("site"), cwd=tmp_path).returncode == 0
    # No URL, no --config: the start URL comes from ./readiness.yaml.
    result = run_cli("check", "--no-outbound", "--reports-dir", str(tmp_path / "reports"),
                     "--format", "json", cwd=tmp_path, timeout=WAIT)
    assert result.returncode == 1, result.stderr
    assert "readiness: using ./readiness.yaml (--config FILE to use another)" in result.stderr
    store = Path(re.search(r"^store: (.+)$", result.stdout, re.M).group(1))
    document = json.loads((store.parent / "findings.json").read_text(encoding="utf-8"))
    assert document["run"]["start_url"] == site.url("site")
    assert finding_urls(document, "STS001") == {site.url("site", "/gone")}
    # Elsewhere, without the file, nothing is said.
    analyzed = run_cli("analyze", str(store), "--format", "json")
    assert "readiness.yaml" not in analyzed.stderr


# --- readiness demo --serve ---------------------------------------------------------------


def test_demo_serve_serves_until_ctrl_c_with_commands_that_work(tmp_path):
    import signal
    import urllib.request

    process = subprocess.Popen([*CLI, "demo", "--serve", "--reports-dir", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=REPO)
    try:
        printed = []
        for line in process.stdout:  # until it says it serves (or ends: then it failed)
            printed.append(line.rstrip("\n"))
            if line.startswith("serving until Ctrl-C"):
                break
        text = "\n".join(printed)
        assert text.endswith("serving until Ctrl-C"), (text, process.stderr.read())
        served = re.search(r"^demo site: (\S+) served at (\S+)$", text, re.M)
        assert served.group(1) == "https://www.brightsmile-dental.example/"
        with urllib.request.urlopen(served.group(2), timeout=30) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":  # the demo compresses
                body = gzip.decompress(body)
            assert response.status == 200 and b"BrightSmile" in body
        check = re.search(r"^  (readiness check .+)$", text, re.M).group(1).split()
        assert re.search(r"^  scrapy crawl site -a url=\S+ -a config=\S+", text, re.M)
        assert "schedule.json" in text
        # The printed command checks the served site (only some formats: the summary names
        # only the files it wrote).
        result = run_cli(*check[1:], "--reports-dir", str(tmp_path / "reports"),
                         "--format", "md,junit", timeout=WAIT)
        assert result.returncode == 1, result.stderr
        assert "verdict: NOT READY" in result.stdout
        assert re.search(r"^summary: .*summary\.md$", result.stdout, re.M)
        assert re.search(r"^junit: .*junit\.xml$", result.stdout, re.M)
        for name in ("findings.json", "report.html", "redirects.", "csv"):
            assert name not in result.stdout, name
    finally:
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=WAIT)
    assert status == 0, process.stderr.read()
    assert "Traceback" not in process.stderr.read()


@pytest.mark.parametrize("stop_with", ["SIGINT", "SIGTERM"])
def test_demo_serve_stops_on_a_signal_even_started_with_sigint_ignored(tmp_path, stop_with):
    """A background job of a non-interactive shell starts with SIGINT ignored: Ctrl-C (and
    SIGTERM, what a service manager sends) still end the server, with exit 0."""
    import signal

    process = subprocess.Popen(
        [*CLI, "demo", "--serve", "--reports-dir", str(tmp_path)], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=REPO,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        for line in process.stdout:
            if line.startswith("serving until Ctrl-C"):
                break
        process.send_signal(getattr(signal, stop_with))
        status = process.wait(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert status == 0, process.stderr.read()
    assert "demo: stopped" in process.stdout.read()


# --- the package metadata -----------------------------------------------------------------


def test_building_the_package_prints_no_licence_deprecation(tmp_path):
    """The wheel is built as `pip install` builds it (an isolated build environment with the
    setuptools pyproject.toml asks for): no SetuptoolsDeprecationWarning about the licence
    metadata, the page `make demo` used to print."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--verbose", "-w", str(tmp_path),
         str(REPO)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = result.stdout + result.stderr
    if result.returncode != 0 and "setuptools" in output and "No matching distribution" in output:
        pytest.skip("no package index to install the build's setuptools from")
    assert result.returncode == 0, output[-3000:]
    assert "SetuptoolsDeprecationWarning" not in output
    assert not re.search(r"license.*deprecated", output, re.I)
    wheel = next(tmp_path.glob("readiness-*.whl"))
    import zipfile
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist()
                                     if n.endswith(".dist-info/METADATA"))).decode()
        assert "License-Expression: MIT" in metadata
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())


def test_the_summary_points_to_findings_json_only_when_it_wrote_it(tmp_path):
    """More blocking URLs than the terminal shows: "… and N more URLs" names the file that
    lists them only when that file was written this time."""
    from readiness.testing import StoreBuilder

    builder = StoreBuilder(tmp_path / "run")
    dead = [f"/dead-{n:02d}" for n in range(20)]
    builder.page("/", links=dead)
    for url in dead:
        builder.fetch(url, status=404)
    store = builder.close()
    with_json = run_cli("analyze", str(store), "--format", "json,md")
    assert with_json.returncode == 1, with_json.stderr
    assert "… and 6 more URLs in findings.json" in with_json.stdout  # 20 dead + the home page
    without = run_cli("analyze", str(store), "--format", "html,md")
    assert without.returncode == 1, without.stderr
    assert "… and 6 more URLs\n" in without.stdout
    assert "findings.json" not in without.stdout


def test_one_blocking_url_more_than_shown_is_one_more_url(tmp_path):
    from readiness.testing import StoreBuilder

    builder = StoreBuilder(tmp_path / "run")
    dead = [f"/dead-{n:02d}" for n in range(15)]
    builder.page("/", links=dead)
    for url in dead:
        builder.fetch(url, status=404)
    result = run_cli("analyze", str(builder.close()), "--format", "json")
    assert result.returncode == 1, result.stderr
    assert "… and 1 more URL in findings.json\n" in result.stdout, result.stdout  # 15 + home
