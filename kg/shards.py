"""Shards: split a corpus by article id, keep each shard's extraction records, merge them back.

`kg build --shard i/n` keeps the articles whose id (a content hash) falls in shard i of n,
whatever the file order, and writes beside its partial graph `records.jsonl` (one line
per article: its position in the whole input and its Extraction as JSON) and `shard.json`
(which shard, the model and kg code that made the records, the inputs that were skipped).
`kg merge` reads the shards' records in input order and builds the graph from them as one
run would: cross-document resolution runs again on the whole corpus, so the merged graph
equals a single build's.
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kg.articles import Problem
from kg.errors import ConfigError, InputError
from kg.model import Article, Extraction, extraction_from_json, to_json

RECORDS_FILE = "records.jsonl"
MANIFEST_FILE = "shard.json"
FORMAT = "kg-shard/1"


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, article: Article) -> bool:
        """Tell whether an article belongs to this shard (by its id, a content hash)."""
        return int(article.id, 16) % self.count == self.index - 1


def parse_shard(text: str) -> Shard:
    """Parse "i/n" (1 <= i <= n).

    Raises:
        ConfigError: when the text is not of that form.
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ConfigError(f"--shard {text!r} is not i/n with 1 <= i <= n; e.g. --shard 1/3, --shard 2/3, --shard 3/3")
    return Shard(int(match.group(1)), int(match.group(2)))


def record_line(seq: int, extraction: Extraction) -> str:
    """Return one records.jsonl line."""
    return json.dumps({"seq": seq, "extraction": to_json(extraction)}, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_manifest(stream: IO[str], *, shard: Shard, inputs: int, articles: int, model: str | None, code: str,
                   problems: Sequence[Problem]) -> None:
    """Write shard.json."""
    json.dump({"format": FORMAT, "shard": shard.index, "of": shard.count, "inputs": inputs, "articles": articles,
               "model": model, "code": code, "problems": [[p.source, p.message] for p in problems]},
              stream, indent=2, ensure_ascii=False)
    stream.write("\n")


@dataclass(frozen=True)
class ShardSet:
    """The shard folders given to `kg merge`, checked to be one complete set."""

    folders: tuple[Path, ...]
    count: int
    problems: tuple[Problem, ...]
    inputs: int

    def records(self) -> Iterator[tuple[int, Extraction]]:
        """Yield every shard's records in input order."""
        yield from heapq.merge(*(_read_records(folder / RECORDS_FILE) for folder in self.folders), key=lambda r: r[0])


def open_shards(folders: Sequence[Path]) -> ShardSet:
    """Read the manifests of shard folders and check they make one complete set.

    Raises:
        InputError: a folder is not a shard output, a shard is missing or given twice, or the
            shards were built from different inputs, models or kg code.
    """
    manifests = {}
    for folder in folders:
        path = Path(folder) / MANIFEST_FILE
        try:
            manifest = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise InputError(f"{folder}: not a shard output (no {MANIFEST_FILE}); "
                             f"build it with `kg build --shard i/n --out {folder}`") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: unreadable shard manifest ({exc}); rebuild that shard") from exc
        if manifest.get("format") != FORMAT:
            raise InputError(f"{path}: not a {FORMAT} manifest; rebuild that shard with this version of kg")
        if manifest["shard"] in manifests:
            raise InputError(f"shard {manifest['shard']}/{manifest['of']} is given twice "
                             f"({manifests[manifest['shard']][0]} and {folder})")
        manifests[manifest["shard"]] = (Path(folder), manifest)
    first = next(iter(manifests.values()))[1]
    for folder, manifest in manifests.values():
        for field, what in (("of", "shard counts"), ("inputs", "input counts"), ("model", "models"),
                            ("code", "kg code")):
            if manifest[field] != first[field]:
                raise InputError(f"{folder}: the shards differ in {what} ({manifest[field]} vs {first[field]}); "
                                 f"build every shard from the same inputs with the same installation")
    count = first["of"]
    missing = sorted(set(range(1, count + 1)) - set(manifests))
    if missing:
        raise InputError(f"shard(s) {', '.join(f'{i}/{count}' for i in missing)} of the set missing; "
                         f"pass every shard's folder to kg merge")
    problems = {tuple(p) for _, m in manifests.values() for p in m["problems"]}
    return ShardSet(folders=tuple(manifests[i][0] for i in sorted(manifests)), count=count,
                    problems=tuple(Problem(*p) for p in sorted(problems)), inputs=first["inputs"])


def _read_records(path: Path) -> Iterator[tuple[int, Extraction]]:
    try:
        with open(path, encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    data = json.loads(line)
                    yield data["seq"], extraction_from_json(data["extraction"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise InputError(f"{path}:{number}: not a shard record ({exc}); rebuild that shard") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the shard's records ({exc.strerror or exc}); "
                         f"rebuild that shard") from exc
