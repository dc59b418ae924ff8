"""CPU s and peak RSS of reading a large Ahrefs Backlinks export (readiness/inputs/backlinks.py),
as a UTF-8 CSV and as the UTF-16 tab-separated "for Excel" file, streamed
(``iter_backlink_export``, rows counted) and as the list ``read_backlink_export`` returns.

Each reading runs in a child process measured the way crawl_speed.py measures a crawl
(/proc samples, os.wait4); "import only" is the interpreter with the module imported, the
floor under every figure. Peak MB is the child's VmHWM from /proc (its own high-water mark,
sampled until it exits), not ru_maxrss, which Linux carries over from the forking parent.

    .venv/bin/python bench/backlink_export.py --rows 200000
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl_speed import REPO, Run, run_measured  # noqa: E402

HEADER = ["Referring page title", "Referring page URL", "Language", "Domain rating", "UR",
          "Domain traffic", "Referring domains", "External links", "Target URL",
          "Left context", "Anchor", "Right context", "Type", "Nofollow", "UGC", "Sponsored",
          "First seen", "Last seen", "Lost"]
READERS = {
    "import only": "import readiness.inputs.backlinks",
    "streamed": "import sys; from pathlib import Path; "
                "from readiness.inputs.backlinks import iter_backlink_export; "
                "print(sum(1 for _ in iter_backlink_export(Path(sys.argv[1]))))",
    "list": "import sys; from pathlib import Path; "
            "from readiness.inputs.backlinks import read_backlink_export; "
            "print(len(read_backlink_export(Path(sys.argv[1]))))",
}


def write_export(path: Path, rows: int, delimiter: str, encoding: str, bom: bytes) -> None:
    with path.open("wb") as out:
        out.write(bom)
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADER)
        for number in range(rows):
            host = f"site{number % 9973}.example"
            writer.writerow([
                f"Page {number} about dental care", f"https://{host}/articles/{number}", "en",
                str(number % 90), str(number % 40), f"{number * 7 % 100000:,}",
                f"{number % 5000:,}", str(number % 300),
                f"https://www.example-clinic.test/services/page-{number % 2500}",
                "Read more about", f"dental implants {number % 97}", "in our guide", "text",
                "true" if number % 5 == 0 else "false", "false",
                "true" if number % 11 == 0 else "false", "2023-06-14 09:12:44",
                "2024-03-02 18:40:01", ""])
            if number % 5000 == 4999:
                out.write(buffer.getvalue().encode(encoding))
                buffer.seek(0)
                buffer.truncate()
        out.write(buffer.getvalue().encode(encoding))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="readiness-bench-exports-") as tmp:
        workdir = Path(tmp)
        exports = {
            "utf-8 csv": workdir / "ahrefs.csv",
            "utf-16 tsv (for Excel)": workdir / "ahrefs-excel.tsv",
        }
        write_export(exports["utf-8 csv"], args.rows, ",", "utf-8", codecs.BOM_UTF8)
        write_export(exports["utf-16 tsv (for Excel)"], args.rows, "\t", "utf-16-le",
                     codecs.BOM_UTF16_LE)
        print(f"{args.rows} rows; python {sys.version.split()[0]}")
        print(f"{'export':24} {'reader':12} {'MB':>6} {'rows':>8} {'CPU s':>7} {'wall s':>7} "
              f"{'peak MB':>8}")
        for label, export in exports.items():
            for reader, code in READERS.items():
                run = Run(reader.replace(" ", "-"), args.rows)
                run_measured(run, [sys.executable, "-c", code, str(export)], workdir,
                             args.timeout, cwd=REPO, tag=export.stem)
                read = run.stdout.read_text().strip() or "-"
                cpu = (run.self_cpu or 0.0) + (run.children_cpu or 0.0)
                print(f"{label:24} {reader:12} {export.stat().st_size / 1e6:6.1f} {read:>8} "
                      f"{cpu:7.2f} {run.seconds:7.2f} "
                      f"{run.process_hwm_mb.get('main', 0.0):8.1f}")
                if run.returncode:
                    print(run.stderr.read_text()[-2000:])
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
