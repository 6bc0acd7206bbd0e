"""Rebuild a snapshot from the live endpoint for the entities a corpus needs (`kg wikidata refresh`).

The linker runs online once to find every item it considers; one CONSTRUCT per batch then
copies those items' English labels and aliases, the claims the linker reads and the P279
edges up to the kg classes' Wikidata classes. The file is written atomically, so a failed
refresh never leaves half a snapshot behind.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import RDFS, SKOS

from kg.config import version
from kg.errors import OutputError
from kg.model import Entity
from kg.wikidata import sparql
from kg.wikidata.linker import Context, Linker, compatible_classes
from kg.wikidata.sources import Endpoint, EndpointUnavailable

BATCH = 50


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh wrote: the file, how many items and triples, and the requests sent."""

    path: Path
    items: int
    triples: int
    requests: int


def refresh_snapshot(entities: Sequence[Entity], *, endpoint: Endpoint, out: Path,
                     context: Context | None = None) -> RefreshResult:
    """Query the endpoint for the items the entities may link to and write them as a snapshot file.

    Raises:
        EndpointUnavailable: the endpoint cannot be reached or keeps failing (a refresh needs it).
        OutputError: the snapshot file cannot be written.
    """
    linker = Linker(endpoint)
    report = linker.link(entities, context)
    if linker.failure is not None:
        raise EndpointUnavailable(f"`kg wikidata refresh` needs the live endpoint, but {linker.failure.what}",
                                  "check the network, or give --endpoint URL of a reachable mirror; "
                                  "no snapshot was written")
    items = {c.qid for link in report.links for c in link.candidates}
    graph = Graph()
    for prefix, namespace in (("wd", sparql.WD), ("wdt", sparql.WDT), ("rdfs", str(RDFS)), ("skos", str(SKOS))):
        graph.bind(prefix, namespace)
    classes = sorted({c for cs in compatible_classes().values() for c in cs})
    ordered = sorted(items)
    for start in range(0, len(ordered), BATCH):
        for triple in endpoint.construct(sparql.snapshot(ordered[start:start + BATCH], classes)):
            graph.add(triple)
    positions = {sparql.qid_of(o) for o in graph.objects(None, sparql.prop(sparql.P39))} - items - {None}
    for start in range(0, len(positions), BATCH):  # post labels let the offline linker match roles
        for triple in endpoint.construct(sparql.snapshot(sorted(positions)[start:start + BATCH], classes)):
            graph.add(triple)
    header = (
        f"# Wikidata snapshot written by `kg wikidata refresh` (kg {version()}) on "
        f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}.\n"
        f"# Source: every triple below is {endpoint.url}'s answer to the CONSTRUCT of kg/wikidata/sparql.py "
        f"(snapshot()) for the {len(items) + len(positions)} items the linker considered.\n"
        "# Point kg at it with --snapshot FILE or $KG_WIKIDATA_SNAPSHOT.\n"
    )
    _write(Path(out), header + graph.serialize(format="turtle"))
    return RefreshResult(Path(out), len(items) + len(positions), len(graph), endpoint.requests)


def _write(path: Path, text: str) -> None:
    """Write a file atomically: a temporary file in the same folder, then a rename."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write the snapshot {path}: {exc.strerror or exc}; "
                          "choose another --out path") from None
