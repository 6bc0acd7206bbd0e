"""Where the linker's SPARQL runs: a live endpoint through SPARQLWrapper, or the local snapshot.

Both answer `select(query)` with rows of rdflib terms, so the linker sends the very same
text to either. The endpoint sends kg's User-Agent, times out, retries 429 and 5xx answers
with bounded back-off (honouring Retry-After), and keeps every answer in an on-disk cache
keyed by endpoint and query text, so a second run sends no request.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import os
import socket
import time
import urllib.error
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.query import Result
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointInternalError,
    EndPointNotFound,
    SPARQLWrapperException,
    Unauthorized,
)

from kg.config import user_agent
from kg.errors import LinkError

Row = dict[str, Node]
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DAY = 86400.0


class Source(Protocol):
    """Anything that answers the linker's SELECT queries."""

    name: str

    def select(self, query: str) -> list[Row]:
        """Run a SELECT query and return its rows."""


def bundled_snapshot() -> Path:
    """Return the path of the verified snapshot shipped with kg."""
    return Path(str(resources.files("kg.data").joinpath("wikidata/snapshot.ttl")))


ENGINES = ("oxigraph", "rdflib")


def _engine(requested: str) -> str:
    if requested not in ("auto", *ENGINES):
        raise LinkError(f"unknown snapshot engine {requested!r}; choose auto, oxigraph or rdflib")
    if requested != "auto":
        return requested
    try:
        import pyoxigraph  # noqa: F401  # optional: a Rust SPARQL engine, ~100x faster than rdflib's
    except ImportError:
        return "rdflib"
    return "oxigraph"


def _unreadable(path: str, exc: Exception) -> LinkError:
    if isinstance(exc, OSError):
        return LinkError(f"cannot read the Wikidata snapshot {path}: {exc.strerror or exc}; "
                         "check the path given with --snapshot or $KG_WIKIDATA_SNAPSHOT")
    return LinkError(f"the Wikidata snapshot {path} is not valid Turtle: {str(exc).splitlines()[0]}; "
                     "rebuild it with `kg wikidata refresh`")


@lru_cache(maxsize=4)
def _load(path: str, stamp: float, engine: str) -> object:
    """Load a snapshot file into an embedded store (cached per file version and engine)."""
    del stamp  # part of the cache key only: an edited file is loaded again
    try:
        if engine == "oxigraph":
            import pyoxigraph

            store = pyoxigraph.Store()
            store.bulk_load(path=path, format=pyoxigraph.RdfFormat.TURTLE)
            return store
        return Graph().parse(path, format="turtle")
    except Exception as exc:  # both parsers raise many unrelated types
        raise _unreadable(path, exc) from None


def _from_oxigraph(term: object) -> Node:
    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:  # type: ignore[attr-defined]
        return Literal(term.value, lang=term.language)  # type: ignore[attr-defined]
    return Literal(term.value, datatype=URIRef(term.datatype.value))  # type: ignore[attr-defined]


class Snapshot:
    """The snapshot in an embedded store (pyoxigraph, else rdflib), queried with the endpoint's SPARQL text."""

    def __init__(self, path: Path | None = None, *, engine: str = "auto") -> None:
        """Remember which snapshot file to load (the bundled one by default); it is loaded on first use."""
        self.path = Path(path) if path is not None else bundled_snapshot()
        self.engine = _engine(engine)
        self.name = f"snapshot {self.path}"

    def _store(self) -> object:
        try:
            stamp = self.path.stat().st_mtime
        except OSError as exc:
            raise _unreadable(str(self.path), exc) from None
        return _load(str(self.path), stamp, self.engine)

    def select(self, query: str) -> list[Row]:
        """Run a SELECT query on the snapshot."""
        store = self._store()
        if isinstance(store, Graph):
            result = store.query(query)
            names = [str(v) for v in result.vars or ()]
            return [{n: row[i] for i, n in enumerate(names) if row[i] is not None} for row in result]
        solutions = store.query(query)  # type: ignore[attr-defined]
        names = [v.value for v in solutions.variables]
        return [{n: _from_oxigraph(s[n]) for n in names if s[n] is not None} for s in solutions]


