"""Validation: a hand-built graph conforms, broken ones give the expected results, seeds conform."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, XSD, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from kg.ontology import JAVA_MISSING, java_available
from kg.validate import (
    GRAPH_OF_CHECK,
    REASONER_CHECK,
    ValidationReport,
    Violation,
    union_graph,
    validate,
)
from kg.vocab import KG

ROOT = Path(__file__).resolve().parent.parent
D = Namespace("https://w3id.org/kg-news/data/")
SHAPES = Namespace("https://w3id.org/kg-news/shapes#")
TEXT = "Taliban fighters captured Qala-i-Naw, the capital of Badghis province, on Wednesday, Governor Hessamuddin Shams said."
ARTICLE = D["article/0123456789abcdef"]
GRAPH = D["graph/0123456789abcdef"]
ENTITIES = D["graph/entities"]
TALIBAN, QALA, BADGHIS, SHAMS = (
    D[f"entity/{k}"]
    for k in (
        "armedgroup/taliban",
        "city/qala-i-naw",
        "province/badghis",
        "person/hessamuddin-shams",
    )
)
OUTLET = D["entity/mediaorganization/ap"]


def _mention(graph: Graph, start: int, end: int) -> URIRef:
    iri = D[f"mention/0123456789abcdef/{start}-{end}"]
    graph.add((iri, RDF.type, KG.Mention))
    graph.add((iri, KG.inArticle, ARTICLE))
    graph.add((iri, KG.start, Literal(start)))
    graph.add((iri, KG.end, Literal(end)))
    graph.add((iri, KG.anchor, Literal(TEXT[start:end])))
    return iri


def valid_dataset() -> Dataset:
    """Build a small graph using the contract's terms: entities, an article, an event, a holding."""
    ds = Dataset()
    ent = ds.graph(ENTITIES)
    for iri, cls, label in (
        (TALIBAN, KG.ArmedGroup, "Taliban"),
        (QALA, KG.City, "Qala-i-Naw"),
        (BADGHIS, KG.Province, "Badghis"),
        (SHAMS, KG.Person, "Hessamuddin Shams"),
        (OUTLET, KG.MediaOrganization, "Associated Press"),
    ):
        ent.add((iri, RDF.type, cls))
        ent.add((iri, RDFS.label, Literal(label)))
    ent.add((QALA, KG.capitalOf, BADGHIS))
    ent.add((ARTICLE, RDF.type, KG.Article))
    ent.add((ARTICLE, KG.text, Literal(TEXT)))
    ent.add((ARTICLE, DCTERMS.title, Literal("Taliban take Qala-i-Naw")))
    ent.add((ARTICLE, KG.outlet, OUTLET))
    ent.add((ARTICLE, KG.published, Literal("2021-07-08", datatype=XSD.date)))
    ent.add((ARTICLE, KG.datePrecision, Literal("day")))
    ent.add((ARTICLE, KG.url, Literal("https://example.org/a", datatype=XSD.anyURI)))

    g = ds.graph(GRAPH)
    g.add((GRAPH, RDF.type, KG.StatementGraph))
    g.add((GRAPH, KG.graphOf, ARTICLE))
    taliban, trigger, qala = _mention(g, 0, 7), _mention(g, 17, 25), _mention(g, 26, 36)
    start = TEXT.index("Hessamuddin Shams")
    shams = _mention(g, start, start + len("Hessamuddin Shams"))
    g.add((TALIBAN, KG.mention, taliban))
    g.add((QALA, KG.mention, qala))
    g.add((SHAMS, KG.mention, shams))

    event = D["event/capture1"]
    g.add((event, RDF.type, KG.Capture))
    g.add((event, KG.agent, TALIBAN))
    g.add((event, KG.place, QALA))
    g.add((event, KG.date, Literal("2021-07-07", datatype=XSD.date)))
    g.add((event, KG.datePrecision, Literal("day")))
    g.add((event, KG.dateText, Literal("Wednesday")))
    g.add((event, KG.trigger, trigger))
    g.add((event, KG.status, KG.Claimed))
    g.add((event, KG.attributedTo, SHAMS))
    g.add((event, KG.statedIn, ARTICLE))
    g.add((event, KG.evidence, trigger))
    quantity = D["quantity/q1"]
    g.add((event, KG.quantity, quantity))
    g.add((quantity, RDF.type, KG.Quantity))
    g.add((quantity, KG.count, Literal(200)))
    g.add((quantity, KG.countOf, Literal("prisoners")))
    g.add((quantity, KG.qualifier, Literal("more than")))

    post, holding = D["post/governor-badghis"], D["holding/h1"]
    g.add((post, RDF.type, KG.Post))
    g.add((post, KG.role, Literal("Governor")))
    g.add((post, KG.jurisdiction, BADGHIS))
    g.add((holding, RDF.type, KG.PostHolding))
    g.add((holding, KG.holder, SHAMS))
    g.add((holding, KG.post, post))
    g.add((holding, KG.status, KG.Asserted))
    g.add((holding, KG.statedIn, ARTICLE))
    g.add((holding, KG.startDate, Literal("2021", datatype=XSD.gYear)))
    return ds


