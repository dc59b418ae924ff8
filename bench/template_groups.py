"""What template grouping costs: analysis CPU and peak RSS with ``groups`` on and off.

    PYTHONPATH=$PWD .venv/bin/python bench/template_groups.py               # a 20,000-page store
    PYTHONPATH=$PWD .venv/bin/python bench/template_groups.py --store reports/<run>/crawl.sqlite

Without ``--store`` it builds a store of ``--pages`` pages (readiness.testing.StoreBuilder, no
crawl): 20 sections (``/s0/`` … ``/s19/``) of same-template pages, each page without a
canonical and with two h1s (CAN001, ONP008: one template group per section and rule), one in
three also with a long title, plus a home page linking to all. Each measurement is one
``analyze`` + findings.json in a child process; the runs with and without grouping alternate
(``--rounds``), and each child's CPU and peak RSS come from ``os.wait4`` (its whole process
tree). Run it by hand; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_store(directory: Path, pages: int) -> Path:
    from readiness.testing import StoreBuilder

    store = StoreBuilder(directory, start_url="http://site.test/")
    urls = [f"/s{i % 20}/page-{i}" for i in range(pages)]
    store.page("/", links=urls, title="Home", canonical="http://site.test/",
               h1=["Home"], fetch={"depth": 0, "discovered_by": "start"})
    for i, url in enumerate(urls):
        title = f"Page {i} of section {i % 20}" + (" with a title far too long to show" * 2
                                                  if i % 3 == 0 else "")
        store.page(url, links=["/"], title=title, h1=["Section", f"Page {i}"],
                   fetch={"depth": 1})
    return store.close()


def child(store: Path, groups: bool) -> None:
    from readiness.report.findings import findings_document, write_document
    from readiness.rules.engine import analyze
    from readiness.rules.settings import load_config_text

    config = load_config_text(f"extends: default\ngroups:\n  enabled: {str(groups).lower()}\n")
    analysis = analyze(store, config)
    document = findings_document(analysis)
    with tempfile.TemporaryDirectory() as out:
        write_document(document, Path(out) / "findings.json")
    print(json.dumps({"findings": len(analysis.records), "groups": len(analysis.groups),
                      "grouped": sum(g["members"] for g in analysis.groups)}))


def measure(store: Path, groups: bool) -> dict:
    process = subprocess.Popen([sys.executable, __file__, "--child", str(store),
                                "--groups" if groups else "--no-groups"],
                               stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter()
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"analysis failed ({process.returncode})")
    return {**json.loads(output), "wall": time.perf_counter() - wall,
            "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--groups", dest="groups", action="store_true", default=True,
                        help=argparse.SUPPRESS)
    parser.add_argument("--no-groups", dest="groups", action="store_false", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.groups)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or build_store(Path(tmp) / "run", args.pages)
        print(f"store {store}, load {os.getloadavg()[0]:.1f}")
        results: dict[bool, list[dict]] = {True: [], False: []}
        for _round in range(args.rounds):
            for groups in (False, True):
                result = measure(store, groups)
                results[groups].append(result)
                print(f"  groups {'on ' if groups else 'off'}: {result['cpu']:6.2f} s CPU "
                      f"{result['wall']:6.2f} s wall  peak {result['peak_mb']:6.0f} MB  "
                      f"{result['findings']} findings, {result['groups']} groups "
                      f"({result['grouped']} grouped)")
        off = min(r["cpu"] for r in results[False])
        on = min(r["cpu"] for r in results[True])
        peak_off = max(r["peak_mb"] for r in results[False])
        peak_on = max(r["peak_mb"] for r in results[True])
        print(f"best CPU on/off {on:.2f}/{off:.2f} s = x{on / off:.3f}; "
              f"peak RSS on/off {peak_on:.0f}/{peak_off:.0f} MB = x{peak_on / peak_off:.3f}; "
              f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