class Cache:
    """Query answers on disk: one file per (endpoint, query text), written atomically."""

    def __init__(self, directory: Path, *, max_age: float = 30 * DAY) -> None:
        """Keep answers under `directory`; older than `max_age` seconds they are asked again."""
        self.directory = Path(directory)
        self.max_age = max_age

    def path(self, endpoint: str, query: str) -> Path:
        """Return the cache file of one query sent to one endpoint."""
        digest = hashlib.sha256(f"{endpoint}\n{query}".encode("utf-8")).hexdigest()
        return self.directory / digest[:2] / f"{digest}.json"

    def get(self, endpoint: str, query: str) -> bytes | None:
        """Return a cached answer that is fresh enough, or None."""
        path = self.path(endpoint, query)
        try:
            if time.time() - path.stat().st_mtime > self.max_age:
                return None
            return path.read_bytes()
        except OSError:
            return None

    def put(self, endpoint: str, query: str, body: bytes) -> None:
        """Store an answer; a cache that cannot be written only costs requests later."""
        path = self.path(endpoint, query)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(body)
            os.replace(temporary, path)
        except OSError:
            pass


def default_cache_dir() -> Path:
    """Return the Wikidata cache folder: $KG_CACHE/wikidata or ~/.cache/kg/wikidata."""
    return Path(os.environ.get("KG_CACHE") or Path.home() / ".cache" / "kg") / "wikidata"


class EndpointUnavailable(LinkError):
    """The endpoint could not be reached or kept failing; the message says why and what to do."""

    def __init__(self, what: str, advice: str) -> None:
        """Keep what happened apart from the advice, so callers can give their own advice."""
        super().__init__(f"{what}; {advice}")
        self.what = what


class EndpointAuthError(LinkError):
    """The endpoint asked for credentials or refused access (HTTP 401 or 403): linking stops, nothing is built."""


# What to do when an endpoint wants credentials: the linker sends none (Wikidata needs none).
_ANONYMOUS = ("kg sends no credentials to a linking endpoint: point --endpoint (or $KG_WIKIDATA_ENDPOINT) at one "
              "that answers anonymous queries, such as https://query.wikidata.org/sparql, or run with --offline "
              "to link from the bundled snapshot")


