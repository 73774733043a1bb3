"""Progress: bars on a terminal, one plain log line per event otherwise (CI, cron, pipes)."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO

from rich.markup import escape


class Progress(Protocol):
    def start(self, files: int) -> None: ...
    def file_done(self, source: str, status: str, chunks: int, error: str | None) -> None: ...
    def chunks_queued(self, n: int) -> None: ...
    def chunks_embedded(self, n: int) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    def start(self, files: int) -> None: ...
    def file_done(self, source: str, status: str, chunks: int, error: str | None) -> None: ...
    def chunks_queued(self, n: int) -> None: ...
    def chunks_embedded(self, n: int) -> None: ...
    def close(self) -> None: ...


class LogProgress:
    """For logs: a line per file and per embedding batch, with rates."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.t0 = time.monotonic()
        self.files = self.done = self.embedded = 0

    def _line(self, text: str) -> None:
        print(f"[ingest {time.monotonic() - self.t0:7.1f}s] {text}", file=self.stream, flush=True)

    def start(self, files: int) -> None:
        self.files = files
        self._line(f"{files} file(s) to process")

    def file_done(self, source: str, status: str, chunks: int, error: str | None) -> None:
        self.done += 1
        detail = f": {error}" if error else f", {chunks} chunks"
        of = f"/{self.files}" if self.files else ""
        self._line(f"file {self.done}{of} {status} {source}{detail}")

    def chunks_queued(self, n: int) -> None: ...

    def chunks_embedded(self, n: int) -> None:
        self.embedded += n
        rate = self.embedded / max(time.monotonic() - self.t0, 1e-9)
        self._line(f"embedded {n} chunks ({self.embedded} total, {rate:.1f} chunks/s)")

    def close(self) -> None: ...


class RichProgress:
    """Two bars: files parsed and chunks embedded, each with rate and time left."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description:<16}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            transient=False,
        )
        self._files = self._bar.add_task("files", total=None, rate="")
        self._chunks = self._bar.add_task("chunks embedded", total=0, rate="")
        self.t0 = time.monotonic()
        # The rate counts from the first batch, not from the model load before it.
        self.embed_t0: float | None = None
        self.embedded = 0
        self._bar.start()

    def start(self, files: int) -> None:
        self._bar.update(self._files, total=files)

    def file_done(self, source: str, status: str, chunks: int, error: str | None) -> None:
        self._bar.advance(self._files)
        if error:
            self._bar.console.print(f"[yellow]failed[/] {escape(source)}: {escape(error)}")

    def chunks_queued(self, n: int) -> None:
        task = self._bar.tasks[self._chunks]
        self._bar.update(self._chunks, total=(task.total or 0) + n)
        if self.embed_t0 is None:
            self.embed_t0 = time.monotonic()

    def chunks_embedded(self, n: int) -> None:
        self.embedded += n
        rate = self.embedded / max(time.monotonic() - (self.embed_t0 or self.t0), 1e-9)
        self._bar.update(self._chunks, advance=n, rate=f"{rate:.1f}/s")

    def close(self) -> None:
        self._bar.stop()


def for_stream(stream: TextIO, quiet: bool = False) -> Progress:
    if quiet:
        return NoProgress()
    return RichProgress() if stream.isatty() else LogProgress(stream)
