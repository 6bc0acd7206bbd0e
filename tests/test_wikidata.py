"""Wikidata linking over real HTTP: an Oxigraph server loaded with the snapshot, a misbehaving
local server (slow, 500, 429) and a port where nothing listens; the embedded snapshot; the cache;
disambiguation; the graph and the CLI. Nothing is mocked."""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.plugins.sparql import prepareQuery

from kg.cli import main
from kg.config import Settings, user_agent
from kg.errors import ConfigError
from kg.keys import slug
from kg.model import Entity, Mention, Provenance
from kg.wikidata import (
    AMBIGUOUS, LINKED, NIL, UNLINKED, Cache, Endpoint, EndpointUnavailable, Linker, Snapshot, context_of, sparql,
)
from kg.wikidata.refresh import refresh_snapshot
from kg.wikidata.sources import bundled_snapshot
from kg.vocab import KG
from tests.conftest import ROOT, SEEDS
from tests.servers import free_port, start_oxigraph

WD = "http://www.wikidata.org/entity/"
INJECTION = 'Foo" } ; DROP ALL ; #'


def entity(kind: str, label: str, *aliases: str, gid: str | None = None, article: str = "a1") -> Entity:
    """Return a resolved entity with one mention in `article` (entities of one article are each other's context)."""
    mention = Mention(label, kind, Provenance(article, 0, len(label), label, "test"))
    return Entity(f"{kind.lower()}/{slug(label)}", kind, label, (label, *aliases), (mention,), gid)


# One article's worth of entities: strong identifiers, label matches, context, and names with no verified item.
ARTICLE = [
    entity("Country", "Afghanistan", gid="iso3166-1:AF"),
    entity("Country", "United States", "U.S.", gid="iso3166-1:US"),
    entity("Province", "Badghis", gid="iso3166-2:AF-BDG"),
    entity("City", "Kabul", gid="geonames:1138958"),
    entity("City", "Qala-e-Naw", "Qala i Naw", gid="geonames:1129867"),  # GeoNames id not in the snapshot
    entity("City", "Washington"),
    entity("InternationalOrganization", "NATO"),
    entity("ArmedGroup", "Al Qaeda", "Al-Qaeda"),
    entity("Person", "Joe Biden", "Biden"),
    entity("Person", "Ashraf Ghani", "Ghani"),
    entity("ArmedGroup", "Taliban"),
]
EXPECTED = {"Afghanistan": "Q889", "United States": "Q30", "Badghis": "Q172052", "Kabul": "Q5838",
            "Qala-e-Naw": "Q26396", "Washington": "Q61", "NATO": "Q7184", "Al Qaeda": "Q34490", "Joe Biden": "Q6279",
            "Ashraf Ghani": None, "Taliban": None}


def decisions(report) -> dict[str, tuple]:  # noqa: ANN001 - a LinkReport
    return {link.label: (link.status, link.qid, link.score, link.method) for link in report.links}


def qids(report) -> dict[str, str | None]:  # noqa: ANN001 - a LinkReport
    return {link.label: link.qid for link in report.links}


# --------------------------------------------------------------------------- servers