class Endpoint:
    """A SPARQL endpoint (by default the Wikidata Query Service) spoken to through SPARQLWrapper."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 1.0,
        max_wait: float = 30.0,
        cache: Cache | None = None,
        agent: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Configure the endpoint client.

        Args:
            url: the SPARQL query endpoint.
            timeout: seconds to wait for a connection and for each read.
            attempts: tries per query when the answer is 429 or 5xx (at least 1).
            backoff: first wait between tries in seconds, doubled each time, unless Retry-After says otherwise.
            max_wait: longest single wait accepted; a longer Retry-After gives up at once.
            cache: where answers are kept (None: no cache).
            agent: User-Agent header (kg's descriptive one by default).
            sleep: how to wait (tests may pass a recorder).
        """
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:  # never repeat such a URL: it holds them
            raise EndpointAuthError(f"the SPARQL endpoint URL carries credentials (user:password@host); {_ANONYMOUS}")
        self.url = url
        self.name = f"endpoint {url}"
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_wait = max_wait
        self.cache = cache
        self.agent = agent or user_agent()
        self.sleep = sleep
        self.requests = 0

    def select(self, query: str) -> list[Row]:
        """Run a SELECT query (from the cache when it was asked before)."""
        body = self.cache.get(self.url, query) if self.cache else None
        if body is None:
            body = self._send(query, JSON)
            rows = self._rows(body)
            if self.cache:
                self.cache.put(self.url, query, body)
            return rows
        return self._rows(body)

    def construct(self, query: str) -> Graph:
        """Run a CONSTRUCT query and return its triples (never cached: used to refresh)."""
        body = self._send(query, TURTLE)
        graph = Graph()
        try:
            graph.parse(data=body, format="turtle")
        except Exception as exc:  # rdflib's parsers raise many unrelated types
            raise LinkError(f"SPARQL endpoint {self.url} answered the CONSTRUCT with something that is not "
                            f"Turtle: {str(exc).splitlines()[0]}") from None
        return graph

    def _rows(self, body: bytes) -> list[Row]:
        try:
            result = Result.parse(io.BytesIO(body), format="json")
        except Exception:  # rdflib's result parsers raise many unrelated types
            raise LinkError(f"SPARQL endpoint {self.url} did not answer with SPARQL JSON results: "
                            f"{body[:120].decode('utf-8', 'replace')!r}; check that the URL is a query endpoint") from None
        names = [str(v) for v in result.vars or ()]
        return [{n: row[i] for i, n in enumerate(names) if row[i] is not None} for row in result]

    def _send(self, query: str, fmt: str) -> bytes:
        """POST one query, retrying 429 and 5xx answers.

        Raises:
            EndpointAuthError: HTTP 401 or 403 (the linker sends no credentials): linking stops.
            EndpointUnavailable: unreachable, or still failing; the linker falls back to the snapshot.
            LinkError: the endpoint rejected the query text itself (HTTP 400 or 414).
        """
        for attempt in range(1, self.attempts + 1):
            wrapper = SPARQLWrapper(self.url, agent=self.agent)
            wrapper.setMethod(POST)
            wrapper.setReturnFormat(fmt)
            wrapper.setQuery(query)
            wrapper.timeout = self.timeout  # type: ignore[assignment]  # setTimeout() would truncate to int
            self.requests += 1
            try:
                return wrapper.query().response.read()
            except urllib.error.HTTPError as exc:
                status, wait = exc.code, _retry_after(exc.headers.get("Retry-After"))
            except EndPointInternalError:
                status, wait = 500, None
            except Unauthorized:
                status, wait = 401, None
            except EndPointNotFound:
                status, wait = 404, None
            except SPARQLWrapperException as exc:  # 400 and 414: the endpoint refused the query text itself
                raise LinkError(f"SPARQL endpoint {self.url} refused a linking query "
                                f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
                                "check the endpoint URL, or report the query as a kg bug") from None
            except urllib.error.URLError as exc:
                raise self._down(exc.reason) from None
            except OSError as exc:  # a timeout or a reset while reading
                raise self._down(exc) from None
            if status in (401, 403):
                what = "wants credentials (HTTP 401 Unauthorized)" if status == 401 else \
                    "refused access (HTTP 403 Forbidden: an authentication or access-policy refusal)"
                raise EndpointAuthError(f"SPARQL endpoint {self.url} {what}; {_ANONYMOUS}")
            if status not in RETRY_STATUSES:
                what = "has no SPARQL service at that URL" if status == 404 else "refused the request"
                raise EndpointUnavailable(f"SPARQL endpoint {self.url} {what} (HTTP {status})",
                                          "check the endpoint URL or use --offline")
            if attempt == self.attempts:
                break
            delay = self.backoff * 2 ** (attempt - 1) if wait is None else wait
            if delay > self.max_wait:
                raise EndpointUnavailable(f"SPARQL endpoint {self.url} is rate-limiting (HTTP {status}) and asked to "
                                          f"wait {delay:g} s, more than the {self.max_wait:g} s kg waits",
                                          "try again later or use --offline")
            self.sleep(delay)
        what = "is rate-limiting" if status == 429 else "failed with a server error"
        raise EndpointUnavailable(f"SPARQL endpoint {self.url} {what} (HTTP {status}) on {self.attempts} attempts",
                                  "try again later or use --offline")

    def _down(self, reason: object) -> EndpointUnavailable:
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return EndpointUnavailable(f"SPARQL endpoint {self.url} did not answer within {self.timeout:g} s",
                                       "check the network, raise the timeout, or use --offline")
        if isinstance(reason, ConnectionRefusedError):
            why = "connection refused"
        elif isinstance(reason, socket.gaierror):
            why = "unknown host"
        else:
            why = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return EndpointUnavailable(f"cannot reach SPARQL endpoint {self.url} ({str(why).lower()})",
                                   "check the network and the URL, or use --offline")


def _retry_after(value: str | None) -> float | None:
    """Read a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
