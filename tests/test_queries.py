"""Stored queries: their headers, their answers, parameter binding and `kg query` itself.

The query graph is the seed build plus a small graph of events, post holdings
and claims built through the real code path (tests/querydata.py), whose answers
are known exactly. tests/test_query_stores.py runs the same queries on real stores.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib import XSD, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.plugins.sparql import prepareQuery

from kg import queries, remote
from kg.errors import QueryError
from tests import querydata, servers
from tests.querydata import (
    BADGHIS_DARI,
    CASES,
    EV,
    EVENT_CLASSES,
    KABUL,
    KG,
    MUJAHID,
    cli,
)
from tests.servers import free_port

# Session fixtures: the query graph, and the stores it is pushed to.
claim, endpoints, local, query_dir = (querydata.claim, querydata.endpoints, querydata.local,
                                      querydata.query_dir)  # fmt: skip
query_oxigraph, query_virtuoso = servers.query_oxigraph, servers.query_virtuoso


EVIL = 'Foo" } ; DROP ALL ; #'
CONTRACT = {
    "entities": ("entity", "label", "type", "wikidata"),
    "aliases": ("entity", "alias"),
    "office-holders": ("person", "person_label", "position_label", "jurisdiction_label", "article"),
    "capitals": ("city_label", "province_label"),
    "events": ("event", "type", "agent_label", "target_label", "place_label", "date", "quantity",
               "quantity_of", "article"),
}  # fmt: skip


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
    assert {
        ("Badghis", "Province"),
        ("Taliban", "ArmedGroup"),
        ("Hessamuddin Shams", "Person"),
    } <= entities
    # Events and holdings: the queries find exactly what the graph holds, counted without SPARQL.
    events = {
        s for c in EVENT_CLASSES for s in seed_dataset.subjects(rdflib.RDF.type, URIRef(KG + c))
    }
    assert {r["event"] for r in results["events"].rows} == events
    assert all(str(r["type"]) in EVENT_CLASSES for r in results["events"].rows)
    holders = {
        (
            seed_dataset.value(h, URIRef(KG + "holder")),
            seed_dataset.value(h, URIRef(KG + "statedIn")),
        )
        for h in seed_dataset.subjects(rdflib.RDF.type, URIRef(KG + "PostHolding"))
    }
    assert {(r["person"], r["article"]) for r in results["office-holders"].rows} == holders
    capitals = {
        (
            str(seed_dataset.value(c, rdflib.RDFS.label)),
            str(seed_dataset.value(p, rdflib.RDFS.label)),
        )
        for c, p in seed_dataset.subject_objects(URIRef(KG + "capitalOf"))
        if (p, rdflib.RDF.type, URIRef(KG + "Province")) in seed_dataset
    }
    assert {
        (str(r["city_label"]), str(r["province_label"])) for r in results["capitals"].rows
    } == capitals
    # The outlets that disagree in the seed articles (DESIGN.md): 200 against 400 prisoners.
    conflicts = queries.run(queries.find("conflicting-claims"), data=seed_dataset).rows
    assert ("PrisonBreak", "prisoners", 200, 400) in {
        (str(r["type"]), str(r["quantity_of"]), r["low"].toPython(), r["high"].toPython())
        for r in conflicts
    }
    assert all(
        r["low"].toPython() < r["high"].toPython() and r["low_article"] != r["high_article"]
        for r in conflicts
    )


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
    pairs = {
        (r["type"], r["quantity_of"], r["low"], r["low_outlet"], r["high"], r["high_outlet"])
        for r in conflicts
    }
    assert pairs == {("PrisonBreak", "prisoners", "200", "Reuters", "400", "BBC"),
                     ("Attack", "fatalities", "30", "BBC", "45", "Reuters")}  # fmt: skip
    prison = next(r for r in conflicts if r["type"] == "PrisonBreak")
    assert prison["high_qualifier"] == "more than" and "low_qualifier" not in prison
    assert prison["date"] == "2021-07-07" and prison["place_label"] == "Qala i Naw"

    figures = {
        (r["type"], r["quantity_of"]): (r["low"], r["high"], r["sources"])
        for r in _rows(local, "casualty-figures")
    }
    assert figures[("PrisonBreak", "prisoners")] == ("200", "400", "2")
    assert figures[("Attack", "fatalities")] == ("30", "45", "2")

    control = {
        r["place_label"]: (r["controller_label"], r["type"])
        for r in _rows(local, "territory-control")
    }
    assert control["Qala i Naw"] == ("Afghan security forces", "Recapture")
    assert control["Dawlat Shah"] == ("Taliban", "Capture")
    earlier = {
        r["place_label"]: r["controller_label"]
        for r in _rows(local, "territory-control", as_of="2021-07-07")
    }
    assert earlier["Qala i Naw"] == "Taliban"

    attacked = {
        (r["city_label"], r["province_label"], r["type"], r.get("agent_label"))
        for r in _rows(local, "capitals-attacked")
    }
    assert ("Qala i Naw", "Badghis", "Capture", "Taliban") in attacked
    assert ("Qala i Naw", "Badghis", "Recapture", "Afghan security forces") in attacked
    capitals = queries.run(
        queries.find("capitals"), data=local, given={"province": BADGHIS_DARI}
    ).rows
    assert {(str(r["city_label"]), str(r["province_label"])) for r in capitals} == {
        ("Qala i Naw", "Badghis")
    }

    in_range = _rows(
        local, "events-in-range", **{"from": "2021-07-01", "to": "2021-07-07"}, province="Badghis"
    )
    assert sorted(r["type"] for r in in_range) == ["Capture", "PrisonBreak", "PrisonBreak"]
    june = _rows(local, "events-in-range", **{"from": "2021-06-01", "to": "2021-06-30"})
    assert {(r["type"], r.get("province_label")) for r in june} >= {
        ("Withdrawal", "Laghman"),
        ("Capture", "Laghman"),
    }

    timeline = _rows(local, "place-timeline", place=BADGHIS_DARI)
    assert [r["type"] for r in timeline][:1] == ["Capture"] and len(timeline) == 4
    assert [r.get("date") for r in timeline] == sorted(r.get("date") for r in timeline)
    (said,) = _rows(local, "statements-by", speaker="hisamudin shams")
    assert (said["type"], said["status"], said["outlet_label"]) == (
        "PrisonBreak",
        "Claimed",
        "Reuters",
    )
    assert said["sentence"].startswith("Badghis governor Hessamuddin Shams said")

    sources = _rows(local, "claim-sources", claim=claim)
    assert sorted(r["outlet_label"] for r in sources) == ["BBC", "Reuters"]
    assert {r["report"] for r in sources} >= {claim}

    together = {
        (r["actor_label"], r["other_label"]): r["events"]
        for r in _rows(local, "co-actors", **{"with": "Taliban"})
    }
    assert together == {("Taliban", "Afghan security forces"): "1"}


def test_holdings_links_and_scripts(local: rdflib.Dataset) -> None:
    holders = _rows(local, "office-holders", role="GOVERNOR", jurisdiction=BADGHIS_DARI)
    assert sorted((r["person_label"], r["position_label"]) for r in holders) == [
        ("Hessamuddin Shams", "Governor of Badghis")] * 2  # fmt: skip
    assert len({r["article"] for r in holders}) == 2
    spokesman = _rows(local, "office-holders", role="spokesman")
    assert [(r["person_label"], r["jurisdiction_label"]) for r in spokesman] == [
        (MUJAHID, "Taliban")
    ]
    (said,) = _rows(local, "statements-by", speaker="Zabihullah Mujahid")
    assert said["speaker_label"] == MUJAHID and said["status"] == "Claimed"

    linked = {r["label"]: r.get("wikidata") for r in _rows(local, "entities", kind="City")}
    assert linked["Kabul"] == "http://www.wikidata.org/entity/Q5838"
    unlinked = {r["entity"] for r in _rows(local, "unlinked-entities")}
    assert KABUL not in unlinked and f"{EV}entity/person/zabihullah-mujahid" in unlinked
    entities = {
        str(s) for s in local.subjects(rdflib.RDFS.label, None) if str(s).startswith(f"{EV}entity/")
    }
    linked_now = {
        str(s)
        for s, o in local.subject_objects(SKOS.exactMatch)
        if "wikidata.org/entity/Q" in str(o)
    }
    assert unlinked == entities - linked_now
    anchors = {r["anchor"] for r in _rows(local, "mentions", entity="Kabul")}
    assert {"Kabul", "کابل"} <= anchors

    card = queries.run(
        queries.find("entity-card"), data=local, given={"entity": f"<{KABUL}>"}
    ).graph
    assert card is not None
    assert (URIRef(KABUL), SKOS.altLabel, Literal("کابل", lang="ps-Arab")) in card
    assert (
        queries.render_result(
            queries.run(queries.find("entity-card"), data=local, given={"entity": "کابل"}), "ttl"
        ).count("کابل")
        >= 2
    )


# ---------------------------------------------------------------- binding parameters


def test_parameter_values_are_bound_not_pasted(
    local: rdflib.Dataset, endpoints: dict[str, str]
) -> None:
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
    assert {
        store: remote.select(url, count)[1][0]["n"] for store, url in endpoints.items()
    } == before
    assert len(local) == size
    text = queries.with_values(queries.find("events").text, {"place": Literal(EVIL)})
    assert 'VALUES (?place) { ("Foo\\" } ; DROP ALL ; #") }' in text
    prepareQuery(text)  # still one query: the value stayed one string literal
    # A label with a quote is matched exactly, locally and remotely.
    for target in ({"data": local}, *({"endpoint": url} for url in endpoints.values())):
        found = queries.run(queries.find("mentions"), given={"entity": "Qala-e-Naw"}, **target)  # type: ignore[arg-type]
        assert 'Taliban seize "Qala-e-Naw"' in {str(r["title"]) for r in found.rows}


def test_bad_iri_parameters_are_refused_everywhere(
    local: rdflib.Dataset, endpoints: dict[str, str]
) -> None:
    query = queries.find("aliases")
    for target in ({"data": local}, {"endpoint": endpoints["oxigraph"]}):
        with pytest.raises(QueryError, match="not a valid IRI"):
            queries.run(query, given={"of": "<http://x/> } ; DROP ALL ; { <http://y/>"}, **target)  # type: ignore[arg-type]


def test_with_values_finds_the_where_group() -> None:
    bound = {"x": Literal(1)}
    construct = "# WHERE { in a comment\nCONSTRUCT { ?s ?p '}' } WHERE { ?s ?p ?o }"
    assert queries.with_values(construct, bound).endswith(
        'WHERE { VALUES (?x) { ("1"^^<http://www.w3.org/2001/XMLSchema#integer>) }  ?s ?p ?o }'
    )
    select = (
        'PREFIX ex: <http://e/where#>\nSELECT ?s (IF(?a < 2, "{", "}") AS ?b) { ?s ex:where ?a }'
    )
    assert queries.with_values(select, bound).endswith(
        '{ VALUES (?x) { ("1"^^<http://www.w3.org/2001/XMLSchema#integer>) }  ?s ex:where ?a }'
    )
    assert (
        queries.find("entity-card").form == "CONSTRUCT" and queries.find("events").form == "SELECT"
    )
    with pytest.raises(QueryError, match="no WHERE group"):
        queries.with_values("DESCRIBE <http://e/x>", bound)


# ---------------------------------------------------------------- the command line


def test_query_list_shows_titles_and_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "query", "--list")
    assert code == 0
    for name, query in queries.stored().items():
        assert f"{name:<22} {query.title}" in out
    assert "place (required)" in out and "as_of=(all)" in out
    assert "needs the network: https://query.wikidata.org/sparql" in out


def test_query_errors_are_clear_one_liners(
    query_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
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
    assert (
        code == 2
        and f"cannot reach SPARQL endpoint http://127.0.0.1:{port}/sparql (connection refused)"
        in err
    )
    code, _, err = cli(capsys, "query", "entities", "--format", "ttl", *data)
    errors.append(err)
    assert code == 2 and "use --format table, csv, tsv or json" in err
    code, _, err = cli(
        capsys, "query", "entity-card", "--param", "entity=Badghis", "--format", "csv", *data
    )
    errors.append(err)
    assert code == 2 and "use --format ttl" in err
    code, _, err = cli(
        capsys, "query", "entities", "--param", "kind=Person", "--data", str(tmp_path / "none")
    )
    errors.append(err)
    assert code == 2 and "no graph here" in err
    for err in errors:
        assert err.count("\n") == 1 and err.startswith("kg: ") and "Traceback" not in err


def test_construct_prints_turtle(query_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(
        capsys, "query", "entity-card", "--param", f"entity=<{KABUL}>", "--data", str(query_dir)
    )
    assert code == 0, err
    graph = rdflib.Graph().parse(data=out, format="turtle")
    assert (URIRef(KABUL), rdflib.RDFS.label, Literal("Kabul")) in graph


def test_conflicting_tolls_of_one_nights_strikes_from_two_outlets(tmp_path: Path) -> None:
    """t02 ("on Monday night", at least 54 fighters) and t03 ("overnight", reported on Tuesday, at
    least 40 fighters and six civilians) report the same strikes: adjacent days agree, and each
    report's largest toll is compared, not the civilian toll."""
    from kg.config import Settings
    from kg.pipeline import build
    from kg.rdf import load
    from tests.conftest import ROOT

    articles = ROOT / "tests" / "articles"
    result = build(inputs=[articles / "t02_helmand_airstrikes.html", articles / "t03_lashkargah_toll.txt"],
                   out=tmp_path / "out", settings=Settings(link=False))
    rows = queries.run(queries.find("conflicting-claims"), data=load(result.out)).rows
    pairs = {(str(r["type"]), str(r["quantity_of"]), r["low"].toPython(), r["high"].toPython()) for r in rows}
    assert pairs == {("Airstrike", "fatalities", 40, 54)}
