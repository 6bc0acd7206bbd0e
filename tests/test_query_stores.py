"""Every stored query answers the same on Virtuoso 7, the Oxigraph server, rdflib and pyoxigraph.

The query graph (seed build plus the event graph of tests/querydata.py) is pushed
with `kg push` into stores that hold nothing else, whose default graph is the
union of all graphs; each query runs with `kg query --endpoint` and must give
the result set `kg query --data` gives on the local files (language tags
compared case-insensitively, typed literals by value).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib import XSD, URIRef

from kg import queries, rdf
from tests import querydata, servers
from tests.querydata import (
    CLAIM,
    EV,
    KABUL,
    MUJAHID,
    case_args,
    case_ids,
    cli,
    events_dataset,
    table,
    term_key,
    triples,
)

# Session fixtures: the query graph, and the stores it is pushed to.
claim, endpoints, local, query_dir = (querydata.claim, querydata.endpoints, querydata.local,
                                      querydata.query_dir)  # fmt: skip
query_oxigraph, query_virtuoso = servers.query_oxigraph, servers.query_virtuoso


_LOCAL: dict[str, str] = {}  # kg query --data output per case, computed once


# ---------------------------------------------------------------- local and remote agree


@pytest.mark.parametrize("store", ["virtuoso", "oxigraph"])
@pytest.mark.parametrize(
    ("name", "given"),
    case_ids(),
    ids=lambda v: v if isinstance(v, str) else "-".join(v) or "defaults",
)
def test_stores_answer_like_the_local_files(
    store: str, name: str, given: dict[str, str], query_dir: Path, endpoints: dict[str, str],
    claim: str, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    args = case_args(name, given, claim)
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


@pytest.mark.parametrize(
    ("name", "given"),
    case_ids(),
    ids=lambda v: v if isinstance(v, str) else "-".join(v) or "defaults",
)
def test_pyoxigraph_answers_like_rdflib(
    name: str, given: dict[str, str], query_dir: Path, local: rdflib.Dataset, claim: str
) -> None:
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
        return sorted(
            repr(tuple(term_key(r[v]) if v in r else None for v in by_rdflib.variables))
            for r in rows
        )

    assert norm(by_oxigraph.rows) == norm(by_rdflib.rows)


def test_large_graph_files_are_queried_with_pyoxigraph(seed_build: Any, tmp_path: Path) -> None:
    from benchmarks.query_engines import replicated
    from kg.engines import LARGE

    small = tmp_path / "small.trig"
    small.write_text(events_dataset().serialize(format="trig"), "utf-8")
    nquads = (seed_build.out / "graph.nq").read_text("utf-8")
    copies = LARGE // nquads.count("\n") + 1
    large = tmp_path / "large.nq"
    large.write_text(replicated(nquads, triples=copies * nquads.count("\n")), "utf-8")
    entities = queries.find("entities")
    assert queries.run(entities, data=small).engine == "rdflib"
    by_file = queries.run(entities, data=large)
    assert by_file.engine == "pyoxigraph"
    seed = queries.run(entities, data=rdf.load(seed_build.out))
    assert seed.engine == "rdflib"  # a Dataset stays with rdflib
    assert len(by_file.rows) == copies * len(seed.rows) and by_file.variables == seed.variables


def test_scripts_tags_and_dates_survive_the_push(
    endpoints: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    for url in endpoints.values():

        def bindings(name: str, param: str) -> list[dict[str, dict[str, str]]]:
            code, out, err = cli(capsys, "query", name, "--param", param, "--endpoint", url,
                                 "--format", "json")  # fmt: skip
            assert code == 0, err
            return json.loads(out)["results"]["bindings"]

        aliases = {(b["alias"]["value"], b["alias"].get("xml:lang", "").lower())
                   for b in bindings("aliases", f"of=<{KABUL}>")}  # fmt: skip
        assert {("کابل", "ps-arab"), ("کابل", ""), ("Kabul", "en-gb"), ("Kabul", "")} <= aliases
        assert MUJAHID in {b["label"]["value"] for b in bindings("entities", "kind=Person")}
        for param, expected in (("place=Qala-e-Naw", {("2021-07-07", XSD.date), ("2021-07-08", XSD.date)}),
                                ("kind=Attack", {("2021-07", XSD.gYearMonth)})):  # fmt: skip
            dates = {(b["date"]["value"], URIRef(b["date"]["datatype"]))
                     for b in bindings("events", param) if b["event"]["value"].startswith(EV)}  # fmt: skip
            assert expected <= dates and {d for _, d in dates} == {d for _, d in expected}


