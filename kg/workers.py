"""Run the NLP stage over a stream of articles: cached records first, spaCy for the rest.

Articles that miss the cache go to spaCy in chunks of `batch_size`. With `workers` > 1 the
chunks run in that many spawned processes, each loading the model once; whatever finishes
first, records come back in input order, so the graph never depends on scheduling. (Spawned,
not forked: nothing of the parent's threads or locks is inherited; as with any spawning
multiprocessing code, a script calling this needs an `if __name__ == "__main__":` guard.) At most
two chunks per worker are in flight, so memory stays bounded however long the stream.

A record comes back `Packed`: pickled for the build's spool, encoded for the cache and
compacted for resolution where spaCy ran, so the main process (which reads the articles
and keeps the records) never unpickles or re-encodes a whole record.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from kg.cache import ExtractionCache, entry
from kg.compact import Compact, compact
from kg.config import Settings
from kg.errors import ConfigError, KgError, ModelError
from kg.model import Article, Extraction
from kg.nlp import Extractor

MAX_WORKERS = 64


@dataclass(frozen=True)
class Packed:
    """One article's record as a build keeps it."""

    pickled: bytes  # pickle.dumps(extraction), for the spool (kg.stream.Spool.add_pickled)
    compact: Compact  # for resolution (kg.compact.Corpus.adopt)
    events: tuple[str, ...]  # the event types, for the summary
    entry: tuple[str, bytes] | None = None  # the cache key and entry, when there is a cache to store it in

    def extraction(self) -> Extraction:
        """Return the whole record (unpickled again)."""
        return pickle.loads(self.pickled)  # made by this build, in its own processes


def pack(extraction: Extraction, *, cache: bool) -> Packed:
    """Pickle, compact and (with `cache`) encode an article's record for the cache."""
    return Packed(pickled=pickle.dumps(extraction, protocol=pickle.HIGHEST_PROTOCOL), compact=compact(extraction),
                  events=tuple(event.type for event in extraction.events), entry=entry(extraction) if cache else None)


@dataclass(frozen=True)
class Extracted:
    """One article's record, its position in the input, and whether spaCy ran on it."""

    seq: int
    record: Packed
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


def _extract(articles: list[Article], cache: bool) -> list[Packed]:
    if isinstance(_worker, KgError):
        raise _worker
    assert _worker is not None, "worker started without _start_worker"
    return [pack(extraction, cache=cache) for extraction in _worker.extract(articles)]


class _Inline:
    """Run chunks in this process, loading the model at the first chunk (none if all are cached)."""

    def __init__(self, settings: Settings, *, cache: bool) -> None:
        self.settings, self.cache = settings, cache
        self.extractor: Extractor | None = None

    def submit(self, articles: list[Article]) -> Future:
        if self.extractor is None:
            self.extractor = Extractor(model=self.settings.model, batch_size=self.settings.batch_size)
        future: Future = Future()
        future.set_result([pack(extraction, cache=self.cache) for extraction in self.extractor.extract(articles)])
        return future

    def shutdown(self, *, abort: bool) -> None:
        self.extractor = None


class _Pool:
    """Run chunks in worker processes, started at the first chunk."""

    def __init__(self, settings: Settings, workers: int, *, cache: bool) -> None:
        self.settings, self.workers, self.cache = settings, workers, cache
        self.executor: ProcessPoolExecutor | None = None

    def submit(self, articles: list[Article]) -> Future:
        if self.executor is None:
            self.executor = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self.settings.model, self.settings.batch_size))
        return self.executor.submit(_extract, articles, self.cache)

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
        self.slots: deque[tuple[int, Packed | None, int, int]] = deque()
        self.futures: dict[int, tuple[Future, int]] = {}
        self.buffer: list[Article] = []
        self.next_chunk = 0

    def add(self, seq: int, article: Article, cached: Packed | None) -> None:
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
            seq, record, chunk, position = self.slots[0]
            if record is None:
                must = final or len(self.slots) > self.window
                if chunk == self.next_chunk:  # its chunk is still being filled
                    if not must:
                        return
                    self.flush()
                future, size = self.futures[chunk]
                if not (must or future.done() or len(self.futures) > self.in_flight):
                    return
                record = _result(future)[position]
                if position == size - 1:
                    del self.futures[chunk]
            self.slots.popleft()
            yield Extracted(seq, record, fresh=chunk >= 0)


def _result(future: Future) -> list[Packed]:
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
    """Yield each (seq, article)'s record, packed, in input order.

    Args:
        articles: (position in the input, article) pairs.
        settings: model and batch size (a chunk of work is one batch).
        workers: processes running spaCy; 1 runs it in this process.
        cache: records to reuse; fresh records are written to it (encoded where spaCy ran).
    Raises:
        ConfigError: workers out of range.
        ModelError: the model cannot be loaded (in this process or a worker).
    """
    if not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(f"--workers must be between 1 and {MAX_WORKERS}, got {workers}")
    keep = cache is not None
    runner: _Inline | _Pool = _Pool(settings, workers, cache=keep) if workers > 1 else _Inline(settings, cache=keep)
    slots = _Ordered(runner, chunk=settings.batch_size, in_flight=2 * workers)
    try:
        for seq, article in articles:
            cached = cache.get(article) if cache is not None else None
            slots.add(seq, article, pack(cached, cache=False) if cached is not None else None)
            yield from _stored(slots.ready(final=False), cache)
        yield from _stored(slots.ready(final=True), cache)
    except BaseException:
        runner.shutdown(abort=True)
        raise
    runner.shutdown(abort=False)


def _stored(records: Iterator[Extracted], cache: ExtractionCache | None) -> Iterator[Extracted]:
    for record in records:
        if record.fresh and cache is not None and record.record.entry is not None:
            cache.store(*record.record.entry)
        yield record