@pytest.fixture(scope="module")
def wdqs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Oxigraph server holding the bundled snapshot: a local stand-in for the Wikidata Query Service."""
    server = start_oxigraph(tmp_path_factory.mktemp("wdqs"))
    try:
        request = urllib.request.Request(f"{server.url}/store?default", data=bundled_snapshot().read_bytes(),
                                         method="PUT", headers={"Content-Type": "text/turtle"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status in (200, 201, 204)
        yield server.query
    finally:
        server.stop()


class Local(ThreadingHTTPServer):
    """A local SPARQL endpoint that misbehaves on purpose, counting what it receives."""

    daemon_threads = True

    def __init__(self, mode: str, *, retry_after: str = "1", delay: float = 3.0, upstream: str = "") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode, self.retry_after, self.delay, self.upstream = mode, retry_after, delay, upstream
        self.agents: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}/sparql"

    @property
    def requests(self) -> int:
        return len(self.agents)


class _Handler(BaseHTTPRequestHandler):
    server: Local

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.agents.append(self.headers.get("User-Agent", ""))
        mode = self.server.mode
        if mode == "slow":
            time.sleep(self.server.delay)
            return self._answer(200, b"{}")
        if mode == "500":
            return self._answer(500, b"java.util.concurrent.TimeoutException")
        if mode == "429":
            return self._answer(429, b"Too Many Requests", {"Retry-After": self.server.retry_after})
        forward = urllib.request.Request(self.server.upstream, data=body, method="POST", headers={
            "Content-Type": self.headers["Content-Type"], "Accept": self.headers.get("Accept", "*/*")})
        with urllib.request.urlopen(forward, timeout=30) as response:
            self._answer(response.status, response.read(), {"Content-Type": response.headers["Content-Type"]})

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout test)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local() -> Iterator:
    servers: list[Local] = []

    def start(mode: str, **options: object) -> Local:
        server = Local(mode, **options)  # type: ignore[arg-type]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def endpoint(url: str, **options: object) -> Endpoint:
    defaults: dict = {"timeout": 1.0, "attempts": 3, "backoff": 0.01, "cache": None}
    return Endpoint(url, **{**defaults, **options})


# --------------------------------------------------------------------------- the same queries, live and offline

def test_snapshot_links_the_verified_entities_and_leaves_the_rest_nil():
    report = Linker(Snapshot()).link(ARTICLE, context_of(ARTICLE))
    assert qids(report) == EXPECTED
    got = decisions(report)
    assert got["Kabul"] == (LINKED, "Q5838", 1.0, "geonames")  # strong identifier first
    assert got["Badghis"] == (LINKED, "Q172052", 1.0, "iso3166-2")
    assert got["Afghanistan"] == (LINKED, "Q889", 1.0, "iso3166-1")
    assert got["Qala-e-Naw"][3] == "label-context"  # P131 Badghis is in the article
    assert got["Taliban"][0] == NIL and got["Ashraf Ghani"][0] == NIL
    linked = {e.label: (e.wikidata, e.link_score, e.link_method) for e in report.entities if e.wikidata}
    assert linked["Kabul"] == ("Q5838", 1.0, "geonames") and "Taliban" not in linked


class Recorder:
    """A source that remembers the text of every query it answers."""

    def __init__(self, inner) -> None:  # noqa: ANN001 - a Source
        self.inner, self.name, self.queries = inner, inner.name, []

    def select(self, query: str):  # noqa: ANN201
        self.queries.append(query)
        return self.inner.select(query)


def test_the_endpoint_and_both_embedded_engines_get_the_same_text_and_agree(wdqs):
    live, ox, rd = Recorder(endpoint(wdqs)), Recorder(Snapshot(engine="oxigraph")), Recorder(Snapshot(engine="rdflib"))
    results = [decisions(Linker(source).link(ARTICLE, context_of(ARTICLE))) for source in (live, ox, rd)]
    assert results[0] == results[1] == results[2]
    assert live.queries == ox.queries == rd.queries and len(live.queries) >= 4
    for query in live.queries:
        prepareQuery(query)  # plain SPARQL 1.1 that rdflib, Oxigraph and the WDQS all parse


def test_labels_reach_queries_only_as_escaped_literals(wdqs):
    for label in (INJECTION, 'a\\" } INSERT DATA { <x:a> <x:b> <x:c> } #', "line\nbreak"):
        query = sparql.labels([sparql.name(label)])
        values = re.search(r"VALUES \(\?name\) \{\n    \((.*)\)\n  \}", query).group(1)
        assert values == sparql.name(label).n3()
        parsed = prepareQuery(query)  # one literal: the algebra holds it unchanged
        assert repr(sparql.name(label)) in str(parsed.algebra)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = endpoint(wdqs).select(count)[0]["n"]
    hostile = [entity("Person", INJECTION + " Smith"), entity("ArmedGroup", INJECTION)]
    for source in (endpoint(wdqs), Snapshot()):
        report = Linker(source).link(hostile, context_of(hostile))
        assert [link.status for link in report.links] == [NIL, NIL] and not report.warnings
    assert endpoint(wdqs).select(count)[0]["n"] == before == Literal(len(Snapshot(engine="rdflib")._store()))


def test_a_second_run_sends_no_request(local, wdqs, tmp_path):
    proxy = local("proxy", upstream=wdqs)
    first = Linker(endpoint(proxy.url, cache=Cache(tmp_path))).link(ARTICLE, context_of(ARTICLE))
    sent = proxy.requests
    assert sent >= 4 and qids(first) == EXPECTED
    again = Endpoint(proxy.url, cache=Cache(tmp_path))
    second = Linker(again).link(ARTICLE, context_of(ARTICLE))
    assert proxy.requests == sent and again.requests == 0
    assert decisions(second) == decisions(first)
    assert all(agent == user_agent() for agent in proxy.agents)
    assert re.match(r"kg/\S+ \(.*https?://", user_agent()) and "Mozilla" not in user_agent()
    stale = Endpoint(proxy.url, cache=Cache(tmp_path, max_age=0))
    Linker(stale).link(ARTICLE[:1])
    assert stale.requests >= 1 and proxy.requests == sent + stale.requests


# --------------------------------------------------------------------------- faults: clear message, bounded tries

def _unlinked(source: Endpoint) -> str:
    report = Linker(source).link(ARTICLE, context_of(ARTICLE))
    assert {link.status for link in report.links} == {UNLINKED}
    assert not any(e.wikidata for e in report.entities)
    assert len(report.warnings) == 1 and source.url in report.warnings[0]
    return report.warnings[0]


def test_a_server_that_does_not_answer_times_out_once(local):
    server = local("slow", delay=3.0)
    started = time.perf_counter()
    message = _unlinked(endpoint(server.url, timeout=0.5))
    assert "did not answer within 0.5 s" in message and "--offline" in message
    assert server.requests == 1 and time.perf_counter() - started < 2.5


def test_server_errors_are_retried_a_bounded_number_of_times(local):
    server = local("500")
    waits: list[float] = []
    message = _unlinked(endpoint(server.url, attempts=3, backoff=0.2, sleep=waits.append))
    assert "server error (HTTP 500) on 3 attempts" in message
    assert server.requests == 3 and waits == [0.2, 0.4]


def test_rate_limits_honour_retry_after_and_give_up_when_it_is_too_long(local):
    server = local("429", retry_after="2")
    waits: list[float] = []
    message = _unlinked(endpoint(server.url, attempts=3, sleep=waits.append))
    assert "rate-limiting (HTTP 429) on 3 attempts" in message
    assert server.requests == 3 and waits == [2.0, 2.0]
    patient = local("429", retry_after="120")
    message = _unlinked(endpoint(patient.url, attempts=3, max_wait=30, sleep=waits.append))
    assert "asked to wait 120 s, more than the 30 s" in message and patient.requests == 1


def test_an_endpoint_that_is_down_falls_back_to_the_snapshot_with_a_warning():
    url = f"http://127.0.0.1:{free_port()}/sparql"
    message = _unlinked(endpoint(url))
    assert "cannot reach SPARQL endpoint" in message and "connection refused" in message
    report = Linker(endpoint(url), fallback=Snapshot()).link(ARTICLE, context_of(ARTICLE))
    assert qids(report) == EXPECTED and "linking from the snapshot" in report.warnings[0]
    assert report.source.startswith("snapshot ")


def test_the_build_completes_with_entities_unlinked_and_reported(tmp_path):
    from kg.pipeline import build

    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("Taliban fighters attacked Kabul, the capital of Afghanistan, officials said.",
                                  encoding="utf-8")
    down = f"http://127.0.0.1:{free_port()}/sparql"
    reports = []
    settings = Settings(offline=False, wikidata_endpoint=down, wikidata_fallback=False, cache_dir=tmp_path / "c")
    result = build(inputs=[source], out=tmp_path / "out", settings=settings, on_link=reports.append)
    assert result.triples > 0 and len(reports) == 1
    assert reports[0].count(UNLINKED) >= 2 and "cannot reach SPARQL endpoint" in reports[0].warnings[0]
    assert not list(Graph().parse(tmp_path / "out" / "graph.ttl").triples((None, SKOS.exactMatch, None)))
    reports.clear()
    build(inputs=[source], out=tmp_path / "out2", settings=Settings(offline=False, wikidata_endpoint=down),
          on_link=reports.append)
    assert "linking from the snapshot" in reports[0].warnings[0]
    linked = Graph().parse(tmp_path / "out2" / "graph.ttl")
    assert URIRef(WD + "Q5838") in set(linked.objects(None, SKOS.exactMatch))


def test_settings_refuse_a_bad_endpoint():
    with pytest.raises(ConfigError, match="not an http"):
        Settings(wikidata_endpoint="query.wikidata.org/sparql")
    with pytest.raises(ConfigError, match="timeout"):
        Settings(link_timeout=0)


def test_context_keeps_co_mention_per_article_not_per_pair():
    """A big corpus: one entity in every article must not make the context grow with the square of it."""
    articles = [f"a{n}" for n in range(300)]
    country = Entity("country/x", "Country", "X", ("X",), tuple(
        Mention("X", "Country", Provenance(a, 0, 1, "", "test")) for a in articles), "iso3166-1:XX")
    towns = [entity("City", f"Town {n}", article=a) for n, a in enumerate(articles)]
    context = context_of([country, *towns])
    stored = sum(map(len, context.articles.values())) + sum(map(len, context.mentioned.values()))
    assert stored == 2 * (len(articles) + len(towns))  # each mention once per side: linear in the corpus
    near = context.near({"country/x": "Q1", towns[0].key: "Q2"})
    assert near(towns[5].key) == {"Q1"}  # the country named in its article
    assert near(towns[0].key) == {"Q1"}  # never itself
    assert near("country/x") == {"Q2"}
    assert near("city/unknown") == set()


# --------------------------------------------------------------------------- disambiguation: no wrong link

def test_people_with_similar_names_do_not_get_the_wrong_link():
    people = [entity("Person", "Joe Biden", "Biden"), entity("Person", "Jill Biden", "Biden"),
              entity("Person", "Hunter Biden", "Biden"), entity("Person", "Hamza bin Laden", "bin Laden"),
              entity("Person", "Biden"), entity("Person", "Osama bin Laden")]
    assert qids(Linker(Snapshot()).link(people, context_of(people))) == {
        "Joe Biden": "Q6279", "Jill Biden": None, "Hunter Biden": None, "Hamza bin Laden": None, "Biden": None,
        "Osama bin Laden": "Q1317"}


def test_a_name_shared_by_a_city_and_a_province_links_by_type_or_stays_ambiguous():
    places = [entity("City", "Kunduz", article="c"), entity("Province", "Kunduz", article="p"),
              entity("District", "Kunduz", article="d"), entity("Place", "Herat", article="x")]
    report = Linker(Snapshot()).link(places, context_of(places))
    got = {(link.type, link.label): link for link in report.links}
    assert got[("City", "Kunduz")].qid == "Q108155"  # the province item is not a city
    assert got[("Province", "Kunduz")].qid == "Q186418"  # P31 province of Afghanistan
    assert got[("District", "Kunduz")].status == NIL  # neither item is known to be a district
    herat = got[("Place", "Herat")]
    assert herat.status == AMBIGUOUS and {c.qid for c in herat.candidates} == {"Q45313", "Q182844"}


def test_a_strong_identifier_beats_a_name_and_a_missing_one_falls_back_to_the_name():
    places = [entity("City", "Herat", gid="geonames:1140026"), entity("City", "Kunduz", gid="geonames:0")]
    got = decisions(Linker(Snapshot()).link(places))
    assert got["Herat"] == (LINKED, "Q45313", 1.0, "geonames")
    assert got["Kunduz"][:2] == (LINKED, "Q108155") and got["Kunduz"][3] == "label"


# --------------------------------------------------------------------------- refresh and the graph

def test_refresh_writes_a_snapshot_that_links_the_same(wdqs, tmp_path):
    out = tmp_path / "snap" / "wikidata.ttl"
    result = refresh_snapshot(ARTICLE, endpoint=endpoint(wdqs), out=out, context=context_of(ARTICLE))
    assert result.path == out and result.items >= 9 and result.triples > 50
    text = out.read_text("utf-8")
    assert text.startswith("# Wikidata snapshot written by `kg wikidata refresh`") and wdqs in text
    assert not list(out.parent.glob(".*.tmp"))
    fresh = Linker(Snapshot(out)).link(ARTICLE, context_of(ARTICLE))
    assert decisions(fresh) == decisions(Linker(Snapshot()).link(ARTICLE, context_of(ARTICLE)))
    with pytest.raises(EndpointUnavailable, match="needs the live endpoint, but cannot reach"):
        refresh_snapshot(ARTICLE, endpoint=endpoint(f"http://127.0.0.1:{free_port()}/q"), out=tmp_path / "x.ttl")
    assert not (tmp_path / "x.ttl").exists()


def test_links_are_exact_matches_with_a_scored_resolution(seed_dataset):
    kabul = URIRef("https://w3id.org/kg-news/data/entity/city/kabul")
    assert set(seed_dataset.objects(kabul, SKOS.exactMatch)) == {URIRef(WD + "Q5838")}
    nodes = [n for n in seed_dataset.objects(kabul, KG.resolution) if seed_dataset.value(n, KG.linkTarget)]
    assert len(nodes) == 1 and (nodes[0], RDF.type, KG.Resolution) in seed_dataset
    assert str(seed_dataset.value(nodes[0], KG.method)) == "geonames"
    assert float(seed_dataset.value(nodes[0], KG.score)) == 1.0
    taliban = URIRef("https://w3id.org/kg-news/data/entity/armedgroup/taliban")
    assert not list(seed_dataset.objects(taliban, SKOS.exactMatch))
    owl_same_as = URIRef("http://www.w3.org/2002/07/owl#sameAs")
    assert not list(seed_dataset.triples((None, owl_same_as, None)))


def test_link_precision_and_recall_on_the_seed_gold(capsys):
    assert main(["link", str(SEEDS), "--offline", "--gold", str(ROOT / "tests" / "gold" / "wikidata.json")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^linked\s+City\s+Kabul\s+Q5838\s+1\.00\s+geonames", out, re.M)
    found = re.search(r"link precision ([0-9.]+) .* recall ([0-9.]+)", out)
    assert float(found.group(1)) >= 0.97 and float(found.group(2)) >= 0.90, out


def test_cli_refresh_writes_a_snapshot_that_link_uses(capsys, tmp_path, monkeypatch, wdqs):
    monkeypatch.setenv("KG_CACHE", str(tmp_path / "cache"))
    snapshot = tmp_path / "s.ttl"
    assert main(["wikidata", "refresh", "--offline", "--out", str(snapshot)]) == 2
    assert "needs the live endpoint and cannot run --offline" in capsys.readouterr().err
    article = tmp_path / "a.txt"
    article.write_text("NATO and Joe Biden spoke about Kabul on Monday.", encoding="utf-8")
    assert main(["wikidata", "refresh", str(article), "--endpoint", wdqs, "--out", str(snapshot)]) == 0
    assert f"wrote {snapshot}" in capsys.readouterr().out and snapshot.is_file()
    assert main(["link", str(article), "--snapshot", str(snapshot), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == f"snapshot {snapshot}" and not data["warnings"]
    assert {"Kabul": "Q5838", "NATO": "Q7184", "Joe Biden": "Q6279"}.items() <= {
        link["label"]: link["qid"] for link in data["links"]}.items()
