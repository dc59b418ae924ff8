"""GitHub Actions: workflow annotations for the findings that fail the gate, and summary.md
in the job summary (docs/ci.md, "GitHub Actions").

Only when the run is a GitHub Actions step (``GITHUB_ACTIONS=true``); elsewhere nothing of
this is printed. An annotation is a workflow command on stdout:

    ::error title=RDR002 redirect-loop::https://site/portal: redirect loop …%0Afix: …

A finding is about a URL, not a file of the repository, so no ``file=``: the URL leads the
message. GitHub shows 10 error annotations per step (50 per job), so at most
ANNOTATION_LIMIT are written, in the gate's order (most severe, most linked first), and
one more line says how many were left out and where they all are.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Any, Collection, Mapping

from readiness.report.findings import GATE_INCONCLUSIVE, findings_with_ids
from readiness.report.machine import summary_markdown

ANNOTATION_LIMIT = 50
INCONCLUSIVE_TITLE = "readiness: inconclusive"


def in_github_actions(env: Mapping[str, str] = os.environ) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def escape_data(text: Any) -> str:
    """A workflow command's message, escaped as @actions/core escapes it."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: Any) -> str:
    """A workflow command's property value (``title=``): ``:`` and ``,`` end it unescaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, title: str, message: str) -> str:
    return f"::{level} title={escape_property(title)}::{escape_data(message)}"


def annotations(document: dict[str, Any], beside: Collection[str] = (),
                limit: int = ANNOTATION_LIMIT) -> list[str]:
    """The workflow commands for the run: one ``::error`` per failing finding (``limit`` at
    most, then one line for the rest), and one for an inconclusive gate."""
    gate = document["gate"]
    lines = []
    if gate["status"] == GATE_INCONCLUSIVE:
        lines.append(command("error", INCONCLUSIVE_TITLE, gate["reason"]))
    failing = gate["failing"]
    shown = failing[:limit]
    by_id = findings_with_ids(document["findings"], shown)
    for finding in (by_id[i] for i in shown if i in by_id):
        message = f"{finding['url']}: {finding['message']}"
        fix = finding.get("evidence", {}).get("fix")
        if fix:
            message += f"\nfix: {fix}"
        lines.append(command("error", f"{finding['rule']} {finding['name']}", message))
    if len(failing) > len(shown):
        # summary.md lists only the first few: not named here.
        where = [name for name in ("junit.xml", "findings.json", "report.html") if name in beside]
        lines.append(command(
            "warning", "readiness",
            f"{len(failing) - len(shown)} more failing findings not annotated (the first "
            f"{len(shown)} are){': every one is in ' + ', '.join(where) if where else ''}"))
    return lines


def annotate_inconclusive(reason: str, env: Mapping[str, str] = os.environ,
                          out: IO[str] | None = None) -> None:
    """A run that stopped before its analysis (the start URL unreachable, blocked by
    robots.txt): one ``::error`` annotation when this is a GitHub Actions step."""
    if in_github_actions(env):
        print(command("error", INCONCLUSIVE_TITLE, reason), file=out or sys.stdout)


def append_step_summary(document: dict[str, Any], path: Path,
                        beside: Collection[str] = ()) -> None:
    """summary.md's text appended to the job summary file (``$GITHUB_STEP_SUMMARY``)."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(summary_markdown(document, beside))


def report_to_github(document: dict[str, Any], beside: Collection[str] = (),
                     env: Mapping[str, str] = os.environ, out: IO[str] | None = None) -> None:
    """Annotations on ``out`` and the job summary, when this is a GitHub Actions step.
    ``beside``: the output files written in the run folder (outputs.OUTPUT_NAMES)."""
    if not in_github_actions(env):
        return
    for line in annotations(document, beside):
        print(line, file=out or sys.stdout)
    summary_file = env.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            append_step_summary(document, Path(summary_file), beside)
        except OSError as error:
            print(f"readiness: warning: cannot append the job summary to "
                  f"GITHUB_STEP_SUMMARY ({summary_file}): {error.strerror or error}",
                  file=sys.stderr)
