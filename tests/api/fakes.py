"""A fake SLM for API tests: answers from the prompt's first source, word by word."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence

from rag.generator import Message

_SOURCE = re.compile(r"^\[(\d+)\] [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion: )", re.M | re.S)


class FakeGenerator:
    """A `Generator` that quotes source [1] of its prompt and cites it, so answers are
    supported and cite exactly what retrieval gave it.

    `gate`: each reply waits for it first (to hold the queue full); `delay_s`: pause per piece;
    `closed` counts replies stopped before their end (a client went away).
    """

    model_id = "fake-generator"

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.gate: threading.Event | None = None
        self.started = threading.Semaphore(0)
        self.prompts: list[list[Message]] = []
        self.closed = 0
        self.finished = 0
        self.reply: str | None = None  # set: this reply instead of quoting source [1]

    def count(self, text: str) -> int:
        return len(text.split())

    def stream(
        self, messages: Sequence[Message], max_tokens: int, citations: int = 0, exempt: str = ""
    ) -> Iterator[str]:
        self.prompts.append(list(messages))
        self.started.release()
        if self.gate is not None:
            self.gate.wait(30)
        sources = _SOURCE.findall(messages[-1]["content"])
        reply = f"{sources[0][1].strip()} [{sources[0][0]}]" if sources else "Nothing."
        reply = reply if self.reply is None else self.reply
        done = False
        try:
            for word in reply.split(" "):
                if self.delay_s:
                    time.sleep(self.delay_s)
                yield word + " "
            done = True
        finally:
            if done:
                self.finished += 1
            else:
                self.closed += 1