def _violations(
    report: ValidationReport, severity: str = "Violation"
) -> list[Violation]:
    return [v for v in report.violations if v.severity == severity]


def _shapes(report: ValidationReport) -> set[str]:
    return {v.shape for v in _violations(report)}


def test_valid_graph_conforms_without_reasoner() -> None:
    report = validate(valid_dataset(), reason=False)
    assert report.violations == (), report.to_rows()
    assert report.conforms and report.shacl_conforms and report.reasoner is None
    assert report.triples == len(union_graph(valid_dataset()))


@pytest.mark.skipif(not java_available(), reason=JAVA_MISSING)
def test_valid_graph_conforms_with_reasoner_and_json_roundtrips() -> None:
    report = validate(valid_dataset())
    assert report.conforms, report.to_rows()
    assert report.reasoner is not None and report.reasoner.consistent is True
    assert str(KG.Person) in report.reasoner.inferred[str(SHAMS)]
    document = json.loads(report.to_json())
    assert document["conforms"] is True and document["violations"] == []
    assert str(KG.Event) in document["reasoner"]["inferred"][str(D["event/capture1"])]
    assert report.to_rows() == []


def test_plain_graph_is_accepted() -> None:
    assert validate(union_graph(valid_dataset()), reason=False).conforms


def test_event_without_place_agent_or_target_is_a_warning() -> None:
    ds = valid_dataset()
    g = ds.graph(GRAPH)
    for role in (KG.place, KG.agent, KG.target):
        g.remove((D["event/capture1"], role, None))
    report = validate(ds, reason=False)
    assert report.conforms  # "soldiers surrendered": the article may name no party or place
    assert [(v.severity, v.shape, v.focus) for v in report.violations] == [
        ("Warning", str(SHAPES.EventPlaceOrAgentShape), str(D["event/capture1"]))
    ]


def test_a_country_may_be_an_agent_but_a_city_may_not() -> None:
    ds = valid_dataset()
    g = ds.graph(GRAPH)
    g.set((D["event/capture1"], KG.agent, D["entity/country/x"]))
    g.add((D["entity/country/x"], RDF.type, KG.Country))
    assert validate(ds, reason=False).conforms
    g.set((D["event/capture1"], KG.agent, D["entity/city/y"]))
    g.add((D["entity/city/y"], RDF.type, KG.City))
    assert _shapes(validate(ds, reason=False)) == {str(SHAPES.EventAgent)}


def test_event_without_specific_type() -> None:
    ds = valid_dataset()
    ds.graph(GRAPH).set((D["event/capture1"], RDF.type, KG.Event))
    assert _shapes(validate(ds, reason=False)) == {str(SHAPES.EventTypeShape)}


def test_mention_ending_beyond_article_text() -> None:
    ds = valid_dataset()
    bad = _mention(ds.graph(GRAPH), 100, len(TEXT) + 5)
    report = validate(ds, reason=False)
    [violation] = _violations(report)
    assert violation.shape == str(SHAPES.MentionWithinTextShape)
    assert violation.focus == str(ARTICLE) and violation.value == str(bad)
    assert str(len(TEXT)) in violation.message


