"""Graph database presets and the HTTP client `kg push` talks to them with.

Each preset turns the base URL a user gives (`--url`) into the three SPARQL
endpoints kg uses: the Graph Store HTTP Protocol endpoint (one named graph per
request), the SPARQL Update endpoint (fallback, in batches) and the query
endpoint (verification). `generic` takes the endpoints as given. StoreClient
sends graphs over them and maps every failure to one StoreError line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal
from urllib.parse import urlsplit

import requests
from rdflib.term import URIRef
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from kg import remote
from kg.config import user_agent
from kg.errors import ConfigError, StoreError

__all__ = ["BULK_LOADERS", "STORES", "Endpoints", "StoreClient", "batches", "endpoints"]

STORES = ("virtuoso", "oxigraph", "fuseki", "graphdb", "generic")

#: Most triples sent in one SPARQL Update request (Virtuoso fails with SP031
#: somewhere past 1000 triples in one INSERT DATA).
UPDATE_BATCH = 1000

AuthScheme = Literal["digest", "basic", "auto"]

# Graph Store answers that mean "no Graph Store Protocol here": fall back to SPARQL Update.
_NO_GRAPH_STORE = {404, 405, 415, 501}
# Longest server explanation quoted in an error message.
_REASON_CHARS = 200


@dataclass(frozen=True)
class Endpoints:
    """Where and how one store is reached.

    Attributes:
        store: preset name (one of STORES).
        graph_store: Graph Store Protocol endpoint, or None to use SPARQL Update only.
        update: SPARQL Update endpoint, or None if the store has none.
        query: SPARQL query endpoint used to verify what was sent, or None.
        graph_param: query parameter naming the graph at `graph_store`.
        auth: HTTP authentication scheme for writes ("auto" follows the server's challenge).
        needs_user: whether writes are impossible without a user name.
        batch_size: most triples in one SPARQL Update request.
    """

    store: str
    graph_store: str | None
    update: str | None
    query: str | None
    graph_param: str = "graph"
    auth: AuthScheme = "auto"
    needs_user: bool = False
    batch_size: int = UPDATE_BATCH

    @property
    def target(self) -> str:
        """Return the URL identifying where graphs go (keys the push state file)."""
        return self.graph_store or self.update or ""

    @property
    def bulk_loader(self) -> str:
        """Return one line naming the store's bulk loader, for very large graphs."""
        return BULK_LOADERS[self.store]


#: One line per preset naming the store's own loader, for graphs too big to push
#: over HTTP (shown in timeout and payload errors; fit for the CLI's help text).
BULK_LOADERS = {
    "virtuoso": "Virtuoso's bulk loader (DIR in DirsAllowed; isql-vt HOST:1111 dba PASSWORD "
    "exec=\"ld_dir('DIR','graph.trig','GRAPH'); rdf_loader_run(); checkpoint;\")",
    "oxigraph": "Oxigraph's bulk loader (oxigraph load --location DIR --file graph.trig, "
    "server stopped)",
    "fuseki": "Jena's bulk loader (tdb2.tdbloader --loc DB graph.trig, Fuseki stopped)",
    "graphdb": "GraphDB's bulk loader (importrdf preload -i REPO graph.trig, GraphDB stopped)",
    "generic": "the store's own bulk loader on graph.trig",
}


def endpoints(
    store: str,
    url: str | None,
    *,
    graph_store: str | None = None,
    update: str | None = None,
    query: str | None = None,
) -> Endpoints:
    """Resolve a store preset and base URL into endpoint URLs.

    Args:
        store: one of STORES.
        url: the server's base URL (Fuseki: including the dataset,
            GraphDB: ending in /repositories/REPO); unused for `generic`.
        graph_store: Graph Store Protocol endpoint (`generic`; overrides a preset).
        update: SPARQL Update endpoint (`generic`; overrides a preset).
        query: query endpoint for verification (`generic`; overrides a preset).

    Returns:
        The resolved Endpoints.

    Raises:
        ConfigError: unknown store, unusable URL, or `generic` without endpoints.
    """
    if store not in STORES:
        raise ConfigError(f"unknown store {store!r}: choose one of {', '.join(STORES)}")
    for option, value in (
        ("--url", url),
        ("--graph-store", graph_store),
        ("--update", update),
        ("--query", query),
    ):
        if value is not None:
            _check_url(option, value)
    if store == "generic":
        if not graph_store and not update:
            raise ConfigError(
                "store 'generic' needs --graph-store URL (Graph Store Protocol) "
                "and/or --update URL (SPARQL Update); add --query URL to verify the push"
            )
        return Endpoints("generic", graph_store, update, query)
    if not url:
        raise ConfigError(f"store {store!r} needs --url (the server's base URL)")
    base = url.rstrip("/")
    if store == "virtuoso":
        preset = Endpoints(
            "virtuoso",
            f"{base}/sparql-graph-crud-auth",
            f"{base}/sparql-auth",
            f"{base}/sparql",
            graph_param="graph-uri",
            auth="digest",
            needs_user=True,
        )
    elif store == "oxigraph":
        preset = Endpoints("oxigraph", f"{base}/store", f"{base}/update", f"{base}/query")
    elif store == "fuseki":
        if not urlsplit(base).path.strip("/"):
            raise ConfigError(
                f"Fuseki URL {url!r} names no dataset: give it as --url http://HOST:3030/DATASET"
            )
        preset = Endpoints(
            "fuseki", f"{base}/data", f"{base}/update", f"{base}/query", auth="basic"
        )
    else:
        path = urlsplit(base).path.split("/")
        if len(path) < 2 or path[-2] != "repositories" or not path[-1]:
            raise ConfigError(
                f"GraphDB URL {url!r} names no repository: give it as "
                "--url http://HOST:7200/repositories/REPO"
            )
        preset = Endpoints(
            "graphdb", f"{base}/rdf-graphs/service", f"{base}/statements", base, auth="basic"
        )
    return replace(
        preset,
        graph_store=graph_store or preset.graph_store,
        update=update or preset.update,
        query=query or preset.query,
    )


def _check_url(option: str, value: str) -> None:
    """Reject URLs kg cannot use, and credentials written into a URL."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{option} {value!r} is not an http(s) URL, e.g. http://localhost:8890")
    if parts.username is not None or parts.password is not None:
        # The message must not repeat the URL: it holds the credentials.
        raise ConfigError(
            f"{option} carries credentials in the URL: remove them and pass "
            "--user NAME with --password-env VARIABLE instead"
        )


class StoreClient:
    """HTTP access to one store: Graph Store Protocol, SPARQL Update, verification.

    Credentials live only in this object's auth handler; no message repeats them.
    """

    def __init__(
        self, eps: Endpoints, *, user: str | None, password: str | None, timeout: float
    ) -> None:
        self.eps = eps
        self._user = user
        self._credentials = (user, password) if user and password is not None else None
        self._timeout = timeout
        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent()
        self._auth: AuthBase | None = None
        if self._credentials and eps.auth == "digest":
            self._auth = HTTPDigestAuth(*self._credentials)
        elif self._credentials and eps.auth == "basic":
            self._auth = HTTPBasicAuth(*self._credentials)
        self._use_graph_store = eps.graph_store is not None
        self._query_credentials: tuple[str, str] | None = None

    def send(
        self, iri: str, lines: Sequence[str], *, mode: str
    ) -> Literal["graph-store", "update"]:
        """Send one graph's N-Triples lines by the Graph Store Protocol, else SPARQL Update.

        Returns:
            The protocol that carried the graph.
        """
        if self._use_graph_store and self.eps.graph_store is not None:
            payload = "".join(f"{line}\n" for line in lines).encode("utf-8")
            response = self._request(
                "PUT" if mode == "replace" else "POST",
                self.eps.graph_store,
                params={self.eps.graph_param: iri},
                data=payload,
                # N-Triples is Turtle, and every store reads Turtle.
                headers={"Content-Type": "text/turtle; charset=utf-8"},
                triples=len(lines),
                fallback_ok=self.eps.update is not None,
            )
            if response is not None:
                return "graph-store"
            self._use_graph_store = False
        if self.eps.update is None:
            raise StoreError(f"{self.eps.store} offers no way to write graphs: pass --update URL")
        graph = URIRef(iri).n3()
        if mode == "replace":
            self._update(f"DROP SILENT GRAPH {graph}", triples=0)
        for batch in batches(lines, self.eps.batch_size):
            body = "\n".join(batch)
            if any("_:" in line and _bnodes(line) for line in batch):
                # Blank nodes are not allowed in INSERT DATA on Virtuoso; a template is.
                text = f"INSERT {{ GRAPH {graph} {{\n{body}\n}} }} WHERE {{}}"
            else:
                text = f"INSERT DATA {{ GRAPH {graph} {{\n{body}\n}} }}"
            self._update(text, triples=len(batch))
        return "update"

    def count(self, iri: str) -> int | None:
        """Return how many triples the store holds in graph `iri` (None: cannot query)."""
        if self.eps.query is None:
            return None
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {URIRef(iri).n3()} {{ ?s ?p ?o }} }}"
        try:
            _, rows = remote.select(
                self.eps.query, query, timeout=self._timeout, credentials=self._query_credentials
            )
        except remote.EndpointAuthError:
            if self._query_credentials is not None or self._credentials is None:
                raise
            self._query_credentials = self._credentials
            _, rows = remote.select(
                self.eps.query, query, timeout=self._timeout, credentials=self._query_credentials
            )
        try:
            return int(str(rows[0]["n"]))
        except (IndexError, KeyError, ValueError):
            raise StoreError(
                f"{self.eps.query} answered the triple count of {iri} without a number"
            ) from None

    def _update(self, text: str, *, triples: int) -> None:
        assert self.eps.update is not None
        self._request("POST", self.eps.update, data={"update": text}, triples=triples)

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        data: bytes | dict[str, str],
        headers: dict[str, str] | None = None,
        triples: int,
        fallback_ok: bool = False,
    ) -> requests.Response | None:
        """Send one request; return None when `fallback_ok` and the endpoint lacks the feature."""
        send = partial(self._session.request, method, url, params=params, data=data,
                       headers=headers, timeout=self._timeout)  # fmt: skip
        try:
            response = send(auth=self._auth)
            if response.status_code == 401 and self._auth is None and self._credentials:
                # "auto": answer the server's challenge with the scheme it asked for.
                challenge = response.headers.get("WWW-Authenticate", "").lower()
                scheme = HTTPDigestAuth if challenge.startswith("digest") else HTTPBasicAuth
                self._auth = scheme(*self._credentials)
                response = send(auth=self._auth)
        except requests.exceptions.ConnectTimeout:
            raise StoreError(
                f"cannot reach {self._where(url)}: no connection within "
                f"{self._timeout:g} s; is the host right and the server up?"
            ) from None
        except requests.exceptions.Timeout:
            raise StoreError(
                f"{self._where(url)} did not answer within {self._timeout:g} s; "
                f"raise --timeout, or for very large graphs use "
                f"{self.eps.bulk_loader}"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise StoreError(
                f"cannot reach {self._where(url)} ({_connection_reason(exc)}): "
                "is the server running and --url right?"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise StoreError(
                f"request to {self._where(url)} failed: {type(exc).__name__}"
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return response
        if fallback_ok and status in _NO_GRAPH_STORE:
            return None
        raise StoreError(self._status_message(url, status, response, triples))

    def _status_message(
        self, url: str, status: int, response: requests.Response, triples: int
    ) -> str:
        where = self._where(url)
        if status == 401:
            if self._credentials is None:
                return (
                    f"{where} requires authentication (HTTP 401): pass --user NAME and "
                    "--password-env VARIABLE"
                )
            return (
                f"authentication failed at {where} as user {self._user!r} (HTTP 401): "
                "check --user and the password in the --password-env variable"
            )
        if status == 403:
            return (
                f"{where} refused user {self._user!r} (HTTP 403): the account may not "
                "write graphs (Virtuoso: grant it SPARQL_UPDATE)"
            )
        reason = self._reason(response)
        if status == 413 or (status >= 500 and triples > self.eps.batch_size):
            return (
                f"{where} failed with HTTP {status}{reason} while loading {triples} "
                f"triples; for very large graphs use {self.eps.bulk_loader}"
            )
        if status == 404:
            return f"{where} does not exist (HTTP 404){reason}; check --url and the store preset"
        kind = "a server error" if status >= 500 else "a rejection"
        return f"{where} answered with {kind}, HTTP {status}{reason}"

    def _reason(self, response: requests.Response) -> str:
        """Return ': <first line of the body>' without anything secret in it."""
        text = _TAG.sub(" ", response.text or "")  # error pages are often HTML
        text = " ".join(text.split())[:_REASON_CHARS]
        if self._credentials and self._credentials[1] and self._credentials[1] in text:
            text = text.replace(self._credentials[1], "***")
        return f": {text}" if text else ""

    def _where(self, url: str) -> str:
        return f"{self.eps.store} endpoint {url}"


def _connection_reason(exc: requests.exceptions.ConnectionError) -> str:
    text = str(exc).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("reset by peer", "connection reset"),
        ("aborted", "connection closed by the server"),
        ("remotedisconnected", "connection closed by the server"),
    ):
        if needle in text:
            return reason
    return "network error"


_TAG = re.compile(r"<[^>]*>")
_BNODE = re.compile(r"_:[A-Za-z0-9_.\-]+")


def batches(lines: Sequence[str], size: int) -> Iterator[list[str]]:
    """Split N-Triples lines into SPARQL Update batches of at most `size` triples.

    Triples sharing a blank node stay in one batch: a blank node label names
    the same node only within one request. A blank-node cluster larger than
    `size` becomes one oversized batch.
    """
    if not any("_:" in line for line in lines):
        for start in range(0, len(lines), size):
            yield list(lines[start : start + size])
        return
    parent: dict[str, str] = {}

    def find(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    labels = [_bnodes(line) for line in lines]
    for found in labels:
        for other in found[1:]:
            parent[find(other)] = find(found[0])
    clusters: dict[str, list[str]] = {}
    singles: list[list[str]] = []
    for line, found in zip(lines, labels, strict=True):
        if found:
            clusters.setdefault(find(found[0]), []).append(line)
        else:
            singles.append([line])
    batch: list[str] = []
    for cluster in [*clusters.values(), *singles]:
        if batch and len(batch) + len(cluster) > size:
            yield batch
            batch = []
        batch.extend(cluster)
    if batch:
        yield batch


def _bnodes(line: str) -> list[str]:
    """Return the blank node labels in subject and object position of an N-Triples line."""
    found = []
    subject, _, rest = line.partition(" ")
    if subject.startswith("_:"):
        found.append(subject)
    tokens = rest.rstrip(" .").rsplit(" ", 1)
    # A literal's last token always holds its closing quote, so it never matches.
    if len(tokens) == 2 and _BNODE.fullmatch(tokens[1]):
        found.append(tokens[1])
    return found
