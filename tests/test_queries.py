"""Stored queries: locally (rdflib and pyoxigraph) and on real Virtuoso and Oxigraph stores.

The query graph is the seed build plus a small graph of events, post holdings
and claims built through the real code path (tests/querydata.py), whose answers
are known exactly. Both graphs are pushed
with `kg push` into stores that hold nothing else (their default graph is the
union of all graphs), and every stored query must answer the same there as on
the local files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib import XSD, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.plugins.sparql import prepareQuery

from kg import queries, rdf, remote
from kg.cli import main
from kg.errors import QueryError
from tests import servers
from tests.querydata import (
    BADGHIS_DARI,
    EV,
    KABUL,
    KG,
    MUJAHID,
    events_dataset,
    table,
    term_key,
    triples,
)
from tests.servers import Server, free_port

query_virtuoso = servers.query_virtuoso
query_oxigraph = servers.query_oxigraph

EVIL = 'Foo" } ; DROP ALL ; #'
CONTRACT = {
    "entities": ("entity", "label", "type", "wikidata"),
    "aliases": ("entity", "alias"),
    "office-holders": ("person", "person_label", "position_label", "jurisdiction_label", "article"),
    "capitals": ("city_label", "province_label"),
    "events": ("event", "type", "agent_label", "target_label", "place_label", "date", "quantity",
               "quantity_of", "article"),
}  # fmt: skip
EVENT_CLASSES = ("Attack", "Capture", "Recapture", "Airstrike", "Withdrawal", "Deployment",
                 "Ceasefire", "Negotiation", "Agreement", "PrisonBreak", "Surrender", "Arrest",
                 "Killing", "Defection")  # fmt: skip
CLAIM = "CLAIM"  # stands for the IRI of the Reuters prison-break report, found at run time
# Parameter values for every stored query: its defaults, then values that exercise each parameter.
CASES: dict[str, list[dict[str, str]]] = {
    "entities": [{}, {"kind": "Province"}],
    "aliases": [{}, {"of": f"<{KABUL}>"}],
    "office-holders": [{}, {"role": "GOVERNOR", "jurisdiction": BADGHIS_DARI}],
    "capitals": [{}, {"province": "badghis"}],
    "events": [{}, {"kind": "PrisonBreak", "place": "Qala-e-Naw"}],
    "conflicting-claims": [{}, {"of": "prisoners", "kind": "PrisonBreak"}],
    "capitals-attacked": [{}, {"province": "Badghis"}],
    "events-in-range": [{}, {"from": "2021-07-01", "to": "2021-07-07", "province": "Badghis"}],
    "place-timeline": [{"place": "Badghis"}, {"place": "Qala-e-Naw"}],
    "territory-control": [{}, {"as_of": "2021-07-07"}],
    "statements-by": [{"speaker": "Hisamudin Shams"}, {"speaker": "Taliban"}],
    "claim-sources": [{"claim": CLAIM}],
    "casualty-figures": [{}, {"of": "fatalities", "place": "kunduz"}],
    "unlinked-entities": [{}, {"kind": "Person"}],
    "co-actors": [{}, {"with": "taliban"}],
    "mentions": [{"entity": "Kabul"}],
    "entity-card": [{"entity": "Kabul"}],
}



@pytest.fixture(scope="module")
def query_dir(tmp_path_factory: pytest.TempPathFactory, seed_build: Any) -> Path:
    """A build folder whose graph.trig holds the seed build and the event graph."""
    folder = tmp_path_factory.mktemp("query-graph")
    seed = (seed_build.out / "graph.trig").read_text("utf-8")
    extra = events_dataset().serialize(format="trig")
    (folder / "graph.trig").write_text(f"{seed}\n{extra}", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def local(query_dir: Path) -> rdflib.Dataset:
    """The query graph loaded as kg loads it (default graph = union of the named graphs)."""
    return rdf.load(query_dir)


@pytest.fixture(scope="module")
def claim(local: rdflib.Dataset) -> str:
    """The IRI of the prison break as Reuters reported it."""
    rows = queries.run(queries.find("events"), data=local, given={"kind": "PrisonBreak"}).rows
    return next(str(r["event"]) for r in rows if str(r["article"]).endswith("a1a1a1a1a1a1a1a1"))


@pytest.fixture(scope="module")
def endpoints(query_dir: Path, query_virtuoso: Server, query_oxigraph: Server) -> Iterator[dict[str, str]]:
    """Push the query graph into both stores with `kg push`; yield their query endpoints."""
    os.environ["KG_TEST_QUERY_PASSWORD"] = query_virtuoso.password or ""
    try:
        for server in (query_virtuoso, query_oxigraph):
            command = ["push", "--data", str(query_dir), "--store", server.name, "--url", server.url]
            if server.user:
                command += ["--user", server.user, "--password-env", "KG_TEST_QUERY_PASSWORD"]
            assert main(command) == 0, f"kg push to {server.name} failed"
        yield {"virtuoso": query_virtuoso.query, "oxigraph": query_oxigraph.query}
    finally:
        del os.environ["KG_TEST_QUERY_PASSWORD"]


# ---------------------------------------------------------------- comparing results



def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `kg ARGS` in-process; return the exit code, stdout and stderr."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _args(name: str, given: dict[str, str], claim_iri: str) -> list[str]:
    args = [name]
    for key, value in given.items():
        args += ["--param", f"{key}={claim_iri if value == CLAIM else value}"]
    return args + ["--format", "ttl" if queries.find(name).form == "CONSTRUCT" else "json"]


_LOCAL: dict[str, str] = {}


def _case_ids() -> list[tuple[str, dict[str, str]]]:
    return [(name, given) for name, cases in CASES.items() for given in cases]


# ---------------------------------------------------------------- the stored queries


def test_every_stored_query_is_documented_and_parses() -> None:
    stored = queries.stored()
    assert len(stored) >= 12
    assert set(CASES) | {n for n, q in stored.items() if q.network} == set(stored), (
        "every stored query needs parameter cases in CASES"
    )
    for name, query in stored.items():
        queries.check_syntax(query)
        prepareQuery(query.text)
        assert query.title and query.title != name and len(query.description) > 30, name
        assert query.text.startswith("# title:"), name
        for param in query.params:
            assert f"?{param.name}" in query.text, f"{name}: parameter {param.name} is never used"
            assert param.description, name
        if query.form == "SELECT":
            projected = prepareQuery(query.text).algebra["PV"]
            assert tuple(str(v) for v in projected) == query.columns, name
    for name, columns in CONTRACT.items():
        assert stored[name].columns == columns
    assert stored["conflicting-claims"].columns[:6] == (
        "type", "place_label", "date", "quantity_of", "low", "low_qualifier")  # fmt: skip
    federated = [q for q in stored.values() if q.network]
    assert [q.name for q in federated] == ["province-enrichment"]
    assert "SERVICE <https://query.wikidata.org/sparql>" in federated[0].text
    assert {"P300", "P1082", "P2046"} <= set(federated[0].text.replace(":", " ").split())


def test_contract_queries_on_the_seed_build(seed_dataset: rdflib.Dataset) -> None:
    results = {name: queries.run(queries.find(name), data=seed_dataset) for name in CONTRACT}
    for name, result in results.items():
        assert tuple(result.variables) == CONTRACT[name], name
    entities = {(str(r["label"]), str(r["type"])) for r in results["entities"].rows}
    assert {("Badghis", "Province"), ("Taliban", "ArmedGroup"), ("Hessamuddin Shams", "Person")} <= entities
    # Events and holdings: the queries find exactly what the graph holds, counted without SPARQL.
    events = {
        s for c in EVENT_CLASSES for s in seed_dataset.subjects(rdflib.RDF.type, URIRef(KG + c))
    }
    assert {r["event"] for r in results["events"].rows} == events
    assert all(str(r["type"]) in EVENT_CLASSES for r in results["events"].rows)
    holders = {
        (seed_dataset.value(h, URIRef(KG + "holder")), seed_dataset.value(h, URIRef(KG + "statedIn")))
        for h in seed_dataset.subjects(rdflib.RDF.type, URIRef(KG + "PostHolding"))
    }
    assert {(r["person"], r["article"]) for r in results["office-holders"].rows} == holders
    capitals = {
        (str(seed_dataset.value(c, rdflib.RDFS.label)), str(seed_dataset.value(p, rdflib.RDFS.label)))
        for c, p in seed_dataset.subject_objects(URIRef(KG + "capitalOf"))
        if (p, rdflib.RDF.type, URIRef(KG + "Province")) in seed_dataset
    }
    assert {(str(r["city_label"]), str(r["province_label"])) for r in results["capitals"].rows} == capitals
    # The outlets that disagree in the seed articles (DESIGN.md): 200 against 400 prisoners.
    conflicts = queries.run(queries.find("conflicting-claims"), data=seed_dataset).rows
    assert ("PrisonBreak", "prisoners", 200, 400) in {
        (str(r["type"]), str(r["quantity_of"]), r["low"].toPython(), r["high"].toPython()) for r in conflicts
    }
    assert all(r["low"].toPython() < r["high"].toPython() and r["low_article"] != r["high_article"] for r in conflicts)


def _rows(local: rdflib.Dataset, name: str, **given: str) -> list[dict[str, str]]:
    """Run a query locally; keep the rows about the event graph (not the seed build's)."""
    result = queries.run(queries.find(name), data=local, given=given)
    rows = [{k: str(v) for k, v in row.items()} for row in result.rows]
    return [row for row in rows if any(v.startswith(EV) for v in row.values())]


def test_event_queries_answer_what_the_articles_say(local: rdflib.Dataset, claim: str) -> None:
    events = _rows(local, "events", kind="PrisonBreak", place="Qala-e-Naw")
    assert sorted((r["quantity"], r["quantity_of"], r["place_label"]) for r in events) == [
        ("200", "prisoners", "Qala i Naw"), ("400", "prisoners", "Qala i Naw")]  # fmt: skip
    typed = queries.run(queries.find("events"), data=local, given={"kind": "Attack"}).rows
    assert {r["date"].datatype for r in typed if str(r["event"]).startswith(EV)} == {XSD.gYearMonth}

    conflicts = _rows(local, "conflicting-claims")
    pairs = {(r["type"], r["quantity_of"], r["low"], r["low_outlet"], r["high"], r["high_outlet"]) for r in conflicts}
    assert pairs == {("PrisonBreak", "prisoners", "200", "Reuters", "400", "BBC"),
                     ("Attack", "fatalities", "30", "BBC", "45", "Reuters")}  # fmt: skip
    prison = next(r for r in conflicts if r["type"] == "PrisonBreak")
    assert prison["high_qualifier"] == "more than" and "low_qualifier" not in prison
    assert prison["date"] == "2021-07-07" and prison["place_label"] == "Qala i Naw"

    figures = {(r["type"], r["quantity_of"]): (r["low"], r["high"], r["sources"]) for r in _rows(local, "casualty-figures")}
    assert figures[("PrisonBreak", "prisoners")] == ("200", "400", "2")
    assert figures[("Attack", "fatalities")] == ("30", "45", "2")

    control = {r["place_label"]: (r["controller_label"], r["type"]) for r in _rows(local, "territory-control")}
    assert control["Qala i Naw"] == ("Afghan security forces", "Recapture")
    assert control["Dawlat Shah"] == ("Taliban", "Capture")
    earlier = {r["place_label"]: r["controller_label"] for r in _rows(local, "territory-control", as_of="2021-07-07")}
    assert earlier["Qala i Naw"] == "Taliban"

    attacked = {(r["city_label"], r["province_label"], r["type"], r.get("agent_label")) for r in _rows(local, "capitals-attacked")}
    assert ("Qala i Naw", "Badghis", "Capture", "Taliban") in attacked
    assert ("Qala i Naw", "Badghis", "Recapture", "Afghan security forces") in attacked
    capitals = queries.run(queries.find("capitals"), data=local, given={"province": BADGHIS_DARI}).rows
    assert {(str(r["city_label"]), str(r["province_label"])) for r in capitals} == {("Qala i Naw", "Badghis")}

    in_range = _rows(local, "events-in-range", **{"from": "2021-07-01", "to": "2021-07-07"}, province="Badghis")
    assert sorted(r["type"] for r in in_range) == ["Capture", "PrisonBreak", "PrisonBreak"]
    june = _rows(local, "events-in-range", **{"from": "2021-06-01", "to": "2021-06-30"})
    assert {(r["type"], r.get("province_label")) for r in june} >= {("Withdrawal", "Laghman"), ("Capture", "Laghman")}

    timeline = _rows(local, "place-timeline", place=BADGHIS_DARI)
    assert [r["type"] for r in timeline][:1] == ["Capture"] and len(timeline) == 4
    assert [r.get("date") for r in timeline] == sorted(r.get("date") for r in timeline)
    (said,) = _rows(local, "statements-by", speaker="hisamudin shams")
    assert (said["type"], said["status"], said["outlet_label"]) == ("PrisonBreak", "Claimed", "Reuters")
    assert said["sentence"].startswith("Badghis governor Hessamuddin Shams said")

    sources = _rows(local, "claim-sources", claim=claim)
    assert sorted(r["outlet_label"] for r in sources) == ["BBC", "Reuters"]
    assert {r["report"] for r in sources} >= {claim}

    together = {(r["actor_label"], r["other_label"]): r["events"] for r in _rows(local, "co-actors", **{"with": "Taliban"})}
    assert together == {("Taliban", "Afghan security forces"): "1"}


def test_holdings_links_and_scripts(local: rdflib.Dataset) -> None:
    holders = _rows(local, "office-holders", role="GOVERNOR", jurisdiction=BADGHIS_DARI)
    assert sorted((r["person_label"], r["position_label"]) for r in holders) == [
        ("Hessamuddin Shams", "Governor of Badghis")] * 2  # fmt: skip
    assert len({r["article"] for r in holders}) == 2
    spokesman = _rows(local, "office-holders", role="spokesman")
    assert [(r["person_label"], r["jurisdiction_label"]) for r in spokesman] == [(MUJAHID, "Taliban")]
    (said,) = _rows(local, "statements-by", speaker="Zabihullah Mujahid")
    assert said["speaker_label"] == MUJAHID and said["status"] == "Claimed"

    linked = {r["label"]: r.get("wikidata") for r in _rows(local, "entities", kind="City")}
    assert linked["Kabul"] == "http://www.wikidata.org/entity/Q5838"
    unlinked = {r["entity"] for r in _rows(local, "unlinked-entities")}
    assert KABUL not in unlinked and f"{EV}entity/person/zabihullah-mujahid" in unlinked
    entities = {str(s) for s in local.subjects(rdflib.RDFS.label, None) if str(s).startswith(f"{EV}entity/")}
    linked_now = {str(s) for s, o in local.subject_objects(SKOS.exactMatch) if "wikidata.org/entity/Q" in str(o)}
    assert unlinked == entities - linked_now
    anchors = {r["anchor"] for r in _rows(local, "mentions", entity="Kabul")}
    assert {"Kabul", "کابل"} <= anchors

    card = queries.run(queries.find("entity-card"), data=local, given={"entity": f"<{KABUL}>"}).graph
    assert card is not None
    assert (URIRef(KABUL), SKOS.altLabel, Literal("کابل", lang="ps-Arab")) in card
    assert queries.render_result(
        queries.run(queries.find("entity-card"), data=local, given={"entity": "کابل"}), "ttl"
    ).count("کابل") >= 2


# ---------------------------------------------------------------- binding parameters


def test_parameter_values_are_bound_not_pasted(local: rdflib.Dataset, endpoints: dict[str, str]) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    before = {store: remote.select(url, count)[1][0]["n"] for store, url in endpoints.items()}
    size = len(local)
    for name, param in (("events", "place"), ("entities", "kind"), ("mentions", "entity"),
                        ("statements-by", "speaker"), ("office-holders", "role")):  # fmt: skip
        query = queries.find(name)
        for value in (EVIL, 'a\\" . } \n DROP ALL ; #'):
            assert queries.run(query, data=local, given={param: value}).rows == []
            for url in endpoints.values():
                assert queries.run(query, endpoint=url, given={param: value}).rows == []
    assert {store: remote.select(url, count)[1][0]["n"] for store, url in endpoints.items()} == before
    assert len(local) == size
    text = queries.with_values(queries.find("events").text, {"place": Literal(EVIL)})
    assert 'VALUES (?place) { ("Foo\\" } ; DROP ALL ; #") }' in text
    prepareQuery(text)  # still one query: the value stayed one string literal
    # A label with a quote is matched exactly, locally and remotely.
    for target in ({"data": local}, *({"endpoint": url} for url in endpoints.values())):
        found = queries.run(queries.find("mentions"), given={"entity": "Qala-e-Naw"}, **target)  # type: ignore[arg-type]
        assert 'Taliban seize "Qala-e-Naw"' in {str(r["title"]) for r in found.rows}


def test_bad_iri_parameters_are_refused_everywhere(local: rdflib.Dataset, endpoints: dict[str, str]) -> None:
    query = queries.find("aliases")
    for target in ({"data": local}, {"endpoint": endpoints["oxigraph"]}):
        with pytest.raises(QueryError, match="not a valid IRI"):
            queries.run(query, given={"of": "<http://x/> } ; DROP ALL ; { <http://y/>"}, **target)  # type: ignore[arg-type]


def test_with_values_finds_the_where_group() -> None:
    bound = {"x": Literal(1)}
    construct = "# WHERE { in a comment\nCONSTRUCT { ?s ?p '}' } WHERE { ?s ?p ?o }"
    assert queries.with_values(construct, bound).endswith("WHERE { VALUES (?x) { (\"1\"^^<http://www.w3.org/2001/XMLSchema#integer>) }  ?s ?p ?o }")
    select = 'PREFIX ex: <http://e/where#>\nSELECT ?s (IF(?a < 2, "{", "}") AS ?b) { ?s ex:where ?a }'
    assert queries.with_values(select, bound).endswith("{ VALUES (?x) { (\"1\"^^<http://www.w3.org/2001/XMLSchema#integer>) }  ?s ex:where ?a }")
    assert queries.find("entity-card").form == "CONSTRUCT" and queries.find("events").form == "SELECT"
    with pytest.raises(QueryError, match="no WHERE group"):
        queries.with_values("DESCRIBE <http://e/x>", bound)


# ---------------------------------------------------------------- local and remote agree


@pytest.mark.parametrize("store", ["virtuoso", "oxigraph"])
@pytest.mark.parametrize(("name", "given"), _case_ids(), ids=lambda v: v if isinstance(v, str) else "-".join(v) or "defaults")
def test_stores_answer_like_the_local_files(
    store: str, name: str, given: dict[str, str], query_dir: Path, endpoints: dict[str, str],
    claim: str, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    args = _args(name, given, claim)
    key = repr(args)
    if key not in _LOCAL:
        code, out, err = cli(capsys, "query", *args, "--data", str(query_dir))
        assert code == 0, err
        _LOCAL[key] = out
    code, out, err = cli(capsys, "query", *args, "--endpoint", endpoints[store])
    assert code == 0, err
    if queries.find(name).form == "CONSTRUCT":
        expected, found = triples(_LOCAL[key]), triples(out)
    else:
        (local_vars, expected), (remote_vars, found) = table(_LOCAL[key]), table(out)
        assert remote_vars == local_vars == list(queries.find(name).columns)
    assert found == expected
    assert expected, f"{name} {given} found nothing: the case tests too little"


@pytest.mark.parametrize(("name", "given"), _case_ids(), ids=lambda v: v if isinstance(v, str) else "-".join(v) or "defaults")
def test_pyoxigraph_answers_like_rdflib(name: str, given: dict[str, str], query_dir: Path, local: rdflib.Dataset, claim: str) -> None:
    given = {k: claim if v == CLAIM else v for k, v in given.items()}
    query = queries.find(name)
    by_rdflib = queries.run(query, data=local, given=given, engine="rdflib")
    by_oxigraph = queries.run(query, data=query_dir, given=given, engine="pyoxigraph")
    if by_rdflib.graph is not None:
        assert by_oxigraph.graph is not None
        assert sorted(repr(tuple(map(term_key, t))) for t in by_oxigraph.graph) == sorted(
            repr(tuple(map(term_key, t))) for t in by_rdflib.graph)  # fmt: skip
        return
    assert by_oxigraph.variables == by_rdflib.variables

    def norm(rows: list[dict[str, rdflib.term.Node]]) -> list[str]:
        return sorted(repr(tuple(term_key(r[v]) if v in r else None for v in by_rdflib.variables)) for r in rows)

    assert norm(by_oxigraph.rows) == norm(by_rdflib.rows)


def test_large_graph_files_are_queried_with_pyoxigraph(seed_build: Any, tmp_path: Path) -> None:
    from benchmarks.query_engines import replicated
    from kg.engines import LARGE

    nquads = (seed_build.out / "graph.nq").read_text("utf-8")
    copies = LARGE // nquads.count("\n") + 1
    (tmp_path / "graph.nq").write_text(replicated(nquads, triples=copies * nquads.count("\n")), "utf-8")
    entities = queries.find("entities")
    small = queries.run(entities, data=seed_build.out)
    large = queries.run(entities, data=tmp_path / "graph.nq")
    assert (small.engine, large.engine) == ("rdflib", "pyoxigraph")
    assert len(large.rows) == copies * len(small.rows) and large.variables == small.variables
    assert queries.run(entities, data=rdf.load(seed_build.out)).engine == "rdflib"  # a Dataset stays


def test_scripts_tags_and_dates_survive_the_push(endpoints: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    for url in endpoints.values():
        code, out, err = cli(capsys, "query", "aliases", "--param", f"of=<{KABUL}>", "--endpoint", url, "--format", "json")
        assert code == 0, err
        aliases = {(b["alias"]["value"], b["alias"].get("xml:lang", "").lower())
                   for b in json.loads(out)["results"]["bindings"]}  # fmt: skip
        assert {("کابل", "ps-arab"), ("کابل", ""), ("Kabul", "en-gb"), ("Kabul", "")} <= aliases
        code, out, err = cli(capsys, "query", "entities", "--param", "kind=Person", "--endpoint", url, "--format", "json")
        assert MUJAHID in {b["label"]["value"] for b in json.loads(out)["results"]["bindings"]}
        code, out, err = cli(capsys, "query", "events", "--param", "place=Qala-e-Naw", "--endpoint", url, "--format", "json")
        ours = [b for b in json.loads(out)["results"]["bindings"] if b["event"]["value"].startswith(EV)]
        dates = {(b["date"]["value"], b["date"]["datatype"]) for b in ours}
        assert ("2021-07-07", str(XSD.date)) in dates and ("2021-07-08", str(XSD.date)) in dates
        code, out, err = cli(capsys, "query", "events", "--param", "kind=Attack", "--endpoint", url, "--format", "json")
        ours = [b for b in json.loads(out)["results"]["bindings"] if b["event"]["value"].startswith(EV)]
        assert {(b["date"]["value"], b["date"]["datatype"]) for b in ours} == {("2021-07", str(XSD.gYearMonth))}


# ---------------------------------------------------------------- the command line


def test_query_list_shows_titles_and_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "query", "--list")
    assert code == 0
    for name, query in queries.stored().items():
        assert f"{name:<22} {query.title}" in out
    assert "place (required)" in out and "as_of=(all)" in out
    assert "needs the network: https://query.wikidata.org/sparql" in out


def test_query_errors_are_clear_one_liners(query_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data", str(query_dir)]
    errors = []
    code, _, err = cli(capsys, "query", "evnts", *data)
    errors.append(err)
    assert code == 2 and "unknown query 'evnts'; did you mean events" in err
    code, _, err = cli(capsys, "query", "place-timeline", *data)
    errors.append(err)
    assert code == 2 and "needs --param place=VALUE" in err
    bad = tmp_path / "bad.rq"
    bad.write_text("# title: Broken\nPREFIX kg: <https://w3id.org/kg-news/ontology#>\nSELECT ?s WHERE {\n"
                   "  ?s kg:label ?o .\n  FILTER(?o = )\n}\n", encoding="utf-8")  # fmt: skip
    for target in (data, ["--endpoint", "http://127.0.0.1:1/sparql"]):
        code, _, err = cli(capsys, "query", str(bad), *target)
        errors.append(err)
    assert code == 2 and f"{bad}: SPARQL syntax error at line 5, column" in err
    port = free_port()  # nothing listens there: a stopped server
    code, _, err = cli(capsys, "query", "entities", "--endpoint", f"http://127.0.0.1:{port}/sparql")
    errors.append(err)
    assert code == 2 and f"cannot reach SPARQL endpoint http://127.0.0.1:{port}/sparql (connection refused)" in err
    code, _, err = cli(capsys, "query", "entities", "--format", "ttl", *data)
    errors.append(err)
    assert code == 2 and "use --format table, csv, tsv or json" in err
    code, _, err = cli(capsys, "query", "entity-card", "--param", "entity=Badghis", "--format", "csv", *data)
    errors.append(err)
    assert code == 2 and "use --format ttl" in err
    code, _, err = cli(capsys, "query", "entities", "--param", "kind=Person", "--data", str(tmp_path / "none"))
    errors.append(err)
    assert code == 2 and "no graph here" in err
    for err in errors:
        assert err.count("\n") == 1 and err.startswith("kg: ") and "Traceback" not in err


def test_construct_prints_turtle(query_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "query", "entity-card", "--param", f"entity=<{KABUL}>", "--data", str(query_dir))
    assert code == 0, err
    graph = rdflib.Graph().parse(data=out, format="turtle")
    assert (URIRef(KABUL), rdflib.RDFS.label, Literal("Kabul")) in graph
