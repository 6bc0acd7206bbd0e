"""Push a built graph into a graph database, one named graph per request.

Each named graph of `DIR/graph.trig` (one per article, plus the entity graph)
goes to the store with the SPARQL 1.1 Graph Store HTTP Protocol (PUT replaces
the graph, POST appends to it), falling back to SPARQL Update in batches where
a store has no Graph Store endpoint. Re-pushing one article replaces only its graph.

The push is idempotent and resumable: `DIR/.push-state.json` remembers, per
store and graph, the SHA-256 of the graph's sorted N-Triples, and graphs already
sent with the same content are skipped (unless `force`). Afterwards every graph
is verified by counting its triples in the store.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import rdflib
from rdflib.compare import to_canonical_graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import BNode, URIRef

from kg.errors import ConfigError, InputError, OutputError, StoreError
from kg.stores import StoreClient, endpoints

__all__ = [
    "STATE_FILE",
    "TRIG_FILE",
    "GraphResult",
    "LocalGraph",
    "PushIncomplete",
    "PushReport",
    "load_graphs",
    "push",
    "read_password",
]

STATE_FILE = ".push-state.json"
TRIG_FILE = "graph.trig"

MODES = ("replace", "append")


@dataclass(frozen=True)
class GraphResult:
    """What happened to one named graph.

    Attributes:
        iri: the graph IRI.
        triples: triples in the local graph.
        action: "sent" (sent in this run) or "skipped" (already in the store, unchanged).
        method: "graph-store" or "update" when sent, None when skipped.
        stored: triples the store holds in the graph afterwards (None: no query endpoint).
    """

    iri: str
    triples: int
    action: Literal["sent", "skipped"]
    method: Literal["graph-store", "update"] | None
    stored: int | None


@dataclass(frozen=True)
class PushReport:
    """The outcome of a push: one GraphResult per named graph, in push order."""

    store: str
    target: str
    mode: str
    state_file: Path
    graphs: tuple[GraphResult, ...]

    @property
    def sent(self) -> tuple[str, ...]:
        """Return the IRIs of the graphs sent in this run."""
        return tuple(g.iri for g in self.graphs if g.action == "sent")

    @property
    def skipped(self) -> tuple[str, ...]:
        """Return the IRIs of the graphs skipped as already in the store."""
        return tuple(g.iri for g in self.graphs if g.action == "skipped")

    @property
    def verified(self) -> dict[str, int]:
        """Return the triple count found in the store per verified graph."""
        return {g.iri: g.stored for g in self.graphs if g.stored is not None}


class PushIncomplete(StoreError):
    """A push stopped part-way; graphs finished before the failure are recorded.

    Attributes:
        report: the graphs finished before the failure.
        failed: the IRI of the graph that failed.
    """

    def __init__(self, message: str, *, report: PushReport, failed: str) -> None:
        super().__init__(message)
        self.report = report
        self.failed = failed


def push(
    data_dir: Path,
    *,
    store: str,
    url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    mode: str = "replace",
    graph_store: str | None = None,
    update: str | None = None,
    query: str | None = None,
    force: bool = False,
    on_graph: Callable[[str, int, int], None] | None = None,
    timeout: float = 60,
) -> PushReport:
    """Push every named graph of `data_dir/graph.trig` into a graph database.

    Args:
        data_dir: build output directory holding graph.trig (and the push state file).
        store: preset, one of kg.stores.STORES.
        url: the server's base URL (see kg.stores.endpoints); not for `generic`.
        user: user name for HTTP authentication (Virtuoso: required).
        password: its password; never logged nor put into messages.
        mode: "replace" (PUT: the store's graph becomes the local one) or "append" (POST).
        graph_store: Graph Store Protocol endpoint (`generic`, or an override).
        update: SPARQL Update endpoint (`generic`, or an override).
        query: query endpoint used to verify the push (`generic`, or an override).
        force: send graphs even when the state file says they are in the store already.
        on_graph: called as on_graph(graph_iri, index, total) after each graph (1-based).
        timeout: seconds to wait for each HTTP request.

    Returns:
        A PushReport naming the graphs sent, skipped and their verified triple counts.

    Raises:
        ConfigError: bad store, URL, mode or missing credentials (before anything is sent).
        InputError: graph.trig is missing or unreadable.
        PushIncomplete: a graph failed; the ones before it are recorded, re-run to resume.
        StoreError: the store could not be reached or verified.
    """
    if mode not in MODES:
        raise ConfigError(f"unknown push mode {mode!r}: choose replace or append")
    eps = endpoints(store, url, graph_store=graph_store, update=update, query=query)
    if eps.needs_user and not user:
        raise ConfigError(
            f"{store} accepts writes only with a user: pass --user NAME (e.g. dba) and "
            "--password-env VARIABLE"
        )
    if user and password is None:
        raise ConfigError(
            f"no password for user {user!r}: pass --password-env VARIABLE naming an "
            "environment variable that holds it"
        )
    graphs = load_graphs(Path(data_dir))
    state = PushState.load(Path(data_dir) / STATE_FILE)
    client = StoreClient(eps, user=user, password=password, timeout=timeout)
    done: list[GraphResult] = []

    def report() -> PushReport:
        return PushReport(store, eps.target, mode, state.path, tuple(done))

    try:
        for index, graph in enumerate(graphs, start=1):
            try:
                done.append(_push_one(client, state, graph, mode=mode, force=force))
            except StoreError as exc:
                progress = (
                    f"{len(done)} graph(s) before it are in the store, recorded in "
                    f"{state.path}: fix the cause and re-run the same push to resume"
                    if done
                    else "nothing was sent"
                )
                raise PushIncomplete(
                    f"{exc} (at graph {index}/{len(graphs)} {graph.iri}; {progress})",
                    report=report(),
                    failed=graph.iri,
                ) from None
            if on_graph is not None:
                on_graph(graph.iri, index, len(graphs))
    finally:
        state.save()
    return report()


def read_password(variable: str | None, *, user: str | None) -> str | None:
    """Return the password for `user` from environment variable `variable`.

    Prompts with getpass (which never echoes) only when stdin is a terminal.

    Raises:
        ConfigError: the variable is unset and there is no terminal to ask on.
    """
    if user is None:
        return None
    if variable:
        value = os.environ.get(variable)
        if value is not None:
            return value
        # A value unlike an environment variable's name may be the password itself: never repeat it.
        shown = variable if re.fullmatch(r"[A-Z_][A-Z0-9_]*", variable) else "named by --password-env"
        hint = f"environment variable {shown} is not set: export it with the password"
    else:
        hint = "no password given: pass --password-env VARIABLE naming an environment variable"
    if not sys.stdin.isatty():
        raise ConfigError(f"{hint} for user {user!r}")
    return getpass.getpass(f"Password for {user}: ")


def _push_one(
    client: StoreClient, state: PushState, graph: LocalGraph, *, mode: str, force: bool
) -> GraphResult:
    """Send one graph unless the store already has it, then verify its triple count."""
    if not force and state.has(client.eps.target, graph, mode=mode):
        stored = client.count(graph.iri)
        if stored is None or _complete(stored, graph.triples, mode):
            return GraphResult(graph.iri, graph.triples, "skipped", None, stored)
        # The store lost what the state file remembers (wiped, restored): send again.
    method = client.send(graph.iri, graph.lines, mode=mode)
    stored = client.count(graph.iri)
    if stored is not None and not _complete(stored, graph.triples, mode):
        raise StoreError(
            f"{client.eps.store} holds {stored} triples in {graph.iri} after sending "
            f"{graph.triples}: it merged or dropped some (e.g. literals it normalises) or "
            "another client wrote to the graph; compare the graph with the local one"
        )
    state.record(client.eps.target, graph, mode=mode)
    return GraphResult(graph.iri, graph.triples, "sent", method, stored)


def _complete(stored: int, sent: int, mode: str) -> bool:
    return stored == sent if mode == "replace" else stored >= sent


@dataclass(frozen=True)
class LocalGraph:
    """One named graph read from graph.trig, as sorted N-Triples lines."""

    iri: str
    lines: tuple[str, ...]
    sha256: str

    @property
    def triples(self) -> int:
        """Return the number of triples."""
        return len(self.lines)


def load_graphs(data_dir: Path) -> list[LocalGraph]:
    """Read the named graphs of `data_dir/graph.trig`, sorted by IRI.

    Raises:
        InputError: the file is missing or unparseable, or holds triples outside named graphs.
    """
    path = data_dir / TRIG_FILE
    if not path.is_file():
        raise InputError(f"no {TRIG_FILE} in {data_dir}: run `kg build --out {data_dir}` first")
    dataset = rdflib.Dataset()
    try:
        dataset.parse(path, format="trig")
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        raise InputError(f"{path} is not readable TriG: {str(exc).splitlines()[0][:200]}") from None
    graphs = []
    for graph in dataset.graphs():
        if graph.identifier == DATASET_DEFAULT_GRAPH_ID:
            if len(graph):
                raise InputError(
                    f"{path} holds {len(graph)} triples outside any named graph; kg push sends "
                    "named graphs only: rebuild it with `kg build`"
                )
            continue
        if not isinstance(graph.identifier, URIRef):
            raise InputError(f"{path} has a graph named by a blank node; name it with an IRI")
        if len(graph):
            lines = _ntriples(graph)
            digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
            graphs.append(LocalGraph(str(graph.identifier), lines, digest))
    return sorted(graphs, key=lambda g: g.iri)


def _ntriples(graph: rdflib.Graph) -> tuple[str, ...]:
    """Return the graph's triples as sorted N-Triples lines, blank nodes canonically named."""
    plain = rdflib.Graph()
    if any(isinstance(term, BNode) for triple in graph for term in triple):
        # Parsed blank node labels are random; canonical ones keep the hash stable.
        for triple in to_canonical_graph(graph):
            plain.add(triple)
    else:
        for triple in graph:
            plain.add(triple)
    return tuple(sorted(line for line in plain.serialize(format="nt").splitlines() if line))


class PushState:
    """The push state file: which graph content each store already holds.

    Entries are keyed by the store's target URL and the graph IRI, and hold the
    SHA-256 of the graph's sorted N-Triples and the mode it was sent in. The
    file is replaced atomically; a corrupt file is ignored (graphs are re-sent).
    """

    _SAVE_EVERY = 1.0  # seconds: bounds rewrites of a large state file

    def __init__(self, path: Path, entries: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self._entries = entries
        self._dirty = False
        self._saved = time.monotonic()

    @classmethod
    def load(cls, path: Path) -> PushState:
        """Read the state file, or start empty when it is missing or unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["graphs"] if data.get("format") == 1 else {}
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            entries = {}
        return cls(path, entries if isinstance(entries, dict) else {})

    def has(self, target: str, graph: LocalGraph, *, mode: str) -> bool:
        """Return whether this content was sent to `target` in a mode that covers `mode`."""
        entry = self._entries.get(f"{target} {graph.iri}")
        return (
            isinstance(entry, dict)
            and entry.get("sha256") == graph.sha256
            and (mode == "append" or entry.get("mode") == "replace")
        )

    def record(self, target: str, graph: LocalGraph, *, mode: str) -> None:
        """Remember that `graph` is in `target`; saves at most once a second."""
        self._entries[f"{target} {graph.iri}"] = {
            "sha256": graph.sha256,
            "triples": graph.triples,
            "mode": mode,
            "sent": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._dirty = True
        if time.monotonic() - self._saved >= self._SAVE_EVERY:
            self.save()

    def save(self) -> None:
        """Write the state file atomically (temporary file, then rename) if anything changed.

        Raises:
            OutputError: the directory is not writable.
        """
        if not self._dirty:
            return
        text = json.dumps({"format": 1, "graphs": self._entries}, indent=1, sort_keys=True)
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".push-state.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise OutputError(
                f"cannot write the push state file {self.path}: {exc.strerror or exc}"
            ) from None
        self._dirty = False
        self._saved = time.monotonic()
