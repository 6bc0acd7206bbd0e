"""Push graphs into real Virtuoso and Oxigraph servers and read them back.

The servers come from tests/servers.py (started once per session, nothing
mocked). Every test writes its own graphs under its own base IRI, so tests
sharing a server never see each other's data.
"""

from __future__ import annotations

import fcntl
import http.server
import io
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import termios
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import rdflib
from rdflib import XSD, BNode, Literal, Namespace, URIRef
from rdflib.compare import graph_diff, isomorphic

from kg import remote
from kg.cli import main
from kg.errors import ConfigError, InputError, StoreError
from kg.store import STATE_FILE, PushIncomplete, load_graphs, push, read_password
from kg.stores import batches, endpoints
from tests import servers
from tests.servers import Server, free_port, start_oxigraph

# The session-scoped fixtures from tests/servers.py: real servers, started once.
virtuoso = servers.virtuoso
oxigraph = servers.oxigraph

KG = Namespace("https://w3id.org/kg-news/ontology#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
BIG = 2500  # triples in one graph: more than two SPARQL Update batches


# ---------------------------------------------------------------- test data


def make_data(out: Path) -> dict[str, rdflib.Graph]:
    """Write out/graph.trig with two article graphs and an entity graph; return them by IRI."""
    base = f"https://w3id.org/kg-news/test-{uuid.uuid4().hex[:10]}/"
    data = Namespace(base)
    kabul, qala = data["entity/city/kabul"], data["entity/city/qala-e-naw"]
    ds = rdflib.Dataset()
    one = ds.graph(URIRef(f"{base}graph/0123456789abcdef"))
    article = data["article/0123456789abcdef"]
    one.add((article, KG.published, Literal("2021-08-13", datatype=XSD.date)))
    one.add((article, KG.publishedMonth, Literal("2021-08", datatype=XSD.gYearMonth)))
    one.add((article, KG.url, Literal("https://example.org/a?b=1&c=2", datatype=XSD.anyURI)))
    one.add((article, KG.text, Literal('He said "we left".\nThen\tnothing \\ more.')))
    one.add((article, KG.confidence, Literal("0.85", datatype=XSD.decimal)))
    one.add((article, KG.mentions, kabul))
    two = ds.graph(URIRef(f"{base}graph/fedcba9876543210"))
    for i in range(BIG):
        two.add((data[f"mention/fedcba9876543210/{i}-{i + 5}"], KG.start, Literal(i)))
    entities = ds.graph(URIRef(f"{base}graph/entities"))
    entities.add((kabul, RDFS_LABEL, Literal("کابل", lang="ps")))
    entities.add((kabul, RDFS_LABEL, Literal("Kabul", lang="en")))
    entities.add((qala, RDFS_LABEL, Literal("Qala-e-Naw", lang="en-GB")))
    quantity = BNode()  # blank nodes must not break the content hash or batching
    entities.add((kabul, KG.quantity, quantity))
    entities.add((quantity, KG["count"], Literal(200)))
    graphs = {str(g.identifier): _copy(g) for g in (one, two, entities)}
    out.mkdir(parents=True, exist_ok=True)
    rewrite(out, graphs)
    return graphs


def _copy(graph: rdflib.Graph) -> rdflib.Graph:
    copy = rdflib.Graph()
    for triple in graph:
        copy.add(triple)
    return copy


def rewrite(out: Path, graphs: dict[str, rdflib.Graph]) -> None:
    """Write `graphs` as out/graph.trig (N-Triples inside graph blocks: valid TriG, fast)."""
    with (out / "graph.trig").open("w", encoding="utf-8") as trig:
        for iri, graph in graphs.items():
            trig.write(f"<{iri}> {{\n{graph.serialize(format='nt')}}}\n")


def normalised(graph: rdflib.Graph) -> rdflib.Graph:
    """Make terms that are equal in RDF identical, for comparison.

    Virtuoso lower-cases language tags and keeps numbers as numbers: "1.0"^^xsd:decimal
    comes back as "1"^^xsd:integer, the same value (xsd:integer derives from xsd:decimal).
    """
    result = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language:
            o = Literal(str(o), lang=o.language.lower())
        elif isinstance(o, Literal) and o.datatype in (XSD.integer, XSD.decimal):
            o = Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD.decimal)
        result.add((s, p, o))
    return result


