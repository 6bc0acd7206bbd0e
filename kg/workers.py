"""Run the NLP stage over a stream of articles: cached records first, spaCy for the rest.

Articles that miss the cache go to spaCy in chunks of `batch_size`. With `workers` > 1 the
chunks run in that many spawned processes, each loading the model once; whatever finishes
first, records come back in input order, so the graph never depends on scheduling. (Spawned,
not forked: nothing of the parent's threads or locks is inherited; as with any spawning
multiprocessing code, a script calling this needs an `if __name__ == "__main__":` guard.) At most
two chunks per worker are in flight, so memory stays bounded however long the stream.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from kg.cache import ExtractionCache
from kg.config import Settings
from kg.errors import ConfigError, KgError, ModelError
from kg.model import Article, Extraction
from kg.nlp import Extractor

MAX_WORKERS = 64


@dataclass(frozen=True)
class Extracted:
    """One article's record, its position in the input, and whether spaCy ran on it."""

    seq: int
    extraction: Extraction
    fresh: bool


_worker: Extractor | KgError | None = None


def _start_worker(model: str | None, batch_size: int) -> None:
    """Load the model once per worker process; keep a failure to raise with the first chunk."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    try:
        _worker = Extractor(model=model, batch_size=batch_size)
    except KgError as exc:  # raised from _extract so the parent sees the message, not a broken pool
        _worker = exc


def _extract(articles: list[Article]) -> list[Extraction]:
    if isinstance(_worker, KgError):
        raise _worker
    assert _worker is not None, "worker started without _start_worker"
    return list(_worker.extract(articles))


class _Inline:
    """Run chunks in this process, loading the model at the first chunk (none if all are cached)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.extractor: Extractor | None = None

    def submit(self, articles: list[Article]) -> Future:
        if self.extractor is None:
            self.extractor = Extractor(model=self.settings.model, batch_size=self.settings.batch_size)
        future: Future = Future()
        future.set_result(list(self.extractor.extract(articles)))
        return future

    def shutdown(self, *, abort: bool) -> None:
        self.extractor = None


class _Pool:
    """Run chunks in worker processes, started at the first chunk."""

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings, self.workers = settings, workers
        self.executor: ProcessPoolExecutor | None = None

    def submit(self, articles: list[Article]) -> Future:
        if self.executor is None:
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.settings.model, self.settings.batch_size))
        return self.executor.submit(_extract, articles)

    def shutdown(self, *, abort: bool) -> None:
        if self.executor is None:
            return
        if abort:  # an error or Ctrl-C: do not wait for chunks whose records nobody will read
            for process in list(getattr(self.executor, "_processes", {}).values()):  # no public way before 3.14
                process.terminate()
        self.executor.shutdown(wait=not abort, cancel_futures=True)


class _Ordered:
    """Slots in input order; a slot holds a cached record or points into a submitted chunk."""

    def __init__(self, runner: _Inline | _Pool, *, chunk: int, in_flight: int) -> None:
        self.runner, self.chunk, self.in_flight = runner, chunk, in_flight
        self.window = 2 * chunk * in_flight
        self.slots: deque[tuple[int, Extraction | None, int, int]] = deque()
        self.futures: dict[int, tuple[Future, int]] = {}
        self.buffer: list[Article] = []
        self.next_chunk = 0

    def add(self, seq: int, article: Article, cached: Extraction | None) -> None:
        if cached is not None:
            self.slots.append((seq, cached, -1, 0))
            return
        self.slots.append((seq, None, self.next_chunk, len(self.buffer)))
        self.buffer.append(article)
        if len(self.buffer) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.futures[self.next_chunk] = (self.runner.submit(self.buffer), len(self.buffer))
            self.buffer, self.next_chunk = [], self.next_chunk + 1

    def ready(self, *, final: bool) -> Iterator[Extracted]:
        """Yield the leading slots whose records are there, waiting while too much is pending.

        Too much: more chunks out than `in_flight`, or more slots than `window` (cached
        records piling up behind an article whose chunk is not full or not done).
        """
        while self.slots:
            seq, extraction, chunk, position = self.slots[0]
            if extraction is None:
                must = final or len(self.slots) > self.window
                if chunk == self.next_chunk:  # its chunk is still being filled
                    if not must:
                        return
                    self.flush()
                future, size = self.futures[chunk]
                if not (must or future.done() or len(self.futures) > self.in_flight):
                    return
                extraction = _result(future)[position]
                if position == size - 1:
                    del self.futures[chunk]
            self.slots.popleft()
            yield Extracted(seq, extraction, fresh=chunk >= 0)


def _result(future: Future) -> list[Extraction]:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise ModelError(f"a spaCy worker process died ({exc}); the machine may be short of memory: "
                         f"run with fewer --workers") from None


def extract_stream(
    articles: Iterable[tuple[int, Article]],
    *,
    settings: Settings,
    workers: int = 1,
    cache: ExtractionCache | None = None,
) -> Iterator[Extracted]:
    """Yield an Extraction for each (seq, article), in input order.

    Args:
        articles: (position in the input, article) pairs.
        settings: model and batch size (a chunk of work is one batch).
        workers: processes running spaCy; 1 runs it in this process.
        cache: records to reuse; fresh records are written to it.
    Raises:
        ConfigError: workers out of range.
        ModelError: the model cannot be loaded (in this process or a worker).
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers must be between 1 and {MAX_WORKERS}, got {workers}")
    runner: _Inline | _Pool = _Pool(settings, workers) if workers > 1 else _Inline(settings)
    slots = _Ordered(runner, chunk=settings.batch_size, in_flight=2 * workers)
    try:
        for seq, article in articles:
            slots.add(seq, article, cache.get(article) if cache is not None else None)
            yield from _stored(slots.ready(final=False), cache)
        yield from _stored(slots.ready(final=True), cache)
    except BaseException:
        runner.shutdown(abort=True)
        raise
    runner.shutdown(abort=False)


def _stored(records: Iterator[Extracted], cache: ExtractionCache | None) -> Iterator[Extracted]:
    for record in records:
        if record.fresh and cache is not None:
            cache.put(record.extraction)
        yield record

