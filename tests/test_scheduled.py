"""Scheduled crawls through scrapyd: the project is packaged with scrapyd-deploy, scheduled
over scrapyd's HTTP API like a cron job would, and each run ends with its findings and report,
compared with the previous run. scrapyd runs on 127.0.0.1, started and stopped here."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO

requests = pytest.importorskip("requests")
pytest.importorskip("scrapyd", reason="scrapyd is in the 'scheduled' extra")

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def test_deploy_schedule_and_compare_with_the_previous_run(scrapyd, fixture_server, tmp_path):
    url, _home = scrapyd
    egg = tmp_path / "readiness.egg"
    build = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)], cwd=REPO,
                           capture_output=True, text=True, timeout=180)
    assert build.returncode == 0, build.stderr
    with egg.open("rb") as file:
        added = requests.post(f"{url}/addversion.json", timeout=30,
                              data={"project": "readiness", "version": "1"},
                              files={"egg": file}).json()
    assert added["status"] == "ok" and added["spiders"] == 1, added

    config = tmp_path / "site.yaml"
    config.write_text("crawl:\n  include: ['/clean/*']\n  probe: {enabled: false}\n")
    reports = tmp_path / "reports"
    for _ in range(2):
        job = requests.post(f"{url}/schedule.json", timeout=30, data={
            "project": "readiness", "spider": "site",
            "url": fixture_server.url("site", "/clean/about"), "config": str(config),
            "setting": f"READINESS_REPORTS_DIR={reports}"}).json()["jobid"]
        for _ in range(600):
            jobs = requests.get(f"{url}/listjobs.json", params={"project": "readiness"},
                                timeout=30).json()
            if any(j["id"] == job for j in jobs["finished"]):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the scheduled crawl did not finish")
        time.sleep(1.1)  # run folders are named by the second they start

    runs = sorted(p for p in reports.iterdir() if p.is_dir())
    assert len(runs) == 2
    first = json.loads((runs[0] / "findings.json").read_text())
    second = json.loads((runs[1] / "findings.json").read_text())
    assert (runs[1] / "report.html").is_file()
    assert second["previous"]["against"]["run_id"] == first["run"]["run_id"]
    assert second["previous"]["counts"]["new"] == 0
    assert second["previous"]["counts"]["unchanged"] == len(first["findings"])