def stored(server: Server, iri: str) -> rdflib.Graph:
    """Read one named graph back from the store through kg.remote."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
    return remote.construct(server.query, query)


def assert_same(server: Server, iri: str, local: rdflib.Graph) -> None:
    remote_graph = normalised(stored(server, iri))
    local_graph = normalised(local)
    if any(isinstance(term, BNode) for triple in local_graph for term in triple):
        same = isomorphic(remote_graph, local_graph)
    else:  # plain set equality: much faster than isomorphism on big graphs
        same = set(remote_graph) == set(local_graph)
    if not same:
        _, only_store, only_local = graph_diff(remote_graph, local_graph)
        pytest.fail(
            f"{server.name} graph {iri} differs:\nonly in store:\n"
            f"{only_store.serialize(format='nt')}\nonly local:\n{only_local.serialize(format='nt')}"
        )


def push_to(server: Server, out: Path, **options: object) -> object:
    return push(
        out,
        store=server.name,
        url=server.url,
        user=server.user,
        password=server.password,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["virtuoso", "oxigraph"])
def server(request: pytest.FixtureRequest) -> Server:
    """Each store in turn."""
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------- pushing


def test_push_round_trips_every_graph(server: Server, tmp_path: Path) -> None:
    graphs = make_data(tmp_path)
    seen: list[tuple[str, int, int]] = []
    report = push_to(server, tmp_path, on_graph=lambda *args: seen.append(args))
    assert sorted(report.sent) == sorted(graphs)
    assert report.skipped == ()
    assert [(index, total) for _, index, total in seen] == [(1, 3), (2, 3), (3, 3)]
    assert report.verified == {iri: len(g) for iri, g in graphs.items()}
    assert {g.method for g in report.graphs} == {"graph-store"}
    for iri, graph in graphs.items():
        assert_same(server, iri, graph)


def test_typed_dates_and_pashto_labels_survive(server: Server, tmp_path: Path) -> None:
    graphs = make_data(tmp_path)
    push_to(server, tmp_path)
    entity_graph = next(iri for iri in graphs if iri.endswith("/entities"))
    variables, rows = remote.select(
        server.query,
        f"SELECT ?label WHERE {{ GRAPH <{entity_graph}> {{ ?e <{RDFS_LABEL}> ?label }} }}",
    )
    assert variables == ["label"]
    labels = {(str(r["label"]), (r["label"].language or "").lower()) for r in rows}
    assert ("کابل", "ps") in labels
    assert ("Qala-e-Naw", "en-gb") in labels
    article_graph = next(iri for iri in graphs if iri.endswith("/0123456789abcdef"))
    _, rows = remote.select(
        server.query,
        f"SELECT ?d ?m WHERE {{ GRAPH <{article_graph}> {{ ?a <{KG.published}> ?d ; "
        f"<{KG.publishedMonth}> ?m }} }}",
    )
    assert rows == [
        {
            "d": Literal("2021-08-13", datatype=XSD.date),
            "m": Literal("2021-08", datatype=XSD.gYearMonth),
        }
    ]
    assert rows[0]["d"].toPython().isoformat() == "2021-08-13"


def test_push_twice_is_idempotent(server: Server, tmp_path: Path) -> None:
    graphs = make_data(tmp_path)
    push_to(server, tmp_path)
    again = push_to(server, tmp_path)
    assert again.sent == ()
    assert sorted(again.skipped) == sorted(graphs)
    assert again.verified == {iri: len(g) for iri, g in graphs.items()}
    forced = push_to(server, tmp_path, force=True)
    assert sorted(forced.sent) == sorted(graphs)
    for iri, graph in graphs.items():
        assert_same(server, iri, graph)


def test_a_graph_the_store_lost_is_sent_again(oxigraph: Server, tmp_path: Path) -> None:
    graphs = make_data(tmp_path)
    push_to(oxigraph, tmp_path)
    lost = sorted(graphs)[0]
    request = urllib.request.Request(
        f"{oxigraph.url}/update", data=f"DROP GRAPH <{lost}>".encode(),
        headers={"Content-Type": "application/sparql-update"},
    )  # fmt: skip
    urllib.request.urlopen(request, timeout=10).close()
    report = push_to(oxigraph, tmp_path)
    assert report.sent == (lost,)
    assert_same(oxigraph, lost, graphs[lost])


def test_repushing_one_graph_replaces_only_that_graph(server: Server, tmp_path: Path) -> None:
    graphs = make_data(tmp_path)
    push_to(server, tmp_path)
    article = next(iri for iri in graphs if iri.endswith("/0123456789abcdef"))
    changed = graphs[article]
    subject = next(iter(changed.subjects(KG.published)))
    changed.remove((subject, KG.published, None))
    changed.add((subject, KG.published, Literal("2021-08-14", datatype=XSD.date)))
    rewrite(tmp_path, graphs)
    report = push_to(server, tmp_path)
    assert report.sent == (article,)
    assert sorted(report.skipped) == sorted(set(graphs) - {article})
    for iri, graph in graphs.items():
        assert_same(server, iri, graph)


def test_append_mode_adds_to_the_stored_graph(server: Server, tmp_path: Path) -> None:
    graphs = make_data(tmp_path)
    push_to(server, tmp_path)
    article = next(iri for iri in graphs if iri.endswith("/0123456789abcdef"))
    before = _copy(graphs[article])
    subject = next(iter(before.subjects(KG.published)))
    extra = (subject, KG.author, Literal("Staff reporter"))
    graphs[article].remove((subject, KG.published, None))
    graphs[article].add(extra)
    rewrite(tmp_path, graphs)
    report = push_to(server, tmp_path, mode="append")
    assert report.sent == (article,)
    union = before + graphs[article]
    assert_same(server, article, union)
    assert report.verified[article] == len(union)
    # Replace mode makes the store's graph equal to the local one again.
    report = push_to(server, tmp_path, mode="replace")
    assert report.sent == (article,)
    assert_same(server, article, graphs[article])


def test_sparql_update_fallback_sends_batches(server: Server, tmp_path: Path) -> None:
    graphs = make_data(tmp_path)
    update = f"{server.url}/sparql-auth" if server.name == "virtuoso" else f"{server.url}/update"
    report = push(
        tmp_path,
        store="generic",
        update=update,
        query=server.query,
        user=server.user,
        password=server.password,
    )
    assert {g.method for g in report.graphs} == {"update"}
    for iri, graph in graphs.items():
        assert_same(server, iri, graph)
    # Replace through SPARQL Update drops what the graph held before.
    article = next(iri for iri in graphs if iri.endswith("/0123456789abcdef"))
    graphs[article].remove((None, KG.confidence, None))
    rewrite(tmp_path, graphs)
    report = push(
        tmp_path,
        store="generic",
        update=update,
        query=server.query,
        user=server.user,
        password=server.password,
    )
    assert report.sent == (article,)
    assert_same(server, article, graphs[article])


def test_missing_graph_store_endpoint_falls_back_to_update(
    oxigraph: Server, tmp_path: Path
) -> None:
    graphs = make_data(tmp_path)
    report = push(
        tmp_path,
        store="generic",
        graph_store=f"{oxigraph.url}/no-such-endpoint",
        update=f"{oxigraph.url}/update",
        query=oxigraph.query,
    )
    assert {g.method for g in report.graphs} == {"update"}
    for iri, graph in graphs.items():
        assert_same(oxigraph, iri, graph)


def test_seed_graph_pushes_to_both_stores(
    virtuoso: Server, oxigraph: Server, seed_build: object, tmp_path: Path
) -> None:
    # seed_build (tests/conftest.py) is build(inputs=[seeds], out=...) run once per session;
    # push a copy so the state file lands here, not in the shared build folder.
    shutil.copy(seed_build.out / "graph.trig", tmp_path / "graph.trig")  # type: ignore[attr-defined]
    local = {g.iri: g for g in load_graphs(tmp_path)}
    assert local, "the seed build produced no named graphs"
    for server in (virtuoso, oxigraph):
        report = push_to(server, tmp_path)
        assert report.verified == {iri: g.triples for iri, g in local.items()}
        assert push_to(server, tmp_path).sent == ()
    dataset = rdflib.Dataset()
    dataset.parse(tmp_path / "graph.trig", format="trig")
    for graph in dataset.graphs():
        if len(graph):
            for server in (virtuoso, oxigraph):
                assert_same(server, str(graph.identifier), graph)


# ---------------------------------------------------------------- failures and resuming


def test_push_resumes_after_the_server_stops_mid_push(tmp_path: Path) -> None:
    graphs = make_data(tmp_path / "out")
    out = tmp_path / "out"
    trig_before = (out / "graph.trig").read_bytes()
    server = start_oxigraph(tmp_path / "store")
    try:

        def stop_after_first(iri: str, index: int, total: int) -> None:
            if index == 1:
                server.stop()

        with pytest.raises(PushIncomplete) as failure:
            push(out, store="oxigraph", url=server.url, on_graph=stop_after_first)
        message = str(failure.value)
        assert "cannot reach" in message and "re-run" in message
        first = failure.value.report.sent
        assert len(first) == 1 and failure.value.failed not in first
        assert (out / "graph.trig").read_bytes() == trig_before
        state = json.loads((out / STATE_FILE).read_text(encoding="utf-8"))
        assert [key.split(" ")[1] for key in state["graphs"]] == list(first)

        server.restart()
        report = push(out, store="oxigraph", url=server.url)
        assert report.skipped == first
        assert sorted(report.sent + report.skipped) == sorted(graphs)
        for iri, graph in graphs.items():
            assert_same(server, iri, graph)
    finally:
        server.stop()


class _FlakyProxy(http.server.BaseHTTPRequestHandler):
    """Forward Graph Store requests to Oxigraph, but fail one graph's first request with 503."""

    upstream = ""
    fail_graph = ""
    failures_left = 1

    def do_PUT(self) -> None:  # noqa: N802 (http.server naming)
        self._forward()

    def do_POST(self) -> None:  # noqa: N802
        self._forward()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        cls = type(self)
        if cls.fail_graph in urllib.request.unquote(self.path) and cls.failures_left > 0:
            cls.failures_left -= 1
            self._answer(503, b"Service Unavailable: store is compacting, try again later")
            return
        query = self.path.split("?", 1)[1]
        request = urllib.request.Request(
            f"{cls.upstream}/store?{query}",
            data=body,
            method=self.command,
            headers={"Content-Type": self.headers["Content-Type"]},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            self._answer(response.status, response.read())

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_proxy(oxigraph: Server) -> Iterator[type[_FlakyProxy]]:
    """A real local HTTP server in front of Oxigraph that fails one chosen graph once."""
    handler = type("Proxy", (_FlakyProxy,), {"upstream": oxigraph.url, "failures_left": 1})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    handler.address = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    try:
        yield handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_push_resumes_after_one_graph_fails(
    oxigraph: Server, flaky_proxy: type[_FlakyProxy], tmp_path: Path
) -> None:
    graphs = make_data(tmp_path)
    order = sorted(graphs)
    flaky_proxy.fail_graph = order[1]
    options = {
        "store": "generic",
        "graph_store": f"{flaky_proxy.address}/store",  # type: ignore[attr-defined]
        "query": oxigraph.query,
    }
    with pytest.raises(PushIncomplete) as failure:
        push(tmp_path, **options)  # type: ignore[arg-type]
    message = str(failure.value)
    assert "HTTP 503" in message and "compacting" in message and order[1] in message
    assert "\n" not in message
    assert failure.value.report.sent == (order[0],)
    report = push(tmp_path, **options)  # type: ignore[arg-type]
    assert report.skipped == (order[0],)
    assert report.sent == (order[1], order[2])
    for iri, graph in graphs.items():
        assert_same(oxigraph, iri, graph)


def test_wrong_password_is_an_authentication_error(virtuoso: Server, tmp_path: Path) -> None:
    make_data(tmp_path)
    secret = "not-the-Password-4711"
    with pytest.raises(StoreError) as failure:
        push(tmp_path, store="virtuoso", url=virtuoso.url, user="dba", password=secret)
    message = str(failure.value)
    assert "authentication" in message and "'dba'" in message
    for text in (message, repr(failure.value), repr(failure.value.args)):
        assert secret not in text
    assert not (tmp_path / STATE_FILE).exists()


def test_stopped_server_cannot_be_reached(tmp_path: Path) -> None:
    make_data(tmp_path)
    port = free_port()  # nothing listens there
    with pytest.raises(StoreError, match="cannot reach .*connection refused"):
        push(tmp_path, store="oxigraph", url=f"http://127.0.0.1:{port}")
    with pytest.raises(StoreError, match="cannot reach SPARQL endpoint .*connection refused"):
        remote.select(f"http://127.0.0.1:{port}/query", "SELECT * WHERE { ?s ?p ?o }")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections but never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def test_timeouts_say_so(silent_port: int, tmp_path: Path) -> None:
    make_data(tmp_path)
    with pytest.raises(StoreError, match=r"did not answer within 0\.5 s.*bulk loader"):
        push(tmp_path, store="oxigraph", url=f"http://127.0.0.1:{silent_port}", timeout=0.5)
    with pytest.raises(StoreError, match=r"did not answer within 0\.5 s"):
        remote.ask(f"http://127.0.0.1:{silent_port}/query", "ASK {}", timeout=0.5)


def test_options_are_checked_before_anything_is_sent(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--user"):
        push(tmp_path, store="virtuoso", url="http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="no password"):
        push(tmp_path, store="virtuoso", url="http://127.0.0.1:1", user="dba")
    with pytest.raises(ConfigError) as failure:
        push(tmp_path, store="oxigraph", url="http://dba:hunter2@127.0.0.1:1")
    assert "hunter2" not in str(failure.value)
    with pytest.raises(ConfigError, match="replace or append"):
        push(tmp_path, store="oxigraph", url="http://127.0.0.1:1", mode="merge")
    with pytest.raises(InputError, match="kg build"):
        push(tmp_path, store="oxigraph", url="http://127.0.0.1:1")


def test_presets_know_each_products_endpoints() -> None:
    assert endpoints("fuseki", "http://h:3030/news").graph_store == "http://h:3030/news/data"
    graphdb = endpoints("graphdb", "http://h:7200/repositories/news")
    assert graphdb.update == "http://h:7200/repositories/news/statements"
    assert graphdb.graph_store == "http://h:7200/repositories/news/rdf-graphs/service"
    assert endpoints("virtuoso", "http://h:8890/").graph_param == "graph-uri"
    with pytest.raises(ConfigError, match="DATASET"):
        endpoints("fuseki", "http://h:3030")


def test_read_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KG_TEST_PASSWORD", "s3cret")
    assert read_password("KG_TEST_PASSWORD", user="dba") == "s3cret"
    assert read_password("KG_TEST_PASSWORD", user=None) is None
    monkeypatch.delenv("KG_TEST_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal: never prompt
    with pytest.raises(ConfigError, match="KG_TEST_PASSWORD is not set"):
        read_password("KG_TEST_PASSWORD", user="dba")


def test_batches_keep_blank_node_clusters_together() -> None:
    lines = [f'<http://e/s{i}> <http://e/p> "_:not{i}" .' for i in range(5)]
    lines += ["_:a <http://e/p> _:b .", '_:b <http://e/p> "x" .', "<http://e/s> <http://e/p> _:a ."]
    chunks = list(batches(lines, 3))
    assert sorted(line for chunk in chunks for line in chunk) == sorted(lines)
    assert all(len(chunk) <= 3 for chunk in chunks)
    assert any(
        {"_:a <http://e/p> _:b .", "<http://e/s> <http://e/p> _:a ."} <= set(c) for c in chunks
    )
    assert [
        len(c)
        for c in batches([f"<http://e/{i}> <http://e/p> <http://e/o> ." for i in range(2500)], 1000)
    ] == [1000, 1000, 500]


# ---------------------------------------------------------------- remote queries


def test_remote_queries_return_rdflib_terms(server: Server, tmp_path: Path) -> None:
    graphs = make_data(tmp_path)
    push_to(server, tmp_path)
    entity_graph = next(iri for iri in graphs if iri.endswith("/entities"))
    variables, rows = remote.select(
        server.query,
        f"SELECT ?e ?q ?n WHERE {{ GRAPH <{entity_graph}> {{ ?e <{KG.quantity}> ?q . "
        f"?q <{KG['count']}> ?n }} }}",
    )
    assert variables == ["e", "q", "n"]
    assert len(rows) == 1
    assert isinstance(rows[0]["e"], URIRef) and str(rows[0]["e"]).endswith("/kabul")
    assert isinstance(rows[0]["q"], BNode)
    assert rows[0]["n"] == Literal(200) and rows[0]["n"].datatype == XSD.integer
    assert remote.ask(server.query, f"ASK {{ GRAPH <{entity_graph}> {{ ?s ?p ?o }} }}") is True
    assert remote.ask(server.query, "ASK { GRAPH <urn:x-kg:none> { ?s ?p ?o } }") is False
    graph = remote.construct(
        server.query, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{entity_graph}> {{ ?s ?p ?o }} }}"
    )
    assert isomorphic(normalised(graph), normalised(graphs[entity_graph]))


def test_remote_reports_the_servers_syntax_error(server: Server) -> None:
    with pytest.raises(StoreError) as failure:
        remote.select(server.query, "SELECT ?s WHERE { ?s ?p }")
    message = str(failure.value)
    assert "HTTP 400" in message and server.query in message and "\n" not in message
    assert len(message) > len(
        f"SPARQL endpoint {server.query} rejected the query as malformed (HTTP 400)"
    )


# ---------------------------------------------------------------- the kg push command


def _kg(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `kg ARGS` in-process; return the exit code, stdout and stderr."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_push_command_reports_sent_skipped_and_verified(
    virtuoso: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    graphs = make_data(tmp_path)
    monkeypatch.setenv("KG_TEST_DBA_PASSWORD", virtuoso.password or "")
    command = ["push", "--data", str(tmp_path), "--store", "virtuoso", "--url", virtuoso.url,
               "--user", "dba", "--password-env", "KG_TEST_DBA_PASSWORD"]  # fmt: skip
    code, out, err = _kg(capsys, *command)
    assert code == 0, err
    assert f"3 graph(s) sent, 0 skipped as unchanged, 3 verified: {sum(map(len, graphs.values()))} triples" in out
    for iri, graph in graphs.items():
        assert f"{len(graph)} in store" in next(line for line in out.splitlines() if line.endswith(iri))
        assert_same(virtuoso, iri, graph)
    code, out, err = _kg(capsys, *command, "--quiet")
    assert code == 0 and out.strip().startswith("0 graph(s) sent, 3 skipped as unchanged, 3 verified")
    assert virtuoso.password not in out + err  # type: ignore[operator]


def test_push_command_wrong_password_loses_nothing(
    virtuoso: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    make_data(tmp_path)
    before = (tmp_path / "graph.trig").read_bytes()
    secret = "wrong-Secret-0815"
    monkeypatch.setenv("KG_TEST_DBA_PASSWORD", secret)
    code, out, err = _kg(capsys, "push", "--data", str(tmp_path), "--store", "virtuoso", "--url",
                         virtuoso.url, "--user", "dba", "--password-env", "KG_TEST_DBA_PASSWORD")  # fmt: skip
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("kg: authentication failed at virtuoso endpoint")
    assert "nothing was sent" in err and secret not in err
    assert (tmp_path / "graph.trig").read_bytes() == before
    assert not (tmp_path / STATE_FILE).exists()
    monkeypatch.delenv("KG_TEST_DBA_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal: no prompt, a clear error
    code, _, err = _kg(capsys, "push", "--data", str(tmp_path), "--store", "virtuoso", "--url",
                       virtuoso.url, "--user", "dba", "--password-env", "KG_TEST_DBA_PASSWORD")  # fmt: skip
    assert code == 2 and "environment variable KG_TEST_DBA_PASSWORD is not set" in err


def test_push_command_stopped_server_and_resume(
    oxigraph: Server, flaky_proxy: type[_FlakyProxy], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    graphs = make_data(tmp_path)
    before = (tmp_path / "graph.trig").read_bytes()
    port = free_port()  # a stopped server: nothing listens there
    code, out, err = _kg(capsys, "push", "--data", str(tmp_path), "--store", "oxigraph", "--url", f"http://127.0.0.1:{port}")
    assert code == 2 and out == ""
    assert f"cannot reach oxigraph endpoint http://127.0.0.1:{port}/store (connection refused)" in err
    assert (tmp_path / "graph.trig").read_bytes() == before and not (tmp_path / STATE_FILE).exists()
    # A store that fails part-way: exit 1, the graphs before the failure are reported and kept.
    order = sorted(graphs)
    flaky_proxy.fail_graph = order[1]
    command = ["push", "--data", str(tmp_path), "--store", "generic", "--query", oxigraph.query,
               "--graph-store", f"{flaky_proxy.address}/store"]  # type: ignore[attr-defined]  # fmt: skip
    code, out, err = _kg(capsys, *command)
    assert code == 1
    assert "HTTP 503" in err and "re-run the same push to resume" in err
    assert out.splitlines()[0].split()[0] == "sent" and out.splitlines()[0].endswith(order[0])
    code, out, err = _kg(capsys, *command)
    assert code == 0, err
    assert "2 graph(s) sent, 1 skipped as unchanged, 3 verified" in out
    for iri, graph in graphs.items():
        assert_same(oxigraph, iri, graph)


def test_push_command_prompts_for_the_password_on_a_terminal(virtuoso: Server, tmp_path: Path) -> None:
    make_data(tmp_path)
    master, slave = os.openpty()

    def take_terminal() -> None:  # make the pty the child's controlling terminal, as a shell does
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "push", "--data", str(tmp_path), "--store", "virtuoso",
         "--url", virtuoso.url, "--user", "dba", "--quiet"],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=take_terminal,  # noqa: PLW1509 - only a pre-exec hook can take a terminal
    )  # fmt: skip
    os.close(slave)
    try:
        prompt = b""
        while b"Password for dba:" not in prompt:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, f"no password prompt; saw {prompt!r}"
            prompt += os.read(master, 1024)
        os.write(master, f"{virtuoso.password}\n".encode())
        out, err = process.communicate(timeout=120)
        echoed = b""  # what the terminal showed after the prompt
        while select.select([master], [], [], 0.5)[0]:
            try:
                chunk = os.read(master, 1024)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            echoed += chunk
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err.decode()
    assert b"3 graph(s) sent" in out
    assert virtuoso.password.encode() not in echoed  # type: ignore[union-attr]  # getpass does not echo
