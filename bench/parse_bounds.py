"""Time to crawl a site whose one page has an element with 100,000 attributes (issue 11 §4).

    .venv/bin/python bench/parse_bounds.py [--parse-workers N]

Serves / (linking /attributes) on loopback, runs ``readiness crawl`` on it as a child
process and prints its wall time and the CPU time of the whole process tree (every
descendant reaped, parse workers included). To measure another checkout, run it with
PYTHONPATH pointing at that checkout's source.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from readiness.demo.server import SiteServer

ATTRIBUTES = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parse-workers", default="0")
    args = parser.parse_args()
    page = ("<html><head><title>A</title></head><body><div "
            + " ".join(f'a{i}="x"' for i in range(ATTRIBUTES)) + "></div></body></html>")
    routes = {"/": {"body": '<html><head><title>Home</title></head><body>'
                            '<a href="/attributes">a</a></body></html>'},
              "/attributes": {"body": page}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "site").mkdir()
        (root / "site" / "site.yaml").write_text(yaml.safe_dump(
            {"hosts": {"site": "127.0.0.1"}, "routes": {"site": routes}}))
        (root / "config.yaml").write_text(yaml.safe_dump({"crawl": {
            "probe": {"enabled": False}, "max_page_bytes": 4_000_000,
            "parse_workers": int(args.parse_workers)}}))
        with SiteServer(root / "site") as server:
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-m", "readiness.cli", "crawl", server.url("site"),
                 "--config", str(root / "config.yaml"), "--out", str(root / "run"),
                 "--reports-dir", str(root), "--quiet"], capture_output=True, text=True)
            wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"parse_workers={args.parse_workers} exit={result.returncode} wall={wall:.1f}s "
          f"cpu={usage.ru_utime + usage.ru_stime:.1f}s")


if __name__ == "__main__":
    main()
