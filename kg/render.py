"""Map each article's records onto quads, here or, for a streamed build, in worker processes.

Writing a big build is mostly reading records back, mapping them, rendering N-Quads lines,
sorting them in runs and making each article's TriG block. All of that needs one article's
records and the resolution's small tables only (mention key -> entity key, reconciled
holdings, outlets), so `render_parallel` gives each spawned process a consecutive part of
the spool (by byte offset) and a StreamSink of its own; the build's sink adopts their runs
and blocks and merges them at the end. Every file the sink writes is sorted (N-Quads,
triples, TriG blocks by graph IRI), so they are byte-identical to a one-process build's
whichever process took which article.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

from rdflib import URIRef

from kg.compact import Resolution
from kg.errors import OutputError
from kg.iri import Minter
from kg.mapping import Mapper
from kg.model import Entity, Extraction
from kg.stream import MemorySink, Part, Spool, StreamSink, read_records


def render(resolution: Resolution, records: Iterable[Extraction], *, sink: MemorySink | StreamSink,
           base: str) -> None:
    """Hand the sink the entity graph, then each article's metadata and named graph, in input order."""
    render_entities(resolution.entities, sink=sink, base=base)
    render_articles(resolution, records, sink=sink, base=base)


def render_entities(entities: Sequence[Entity], *, sink: MemorySink | StreamSink, base: str) -> None:
    """Hand the sink the graph of resolved entities."""
    sink.add(Mapper(minter=Minter(base), entity_of={}, n3=sink.n3).entities(entities))


def render_articles(resolution: Resolution, records: Iterable[Extraction], *, sink: MemorySink | StreamSink,
                    base: str) -> None:
    """Hand the sink each article's metadata (shared graph) and named graph, in input order."""
    minter = Minter(base)
    for extraction in records:
        extraction = replace(extraction, holdings=resolution.holdings(extraction))
        mapper = Mapper(minter=minter, entity_of=resolution.entity_of(extraction), n3=sink.n3)
        sink.add(mapper.article_metadata(extraction.article, resolution.outlets))
        sink.graph(minter.graph(extraction.article.id), mapper.extraction(extraction))


def render_parallel(resolution: Resolution, spool: Spool, *, sink: StreamSink, base: str, workers: int,
                    out: Path, formats: Iterable[str]) -> tuple[list[Path], int]:
    """Do what `render` and `sink.close` do over a spool's records, in `workers` processes.

    The spool is cut into `workers` consecutive runs of records of about equal size; each
    process maps its run into a StreamSink of its own (sorted runs and TriG blocks in a
    folder beside the sink's), which `sink` adopts; one more task maps the entity graph
    the same way. The sink then merges everything at `close`, one key range per process,
    so the files do not depend on which process took which article. Returns what `close`
    returns.

    Raises:
        OutputError: a worker process died, or a file cannot be written.
        ConfigError: a format the sink cannot write.
    """
    tables = replace(resolution, entities=[])  # what mapping an article needs
    parts = spool.split(workers)
    run_chars = max(1, sink.run_chars // len(parts))
    executor = ProcessPoolExecutor(max_workers=len(parts), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_ignore_interrupts)
    try:
        # The entity graph is mapped in a worker too: its lines and their sort would be
        # the biggest thing this process holds while writing.
        futures = [executor.submit(_render_entity_part, resolution.entities, base=base, shared=sink.shared,
                                   folder=sink.work / "part-entities", run_chars=run_chars)]
        futures += [executor.submit(_render_part, spool.path, offset, count, tables=tables, base=base,
                                    shared=sink.shared, folder=sink.work / f"part-{number}", run_chars=run_chars)
                    for number, (offset, count) in enumerate(parts)]
        try:
            for future in futures:
                sink.adopt(future.result())
            written = sink.close(out, formats, pool=executor, ranges=workers)
        except BrokenProcessPool as exc:
            raise OutputError(f"a process writing the graph died ({exc}); the machine may be short of memory: "
                              f"run with fewer --workers") from None
    except BaseException:
        for process in list(getattr(executor, "_processes", {}).values()):  # no public way before 3.14
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown()
    return written


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers


def _part_sink(folder: Path, shared: str, run_chars: int) -> StreamSink:
    folder.mkdir()
    return StreamSink(folder, shared=URIRef(shared[1:-1]), run_chars=run_chars)


def _render_entity_part(entities: list[Entity], *, base: str, shared: str, folder: Path, run_chars: int) -> Part:
    """Map the resolved entities into a sink of their own; return what it wrote."""
    sink = _part_sink(folder, shared, run_chars)
    render_entities(entities, sink=sink, base=base)
    return sink.seal()


def _render_part(spool: Path, offset: int, count: int, *, tables: Resolution, base: str, shared: str, folder: Path,
                 run_chars: int) -> Part:
    """Map `count` spooled records from `offset` into a sink of their own; return what it wrote."""
    sink = _part_sink(folder, shared, run_chars)
    render_articles(tables, (extraction for _, extraction in read_records(spool, offset, count)), sink=sink, base=base)
    return sink.seal()
