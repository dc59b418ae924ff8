"""Start-up of `readiness check` on a 10-page site: wall time, CPU per process, crawl loop.

    .venv/bin/python bench/startup.py                      # 3 runs of this checkout
    .venv/bin/python bench/startup.py --before ../i10-base --runs 5

The site is bench/crawl_speed.py's generator at a small size (no 3 MB pages), served by nginx
on 127.0.0.1; each run is measured by crawl_speed.run_measured (whole process tree from /proc).
The issue's target (issue 10): ≤ 2 s wall. Run by hand; this is not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import crawl_speed  # noqa: E402  (the sibling bench module)

TARGET_WALL_SECONDS = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, metavar="CHECKOUT")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checkouts = ([("before", args.before.resolve())] if args.before else []) + [
        ("after" if args.before else "readiness", crawl_speed.REPO)]
    tmp = Path(tempfile.mkdtemp(prefix="readiness-startup-"))
    tmp.chmod(0o755)
    logdir = tmp / "logs"
    logdir.mkdir()
    port, port2 = (crawl_speed.free_port(h) for h in (crawl_speed.SITE_HOST,
                                                      crawl_speed.OUTBOUND_HOST))
    base = f"http://{crawl_speed.SITE_HOST}:{port}"
    crawl_speed.generate_site(tmp / "site", args.pages, base,
                              f"http://{crawl_speed.OUTBOUND_HOST}:{port2}", seed=1,
                              big_pages=0)
    server = crawl_speed.Nginx(nginx, tmp, tmp / "site", port, port2)
    server.start()
    print(f"{args.pages}-page site on {base}/, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'checkout':10} {'run':>3} {'exit':>4} {'pages':>5} {'wall s':>7} {'loop s':>7} "
          f"{'CPU main':>8} {'CPU workers':>11} {'load':>10}")
    walls: dict[str, list[float]] = {}
    try:
        for index in range(args.runs):
            for label, code in checkouts:
                binary = crawl_speed.readiness_binary(code)
                out = tmp / f"runs-{label}-{index}" / "run"
                cmd = [str(binary), *crawl_speed.readiness_crawl_args(base + "/", tmp, out,
                                                                      "check"), "--quiet"]
                run = crawl_speed.run_measured(crawl_speed.Run(label, args.pages), cmd,
                                               logdir, args.timeout, cwd=code, tag=f"-{index}")
                crawl_speed.store_stats(run, out)
                walls.setdefault(label, []).append(run.seconds)
                loop = f"{run.loop_seconds:.2f}" if run.loop_seconds is not None else "-"
                print(f"{label:10} {index:>3} {run.returncode:>4} {run.pages or 0:>5} "
                      f"{run.seconds:>7.2f} {loop:>7} {run.self_cpu or 0:>8.2f} "
                      f"{run.children_cpu or 0:>11.2f} "
                      f"{run.load[0]:>4.1f}→{run.load[1]:<4.1f}", flush=True)
                if run.returncode not in crawl_speed.CHECK_EXIT_CODES:
                    print("  " + " | ".join(run.stderr.read_text().splitlines()[-3:]))
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for label, values in walls.items():
        median = statistics.median(values)
        verdict = "meets" if median <= TARGET_WALL_SECONDS else "misses"
        print(f"{label}: median wall {median:.2f} s ({verdict} the ≤ "
              f"{TARGET_WALL_SECONDS:.0f} s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
