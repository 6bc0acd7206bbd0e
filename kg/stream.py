"""Write a graph as it is produced, with memory bounded by a run size, not by the corpus.

Two sinks take the same quads. `MemorySink` keeps today's output for small builds: an rdflib
Dataset written by `kg.rdf.write` (pretty TriG and Turtle). `StreamSink` is for big builds:
each quad becomes an N-Quads line (rdflib's own row format, so the lines equal what
`kg.rdf.render(..., "nq")` gives), lines are sorted in runs on disk and merged at the end
(an external sort), and every file is derived from that one sorted stream or from the
per-article blocks: graph.nq (sorted, unique), graph.ttl and graph.nt (the triples, sorted,
unique, in N-Triples syntax, which is Turtle), graph.trig (one block per named graph in IRI
order, its triples in N-Triples syntax). Both sinks give the same sorted N-Quads. A
StreamSink can be filled in parts: each worker process fills one of its own and `seal`s it,
and the build's sink `adopt`s their runs and blocks before merging (`kg.render`); the merge
itself, whole or one key range per process, is `kg.runs`.
"""

from __future__ import annotations

import heapq
import os
import pickle
import shutil
import tempfile
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import IO

from rdflib import URIRef
from rdflib.plugins.serializers.nquads import _nq_row

from kg import rdf, runs
from kg.errors import ConfigError, OutputError
from kg.mapping import N3
from kg.model import Extraction

STREAM_ABOVE = 50  # articles: bigger builds stream their output unless told otherwise
# articles: a bigger streamed build with workers maps in them (kg.render); starting them (each
# imports rdflib and kg) costs about 2 s (100 articles took 2.9 s to write with them, 0.7 s
# without), mapping in one process about 6 ms an article
PARALLEL_ABOVE = 500
RUN_CHARS = 16_000_000  # characters of N-Quads held before a sorted run goes to disk
STREAM_FORMATS = ("trig", "ttl", "nt", "nq")
COPY_BYTES = 1 << 20  # bytes copied at a time when the merged ranges are joined


class Spool:
    """Extraction records parked on disk between extraction and writing, in input order.

    Each is two pickles, one after the other: its position in the input, then the record.
    """

    def __init__(self, path: Path) -> None:
        """Open `path` for writing."""
        self.path = path
        self._stream = open(path, "wb")  # noqa: SIM115 - closed in `finish`
        self.count = 0
        self.offsets: list[int] = []  # where each record starts

    def add(self, seq: int, extraction: Extraction) -> None:
        """Append one record."""
        self.add_pickled(seq, pickle.dumps(extraction, protocol=pickle.HIGHEST_PROTOCOL))

    def add_pickled(self, seq: int, pickled: bytes) -> None:
        """Append one record pickled already (by a worker process, say: `pickle.dumps(extraction)`)."""
        self.offsets.append(self._stream.tell())
        self._stream.write(pickle.dumps(seq))
        self._stream.write(pickled)
        self.count += 1

    def finish(self) -> None:
        """Stop writing: every record is on disk for `records` or `read_records`."""
        self._stream.close()

    def split(self, parts: int) -> list[tuple[int, int]]:
        """Return (offset, count) of at most `parts` consecutive runs of records of about equal bytes."""
        self.finish()
        size = self.path.stat().st_size
        bounds = [0, *(bisect_left(self.offsets, size * part / parts) for part in range(1, parts)), self.count]
        return [(self.offsets[first], end - first) for first, end in pairwise(bounds) if end > first]

    def records(self) -> Iterator[tuple[int, Extraction]]:
        """Yield the records back in the order they were added."""
        self.finish()
        yield from read_records(self.path, 0, self.count)


def read_records(path: Path, offset: int, count: int) -> Iterator[tuple[int, Extraction]]:
    """Yield `count` records of a finished spool from byte `offset` (see `Spool.split`)."""
    with open(path, "rb") as stream:
        stream.seek(offset)
        for _ in range(count):
            seq = pickle.load(stream)
            yield seq, pickle.load(stream)


class MemorySink:
    """Collect quads in an rdflib Dataset and write every format with `kg.rdf.write`."""

    n3 = False  # takes rdflib terms (kg.mapping.Mapper(n3=False))

    def __init__(self, base: str) -> None:
        """Start an empty Dataset with kg's prefixes."""
        self.dataset = rdf.new_dataset(base)

    def graph(self, iri: URIRef, quads: Iterable[tuple]) -> None:
        """Add one complete named graph."""
        rdf.add_quads(self.dataset, quads)

    def add(self, quads: Iterable[tuple]) -> None:
        """Add quads of the shared (entity) graph."""
        rdf.add_quads(self.dataset, quads)

    def close(self, out: Path, formats: Iterable[str]) -> tuple[list[Path], int]:
        """Write the files; return them and the number of distinct triples."""
        return rdf.write(self.dataset, out, formats), len(self.dataset)