def test_mention_with_start_not_before_end() -> None:
    ds = valid_dataset()
    _mention(ds.graph(GRAPH), 30, 30)
    assert _shapes(validate(ds, reason=False)) == {str(SHAPES.MentionStart)}


def test_date_typed_as_string() -> None:
    ds = valid_dataset()
    ds.graph(GRAPH).set(
        (D["event/capture1"], KG.date, Literal("2021-07-07", datatype=XSD.string))
    )
    ds.graph(ENTITIES).set((ARTICLE, KG.published, Literal("last Wednesday")))
    report = validate(ds, reason=False)
    assert {(v.shape, v.value) for v in _violations(report)} == {
        (str(SHAPES.EventDate), "2021-07-07"),
        (str(SHAPES.PublishedDate), "last Wednesday"),
    }


def test_statement_graph_without_graph_of() -> None:
    ds = valid_dataset()
    ds.graph(GRAPH).remove((GRAPH, KG.graphOf, ARTICLE))
    report = validate(ds, reason=False)
    assert [(v.shape, v.focus) for v in _violations(report)] == [
        (str(SHAPES.GraphOfArticle), str(GRAPH))
    ]


def test_graph_of_stated_outside_its_graph() -> None:
    ds = valid_dataset()
    ds.graph(GRAPH).remove((GRAPH, KG.graphOf, ARTICLE))
    ds.graph(ENTITIES).add((GRAPH, KG.graphOf, ARTICLE))
    assert _shapes(validate(ds, reason=False)) == {GRAPH_OF_CHECK}


def test_holding_without_holder_and_with_wrong_post() -> None:
    ds = valid_dataset()
    g = ds.graph(GRAPH)
    g.remove((D["holding/h1"], KG.holder, None))
    g.set((D["holding/h1"], KG.post, BADGHIS))
    assert _shapes(validate(ds, reason=False)) == {
        str(SHAPES.HoldingHolderCount),
        str(SHAPES.HoldingPostType),
    }


@pytest.mark.skipif(not java_available(), reason=JAVA_MISSING)
def test_reasoner_contradiction_fails_conformance() -> None:
    ds = valid_dataset()
    # A city as the agent of an event: SHACL flags the type, HermiT finds Place and Agent disjoint.
    ds.graph(GRAPH).set((D["event/capture1"], KG.agent, QALA))
    report = validate(ds)
    assert not report.conforms
    assert report.reasoner is not None and report.reasoner.consistent is False
    assert str(SHAPES.EventAgent) in _shapes(report)
    assert report.to_rows()[-1] | {"message": ""} == {
        "severity": "Violation",
        "shape": REASONER_CHECK,
        "focus": "",
        "path": "",
        "value": "",
        "message": "",
    }


def test_warnings_do_not_fail_conformance() -> None:
    ds = valid_dataset()
    ds.graph(GRAPH).remove((D["holding/h1"], KG.statedIn, ARTICLE))
    report = validate(ds, reason=False)
    assert report.conforms
    assert [v.shape for v in _violations(report, "Warning")] == [
        str(SHAPES.ClaimTraced)
    ]


def test_unknown_inference_mode_is_rejected() -> None:
    with pytest.raises(ValueError):
        validate(Graph(), inference="owlrl")


def test_seed_graph_validates(tmp_path: Path) -> None:
    """Build the real seed graph and validate it (needs kg.pipeline, written by the lead)."""
    from kg.pipeline import build

    result = build(inputs=[ROOT / "seeds"], out=tmp_path)
    trig = result.out / "graph.trig"
    assert trig.is_file()
    ds = Dataset()
    ds.parse(trig, format="trig")
    report = validate(ds)
    assert report.conforms, "\n".join(
        f"{r['severity']} {r['shape']} {r['focus']} {r['message']}"
        for r in report.to_rows()[:40]
    )
