"""Sorted runs of N-Quads lines: merge them, whole or one key range at a time, into the output files.

`kg.stream.StreamSink` sorts a big graph's lines in runs on disk; `split` writes a merged,
unique stream into N-Quads, the triples (N-Triples syntax, also Turtle) and the shared
graph's triples. A parallel build cuts the merge at `pivots` and gives each key range to a
process (`merge_range`), which enters every run at its range's first line (`first_at_least`).
"""

from __future__ import annotations

import heapq
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from itertools import takewhile
from pathlib import Path
from typing import IO, BinaryIO


def unique(lines: Iterable[str]) -> Iterator[str]:
    """Drop repeats from sorted lines."""
    previous = None
    for line in lines:
        if line != previous:
            yield line
            previous = line


def split(lines: Iterable[str], files: Mapping[str, IO[str]], shared: str) -> int:
    """Write sorted unique N-Quads lines to files["nq"], their triples (once) to "ttl" and "nt", and the
    `shared` graph's triples to "shared" (each file if given); return the number of distinct triples."""
    triples, previous_triple = 0, None
    write_nq = files["nq"].write if "nq" in files else None
    write_triple = [files[kind].write for kind in ("ttl", "nt") if kind in files]
    write_shared = files["shared"].write if "shared" in files else None
    for line in lines:
        if write_nq is not None:
            write_nq(line)
        cut = line.rindex(" <", 0, len(line) - 3)  # where the graph term starts
        triple = line[:cut] + " .\n"
        if triple != previous_triple:  # equal triples of different graphs are adjacent
            triples += 1
            for write in write_triple:
                write(triple)
            previous_triple = triple
        if write_shared is not None and line[cut + 1:-3] == shared:
            write_shared(triple)
    return triples


def pivots(runs: Sequence[Path], ranges: int, *, samples: int = 32) -> list[str]:
    """Return up to `ranges` - 1 increasing keys that cut sorted runs into ranges of about equal size.

    Each key is a triple and a space: every line of that triple (in any graph) sorts after
    it, every line of a smaller triple before it, so no triple is split between ranges.
    """
    found = []
    for path in runs:
        size = path.stat().st_size
        with open(path, "rb") as stream:
            for step in range(1, samples):
                stream.seek(size * step // samples)
                stream.readline()  # the rest of a line cut in two
                line = stream.readline().decode("utf-8", "replace")
                if line:
                    found.append(line[:line.rindex(" <", 0, len(line) - 3)] + " ")
    found.sort()
    keys = [found[len(found) * part // ranges] for part in range(1, ranges)] if found else []
    return [key for number, key in enumerate(keys) if number == 0 or key > keys[number - 1]]


def first_at_least(stream: BinaryIO, key: bytes, size: int) -> int:
    """Return the offset of the first line >= `key` in a binary file of `size` bytes of sorted lines."""
    low, high = 0, size  # the answer is a line start in [low, high]
    while low < high:
        stream.seek((low + high) // 2)
        stream.readline()
        start = stream.tell()
        if start >= high:
            break
        if stream.readline() < key:
            low = stream.tell()
        else:
            high = start
    stream.seek(low)
    while low < size:
        line = stream.readline()
        if line >= key:
            break
        low += len(line)
    return low


def merge_range(runs: tuple[Path, ...], low: str | None, high: str | None, *, shared: str, kinds: tuple[str, ...],
                 folder: Path) -> tuple[dict[str, Path], int]:
    """Merge the lines in [low, high) of sorted runs into files of `kinds` under `folder` (see `split`)."""
    folder.mkdir()
    with ExitStack() as stack:
        streams = []
        for path in runs:
            raw = stack.enter_context(open(path, "rb"))
            if low is not None:
                raw.seek(first_at_least(raw, low.encode("utf-8"), path.stat().st_size))
            streams.append(stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8", newline="\n")))
        lines: Iterator[str] = unique(heapq.merge(*streams))
        if high is not None:
            lines = takewhile(lambda line: line < high, lines)
        paths = {kind: folder / f"{kind}.part" for kind in kinds}
        files = {kind: stack.enter_context(open(path, "w", encoding="utf-8", errors="replace", newline="\n"))
                 for kind, path in paths.items()}
        return paths, split(lines, files, shared)