def _row(quad: tuple) -> str:
    """Return a quad's N-Quads line: rdflib's, or the terms joined when they are N3 already."""
    if type(quad[0]) is N3:
        return "%s %s %s %s .\n" % quad
    return _nq_row(quad[:3], quad[3])


def _triple(line: str, graph_n3: str) -> str:
    """Drop the graph term from an N-Quads line ("s p o g .\n" -> "s p o .\n")."""
    return line[: len(line) - len(graph_n3) - 4] + " .\n"


@dataclass(frozen=True)
class Part:
    """What a sealed StreamSink wrote: sorted runs, TriG blocks and their index (graph IRI, 0, offset, length)."""

    runs: tuple[Path, ...]
    blocks: Path
    index: tuple[tuple[str, int, int, int], ...]


class StreamSink:
    """Sorted N-Quads through an external sort; TriG from per-graph blocks (see the module doc).

    It takes quads of rdflib terms or, cheaper, of N3 strings (kg.mapping.Mapper(n3=True)).
    """

    n3 = True  # prefers N3 terms

    def __init__(self, work: Path, *, shared: URIRef, run_chars: int | None = None) -> None:
        """Keep runs and blocks under `work`; `shared` is the one graph filled through `add`; a sorted
        run goes to disk every `run_chars` characters (RUN_CHARS)."""
        self.work, self.shared, self.run_chars = work, shared.n3(), run_chars or RUN_CHARS
        self.buffer: list[str] = []
        self.buffered = 0
        self.runs: list[Path] = []
        self.blocks_path = work / "blocks.trig"
        self.blocks = open(self.blocks_path, "wb")  # noqa: SIM115 - closed in seal or close
        self.block_files = [self.blocks_path]  # this sink's own, then those of adopted parts
        self.index: list[tuple[str, int, int, int]] = []  # graph IRI, block file, offset, length
        self._shared_end = f" {self.shared} .\n"

    def _add_line(self, line: str) -> None:
        self.buffer.append(line)
        self.buffered += len(line)
        if self.buffered >= self.run_chars:
            self._spill()

    def _spill(self) -> None:
        path = self.work / f"run-{len(self.runs):05d}.nq"
        with open(path, "w", encoding="utf-8", errors="replace", newline="\n") as stream:
            stream.writelines(sorted(set(self.buffer)))
        self.runs.append(path)
        self.buffer, self.buffered = [], 0

    def graph(self, iri: URIRef, quads: Iterable[tuple]) -> None:
        """Take one complete named graph: its block goes to the TriG spool, its lines to the sort."""
        name = iri.n3()
        lines = sorted({_row(q) for q in quads})
        self.buffer.extend(lines)
        self.buffered += sum(map(len, lines))
        if self.buffered >= self.run_chars:
            self._spill()
        data = f"{name} {{\n{''.join(_triple(line, name) for line in lines)}}}\n".encode("utf-8", "replace")
        self.index.append((str(iri), 0, self.blocks.tell(), len(data)))
        self.blocks.write(data)

    def add(self, quads: Iterable[tuple]) -> None:
        """Take quads of the shared graph (entities, article metadata)."""
        for quad in quads:
            line = _row(quad)
            if not line.endswith(self._shared_end):
                raise ValueError(f"StreamSink.add takes quads of {self.shared} only, got {line.strip()}")
            self._add_line(line)

    def seal(self) -> Part:
        """Finish a sink that fills part of another (see `adopt`): its last run and its blocks go to disk."""
        if self.buffer:
            self._spill()
        self.blocks.close()
        return Part(runs=tuple(self.runs), blocks=self.blocks_path, index=tuple(self.index))

    def adopt(self, part: Part) -> None:
        """Take the runs and blocks another sink (in another process, say) wrote, as if given here."""
        number = len(self.block_files)
        self.block_files.append(part.blocks)
        self.runs.extend(part.runs)
        self.index.extend((iri, number, offset, length) for iri, _, offset, length in part.index)

    def _sorted(self) -> Iterator[str]:
        tail = sorted(set(self.buffer))
        self.buffer = []
        streams = [open(path, encoding="utf-8", newline="\n") for path in self.runs]  # noqa: SIM115
        try:
            yield from runs.unique(heapq.merge(tail, *streams))
        finally:
            for stream in streams:
                stream.close()

    def close(self, out: Path, formats: Iterable[str], *, pool: Executor | None = None,
              ranges: int = 1) -> tuple[list[Path], int]:
        """Merge the runs into the files; return them and the number of distinct triples (as len(Dataset)).

        With a `pool` of processes the merge is cut into `ranges` key ranges (at triple
        boundaries, so equal triples of different graphs stay in one range), each merged by
        one process into files of its own that are then joined in order: the same bytes.

        Raises:
            ConfigError: a format that needs the whole graph in memory (jsonld, xml).
            OutputError: a file cannot be written.
        """
        wanted = list(dict.fromkeys([*rdf.DEFAULT_FORMATS, *formats]))
        unsupported = [f for f in wanted if f not in STREAM_FORMATS]
        if unsupported:
            raise ConfigError(streaming_refusal(unsupported))
        self.blocks.close()
        targets = {fmt: out / rdf.FORMATS[fmt][0] for fmt in wanted}
        files: dict[str, tuple[Path, object]] = {}
        triples = 0
        try:
            out.mkdir(parents=True, exist_ok=True)
            for fmt in (*wanted, "shared"):
                folder = out if fmt != "shared" else self.work
                handle, temporary = tempfile.mkstemp(prefix=f".{fmt}.", suffix=".tmp", dir=folder)
                files[fmt] = (Path(temporary), os.fdopen(handle, "w", encoding="utf-8", errors="replace", newline="\n"))
            streams = {fmt: stream for fmt, (_, stream) in files.items() if fmt != "trig"}
            if pool is not None and ranges > 1 and self.runs:
                triples = self._merge_ranges(pool, ranges, streams)
            else:
                triples = runs.split(self._sorted(), streams, self.shared)
            files["shared"][1].close()
            self._write_trig(files["trig"][1], files["shared"][0])
            for _, stream in files.values():
                stream.close()
        except OSError as exc:
            for path, stream in files.values():
                stream.close()
                path.unlink(missing_ok=True)
            raise OutputError(f"{out}: cannot write the graph ({exc.strerror or exc}); "
                              f"check free space and permissions") from exc
        files.pop("shared")[0].unlink()
        rdf.publish_staged({files[fmt][0]: targets[fmt] for fmt in wanted})
        return [targets[f] for f in wanted], triples

    def _merge_ranges(self, pool: Executor, ranges: int, files: dict[str, IO[str]]) -> int:
        """Merge key ranges of the runs in `pool`'s processes and join their files into `files`."""
        if self.buffer:
            self._spill()
        bounds = [None, *runs.pivots(self.runs, ranges), None]
        futures = [pool.submit(runs.merge_range, tuple(self.runs), low, high, shared=self.shared, kinds=tuple(files),
                               folder=self.work / f"range-{number}")
                   for number, (low, high) in enumerate(pairwise(bounds))]
        triples = 0
        for future in futures:
            pieces, count = future.result()
            triples += count
            for kind, path in pieces.items():
                files[kind].flush()  # the piece's bytes go after what the text layer holds
                with open(path, "rb") as piece:  # as bytes: the same encoding wrote them
                    shutil.copyfileobj(piece, files[kind].buffer, COPY_BYTES)  # type: ignore[attr-defined]
                path.unlink()
        return triples

    def _write_trig(self, stream, shared_triples: Path) -> None:  # noqa: ANN001 - a text file
        entries = sorted([*self.index, (self.shared[1:-1], -1, -1, 0)])
        with ExitStack() as files:
            block_files = [files.enter_context(open(path, "rb")) for path in self.block_files]
            shared = files.enter_context(open(shared_triples, encoding="utf-8", newline="\n"))
            for number, (_, source, offset, length) in enumerate(entries):
                if number:
                    stream.write("\n")
                if source < 0:
                    stream.write(f"{self.shared} {{\n")
                    for line in shared:
                        stream.write(line)
                    stream.write("}\n")
                else:
                    blocks = block_files[source]
                    blocks.seek(offset)
                    stream.write(blocks.read(length).decode("utf-8"))


def streaming_refusal(formats: Iterable[str]) -> str:
    """Explain why a format cannot be written by the streaming writer and what to do instead."""
    names = ", ".join(formats)
    return (f"--format {names} needs the whole graph in memory, which a streaming build does not hold; "
            f"build with --no-stream (memory grows with the corpus) or convert graph.nq with an RDF tool")
