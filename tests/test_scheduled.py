"""Scheduled crawls through scrapyd: the project is packaged with scrapyd-deploy, scheduled
over scrapyd's HTTP API like a cron job would, and each run ends with its findings and report,
compared with the previous run. scrapyd runs on 127.0.0.1, started and stopped here."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, free_port

requests = pytest.importorskip("requests")
pytest.importorskip("scrapyd", reason="scrapyd is in the 'scheduled' extra")

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\njobs_to_keep = 5\nmax_proc = 2\npoll_interval = 0.5\n")
    server = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{url}/daemonstatus.json", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield url, home
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def deployed(scrapyd, tmp_path_factory):
    """The project built as an egg with scrapyd-deploy and added to scrapyd."""
    url, _home = scrapyd
    egg = tmp_path_factory.mktemp("egg") / "readiness.egg"
    build = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)], cwd=REPO,
                           capture_output=True, text=True, timeout=180)
    assert build.returncode == 0, build.stderr
    with egg.open("rb") as file:
        added = requests.post(f"{url}/addversion.json", timeout=30,
                              data={"project": "readiness", "version": "1"},
                              files={"egg": file}).json()
    assert added["status"] == "ok" and added["spiders"] == 1, added
    return url


def schedule(scrapyd_url: str, **args: str) -> str:
    """Schedule the site spider with these spider arguments; the job id."""
    return requests.post(f"{scrapyd_url}/schedule.json", timeout=30, data={
        "project": "readiness", "spider": "site", **args}).json()["jobid"]


def wait_for(scrapyd_url: str, *jobs: str, within: float = 600.0,
             logs_dir: Path | None = None) -> None:
    # A bound, not a timing: two scrapyd jobs each start a Scrapy process, which takes
    # minutes on a loaded two-core machine (120 s was too short under CI with load 7).
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        listed = requests.get(f"{scrapyd_url}/listjobs.json", params={"project": "readiness"},
                              timeout=30).json()
        finished = {j["id"] for j in listed["finished"]}
        if finished >= set(jobs):
            return
        time.sleep(0.1)
    # What scrapyd says of each job, and the end of each job's log: a hang shows where.
    tails = {log.name: log.read_text(errors="replace")[-3000:]
             for log in sorted(Path(logs_dir).rglob("*.log"))} if logs_dir else {}
    pytest.fail(f"the scheduled crawl did not finish within {within:.0f} s: {listed}\n"
                + "\n".join(f"--- {name}\n{tail}" for name, tail in tails.items()))


def test_deploy_schedule_and_compare_with_the_previous_run(deployed, fixture_server, tmp_path):
    url = deployed
    config = tmp_path / "site.yaml"
    config.write_text("crawl:\n  include: ['/clean/*']\n  probe: {enabled: false}\n")
    reports = tmp_path / "reports"
    for _ in range(2):
        job = schedule(url, url=fixture_server.url("site", "/clean/about"), config=str(config),
                       setting=f"READINESS_REPORTS_DIR={reports}")
        wait_for(url, job)  # back to back: runs started in the same second get -2 folders

    runs = sorted(p for p in reports.iterdir() if p.is_dir())
    assert len(runs) == 2
    first = json.loads((runs[0] / "findings.json").read_text())
    second = json.loads((runs[1] / "findings.json").read_text())
    assert (runs[1] / "report.html").is_file()
    assert second["previous"]["against"]["run_id"] == first["run"]["run_id"]
    assert second["previous"]["counts"]["new"] == 0
    assert second["previous"]["counts"]["unchanged"] == len(first["findings"])


def test_a_distributed_run_as_two_scrapyd_jobs(deployed, scrapyd, fixture_server, redis_url,
                                               tmp_path):
    url = deployed
    config = tmp_path / "site.yaml"
    config.write_text(
        "crawl:\n  include: ['/clean/*', '/content/*']\n  probe: {enabled: false}\n"
        "  concurrency: 1\n  delay: 0.1\n"
        f"  distributed: {{redis_url: '{redis_url}', idle_close_seconds: 1}}\n")
    reports = tmp_path / "reports"
    args = {"url": fixture_server.url("site", "/clean/about"), "config": str(config),
            "run": "scheduled-run", "setting": f"READINESS_REPORTS_DIR={reports}"}
    jobs = [schedule(url, **args) for _ in range(2)]
    wait_for(url, *jobs, logs_dir=scrapyd[1] / "logs")
    run = reports / "scheduled-run"
    assert len(list((run / "shards").glob("*.sqlite"))) == 2
    findings = json.loads((run / "findings.json").read_text())
    assert findings["run"]["run_id"] == "scheduled-run"
    assert (run / "report.html").is_file()
    from readiness.store import open_store

    with open_store(run / "crawl.sqlite") as store:
        meta = store.meta()
        assert meta["complete"] is True and len(meta["workers"]) == 2
        assert store.fetch(fixture_server.url("site", "/clean/services"))["status"] == 200
