"""Timings of the fixture's 3 MB pages as recorded during the crawl and as measured again.

    .venv/bin/python bench/remeasure_big_page.py [--code CHECKOUT] [--runs N]

Serves tests/fixture_site (of this checkout), runs ``readiness check`` of /timing/ with the
readiness code in CHECKOUT (default: this one; give an older checkout to compare), and prints
for /timing/big-fast and /timing/big-slow-once the crawl's sample, the quiet re-measurements
and the EXP001/EXP002 findings. Loopback only; a few seconds per run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from readiness.demo.server import SiteServer  # noqa: E402

PAGES = ("/timing/big-fast", "/timing/big-slow-once")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=REPO, help="checkout whose readiness runs")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="remeasure-"))
    with SiteServer(REPO / "tests" / "fixture_site") as server:
        for n in range(args.runs):
            out = tmp / f"run-{n}"
            config = tmp / f"run-{n}.yaml"
            config.write_text(yaml.safe_dump({"crawl": {"include": ["/timing/*"],
                                                        "probe": {"enabled": False}}}))
            server.reset_sequences()
            subprocess.run([sys.executable, "-m", "readiness.cli", "check",
                            server.url("site", "/timing/"), "--config", str(config), "--out",
                            str(out), "--reports-dir", str(tmp), "--quiet"],
                           cwd=args.code, capture_output=True, text=True, timeout=600,
                           env={"PYTHONPATH": str(args.code), "PATH": "/usr/bin:/bin"})
            db = sqlite3.connect(out / "crawl.sqlite")
            findings = json.loads((out / "findings.json").read_text())["findings"]
            for page in PAGES:
                url = server.url("site", page)
                ttfb, elapsed, timings = db.execute(
                    "SELECT f.ttfb_ms, f.elapsed_ms, f.timings FROM fetches f JOIN urls u "
                    "ON u.id = f.url_id WHERE u.url = ?", (url,)).fetchone()
                quiet = [s.get("elapsed_ms") for s in json.loads(timings)[1:]] if timings else []
                slow = [f"{f['rule']} {f['severity']}: {f['message']}" for f in findings
                        if f["url"] == url and f["rule"] in ("EXP001", "EXP002")]
                print(f"run {n} {page}: during the crawl ttfb {ttfb} ms, download {elapsed} ms; "
                      f"quiet downloads {quiet} ms -> {slow or 'not slow'}")
            db.close()
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
