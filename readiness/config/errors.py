"""The one error type configuration problems are reported with."""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration problem, phrased for the person editing the file.

    ``str(error)`` is ``file:line: problem — fix`` (file and line when known), which is what
    the CLI prints before exiting with status 2.
    """

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}"
