"""Peak RSS of the whole process tree and CPU s of `readiness analyze` (rules and every
report) over one crawl store, for this checkout and, with --before, another one.

Each checkout analyses its own copy of the store (outputs are written beside it), run as
`python -c` from the checkout's folder so that checkout's `readiness` package is the one
imported (this checkout's .venv supplies the dependencies). The tree is sampled from /proc
the way crawl_speed.py samples a crawl. findings.json of the two is compared line by line
with `generated_at` and the store path left out: the same store must give the same findings.

    .venv/bin/python bench/analyze_memory.py /tmp/readiness-bench-XXXX/readiness-20000/crawl.sqlite \\
        --before /tmp/main-checkout
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl_speed import REPO, Run, run_measured  # noqa: E402

CLI = "import sys; from readiness.cli import main; sys.exit(main())"


def measure(label: str, checkout: Path, store: Path, workdir: Path, timeout: float) -> Run:
    # A folder of its own under the label's: the other checkout's run is no "earlier run".
    run_dir = workdir / label / "run"
    run_dir.mkdir(parents=True)
    copy = run_dir / store.name
    shutil.copyfile(store, copy)
    run = Run(label, 0)
    run_measured(run, [sys.executable, "-c", CLI, "analyze", str(copy)], run_dir, timeout,
                 cwd=checkout)
    return run


def comparable_lines(path: Path) -> list[str]:
    """findings.json's lines, less what names the moment, the checkout or the store's path
    (generated_at, run.store, config.sources, each rule's seconds)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key == '"generated_at"':
            continue
        if key in ('"run"', '"config"', '"rules"'):
            header = json.loads(value.rstrip(","))
            if key == '"run"':
                header.pop("store")
            elif key == '"config"':
                header.pop("sources")
            else:
                header = [{k: v for k, v in rule.items() if k != "seconds"} for rule in header]
            line = json.dumps(header)
        lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--before", type=Path, help="another checkout to measure first")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep", action="store_true", help="keep the copies and outputs")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="readiness-analyze-")
    try:
        if args.keep:
            print(f"kept: {tmp}")
        checkouts = ([("before", args.before)] if args.before else []) + [("after", REPO)]
        runs = [measure(label, checkout, args.store, Path(tmp), args.timeout)
                for label, checkout in checkouts]
        print(f"{'run':<8} {'exit':>4} {'wall s':>7} {'CPU s':>7} {'tree peak RSS MB':>17} "
              f"{'findings.json MB':>17} {'report.html MB':>15}")
        for run in runs:
            folder = Path(tmp) / run.crawler / "run"
            sizes = [(folder / name).stat().st_size / 1e6 if (folder / name).exists() else 0.0
                     for name in ("findings.json", "report.html")]
            print(f"{run.crawler:<8} {run.returncode:>4} {run.seconds:>7.1f} "
                  f"{(run.self_cpu or 0) + (run.children_cpu or 0):>7.1f} "
                  f"{run.tree_rss_mb or 0:>17.0f} {sizes[0]:>17.1f} {sizes[1]:>15.1f}")
        if args.before:
            before, after = (comparable_lines(Path(tmp) / label / "run" / "findings.json")
                             for label in ("before", "after"))
            print("findings.json before == after (but generated_at, run.store):",
                  before == after, f"({len(after)} lines)")
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp)

if __name__ == "__main__":
    main()
