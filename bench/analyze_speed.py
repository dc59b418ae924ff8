"""How long every rule takes over a crawl store, and what the analysis holds in memory.

    PYTHONPATH=$PWD .venv/bin/python bench/analyze_speed.py reports/<run>/crawl.sqlite

Runs the shipped rule set in this process (as ``readiness analyze`` does, without writing the
reports) and prints the total, the slowest rules, the peak RSS of the process (VmHWM: analysis
starts no other process) and a digest of the findings (ids, evidence), so two versions of the
code can be compared on the same store: same digest, same findings. Make a store with
``bench/crawl_speed.py --sizes N --crawlers readiness --keep``. Run it by hand; nothing here
is a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--top", type=int, default=10, help="slowest rules to list")
    args = parser.parse_args(argv)

    try:
        from readiness.rules.settings import load_config
    except ImportError:  # a checkout from before the rules validated their own settings
        from readiness.config import load_config
    from readiness.rules.engine import analyze

    config = load_config(None)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    analysis = analyze(args.store, config)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    digest = hashlib.sha256()
    findings = list(analysis.findings)  # streamed from the findings spool since session 18
    for finding in sorted(findings, key=lambda f: f.id):
        digest.update(json.dumps([finding.id, finding.message, finding.evidence], sort_keys=True,
                                 default=str).encode())
    print(f"{analysis.pages} pages, {len(findings)} findings, {seconds:.2f} s wall, "
          f"{cpu:.2f} s CPU, peak RSS {peak_rss_mb():.0f} MB, digest {digest.hexdigest()[:16]}")
    # Slowest by CPU where the engine measures it (wall time moves with the machine's load);
    # an older checkout's runs have wall time only.
    measured = hasattr(analysis.runs[0], "cpu_seconds")
    for run in sorted(analysis.runs, key=lambda r: -(r.cpu_seconds if measured else r.seconds)
                      )[:args.top]:
        spent = f"{run.cpu_seconds:6.2f} s CPU" if measured else ""
        print(f"  {run.rule.code:<7} {run.seconds:6.2f} s  {spent}  {run.findings:>6} findings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
