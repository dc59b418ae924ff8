"""What the ``readiness`` commands print, and where: the command-line switches every command
takes (``--quiet``, ``--verbose``, ``--no-color``) and the Unix conventions behind them.

- Human text goes to stdout, errors to stderr; with ``-o -`` (the findings document on
  stdout, for a pipe) every human line goes to stderr instead (``human_text_to_stderr``).
- ``--quiet``: no progress line and no detail (where the store is, the counts by family,
  comparisons, which files were written): the verdict with its blocking URLs, the gate and
  errors; ``--verbose``: the crawl's Scrapy log (INFO) on stderr and how long each phase took.
- Colour only when stdout is a terminal, never with ``NO_COLOR`` (any non-empty value,
  https://no-color.org) or ``--no-color``, never into a pipe or a file.
- A closed stdout (``readiness rules | head -1``) ends the command quietly
  (``exit_on_closed_stdout``), as a Unix tool killed by SIGPIPE would.

One Console per process (``CONSOLE``), set from the command line by ``configure``; the CLI,
the demo and ``check`` print through it. It imports nothing of readiness but the exit codes.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from dataclasses import dataclass
from typing import Iterator, TextIO

from readiness.exitcodes import CLOSED_STDOUT

QUIET, NORMAL, VERBOSE = -1, 0, 1

# ANSI SGR colours, applied to whole words of the summary (``highlight``).
RED, GREEN, YELLOW, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[0m"
HIGHLIGHTS = (
    (re.compile(r"\bNOT READY\b|\bFAIL\b|\b[1-9]\d* errors?\b"), RED),
    (re.compile(r"(?<!NOT )\bREADY\b|\bPASS\b"), GREEN),
    (re.compile(r"\bINCONCLUSIVE\b|\bINCOMPLETE\b|\b[1-9]\d* warnings?\b"), YELLOW),
)
# The lines of the terminal summary that --quiet leaves out: the counts by rule family (the
# verdict, its blocking URLs, the notes about the outbound checks and the gate stay).
FAMILY_COUNTS = re.compile(r"^  \S+ +\d+ errors +\d+ warnings +\d+ notices$")


def colour_wanted(stream: TextIO, no_color_flag: bool, environ=os.environ) -> bool:
    """Colour for ``stream``: a terminal, no --no-color, no non-empty NO_COLOR."""
    if no_color_flag or environ.get("NO_COLOR", ""):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class Console:
    verbosity: int = NORMAL
    colour: bool = False

    @property
    def quiet(self) -> bool:
        return self.verbosity <= QUIET

    @property
    def verbose(self) -> bool:
        return self.verbosity >= VERBOSE

    def detail(self, text: str = "", stream: TextIO | None = None) -> None:
        """A line of detail (where the store is, which files were written): not with
        --quiet."""
        if not self.quiet:
            print(text, file=stream or sys.stdout)

    def verdict(self, text: str, stream: TextIO | None = None) -> None:
        """The verdict or gate line: always printed, coloured on a terminal."""
        print(self.highlight(text), file=stream or sys.stdout)

    def summary(self, text: str, stream: TextIO | None = None) -> None:
        """The terminal summary: whole, or with --quiet without the counts by family;
        coloured on a terminal."""
        if self.quiet:
            text = "".join(line for line in text.splitlines(keepends=True)
                           if not FAMILY_COUNTS.match(line.rstrip("\n")))
        (stream or sys.stdout).write(self.highlight(text))

    def note(self, text: str) -> None:
        """A line for --verbose only (timings, which file a setting came from), on stderr."""
        if self.verbose:
            print(text, file=sys.stderr)

    def highlight(self, text: str) -> str:
        if not self.colour:
            return text
        for pattern, colour in HIGHLIGHTS:
            text = pattern.sub(lambda match: f"{colour}{BOLD}{match.group(0)}{RESET}", text)
        return text

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time one phase of a command (crawl, analysis …): told with --verbose."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.note(f"readiness: {name} took {time.monotonic() - started:.1f} s")


CONSOLE = Console()


def configure(quiet: bool = False, verbose: bool = False, no_color: bool = False,
              stream: TextIO | None = None) -> Console:
    """Set the process's Console from the command line's switches; colour is decided for
    ``stream`` (stdout)."""
    CONSOLE.verbosity = QUIET if quiet else VERBOSE if verbose else NORMAL
    CONSOLE.colour = colour_wanted(stream or sys.stdout, no_color)
    return CONSOLE


@contextlib.contextmanager
def human_text_to_stderr() -> Iterator[TextIO]:
    """For ``-o -``: the real stdout, yielded for the machine output, while every human line
    printed meanwhile goes to stderr (and is never coloured: stdout is what was asked for)."""
    stdout, colour = sys.stdout, CONSOLE.colour
    CONSOLE.colour = False
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield stdout
    finally:
        CONSOLE.colour = colour


def exit_on_closed_stdout() -> int:
    """After a BrokenPipeError: the reader of stdout went away (``| head``). Point stdout at
    /dev/null so Python's own flush at exit cannot fail again (the recipe of the Python docs,
    "Note on SIGPIPE"), and end with the status of a tool ended by SIGPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return CLOSED_STDOUT
