"""A progress bar for long CLI commands, on stderr: redrawn in place on a terminal, and a
plain line every tenth of the work otherwise (logs and CI keep a readable record)."""

from __future__ import annotations

from typing import TextIO

_WIDTH = 30


class Progress:
    """Call with the number of items done so far; ``close`` ends the bar's line."""

    def __init__(self, total: int, *, stream: TextIO, label: str) -> None:
        self.total = total
        self.stream = stream
        self.label = label
        self.tty = stream.isatty()
        self._shown = -1

    def __call__(self, done: int) -> None:
        if self.total <= 0:
            return
        if self.tty:
            percent = done * 100 // self.total
            if percent == self._shown and done != self.total:
                return
            self._shown = percent
            filled = done * _WIDTH // self.total
            bar = "#" * filled + "-" * (_WIDTH - filled)
            self.stream.write(f"\r{self.label} [{bar}] {done}/{self.total} ({percent}%)")
        else:
            tenth = done * 10 // self.total
            if tenth == self._shown:
                return
            self._shown = tenth
            self.stream.write(f"{self.label}: {done}/{self.total} rows\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self._shown >= 0:
            self.stream.write("\n")
            self.stream.flush()
