"""CPU s and peak RSS of what a crawl with backlink exports does before its first request:
``SiteBacklinks.read`` (readiness/crawl/backlinks.py) over a large Ahrefs Backlinks export,
every target through the host map, counted on and off the site, the distinct targets kept.
The rows are streamed, never held (they are read again, streamed, to be stored).

Measured like bench/backlink_export.py (a child process, /proc VmHWM, os.wait4).

    .venv/bin/python bench/backlink_targets.py --rows 200000
"""

from __future__ import annotations

import argparse
import codecs
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backlink_export import write_export  # noqa: E402
from crawl_speed import REPO, Run, run_measured  # noqa: E402

READ = ("import sys; from pathlib import Path; "
        "from readiness.config.models import BacklinkExportConfig; "
        "from readiness.urls import UrlNormalizer; "
        "from readiness.crawl.backlinks import SiteBacklinks; "
        "found = SiteBacklinks.read([BacklinkExportConfig(file=sys.argv[1])], "
        "UrlNormalizer({'https://www.example-clinic.test': 'http://127.0.0.1:8080'}), "
        "{'127.0.0.1:8080'}); print(len(found.targets))")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="readiness-bench-targets-") as tmp:
        workdir = Path(tmp)
        export = workdir / "ahrefs.csv"
        write_export(export, args.rows, ",", "utf-8", codecs.BOM_UTF8)
        run = Run("site-backlinks", args.rows)
        run_measured(run, [sys.executable, "-c", READ, str(export)], workdir, args.timeout,
                     cwd=REPO, tag="targets")
        if run.returncode:
            print(run.stderr.read_text()[-2000:])
            return 1
        cpu = (run.self_cpu or 0.0) + (run.children_cpu or 0.0)
        print(f"{args.rows} rows, {run.stdout.read_text().strip()} targets: {cpu:.2f} CPU s, "
              f"{run.seconds:.2f} wall s, peak {run.process_hwm_mb.get('main', 0.0):.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
