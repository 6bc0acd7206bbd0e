"""A real build of the seeds: the graph parses, carries provenance, and is deterministic."""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, RDFS, Dataset, Graph, URIRef

from kg.articles import load
from kg.config import Settings
from kg.pipeline import build
from kg.vocab import KG
from tests.conftest import SEEDS

ENTITY_CLASSES = {KG[c] for c in ("Person", "Organization", "ArmedGroup", "GovernmentBody", "SecurityForce",
                                  "MilitaryUnit", "MediaOrganization", "InternationalOrganization", "PoliticalBody",
                                  "Place", "Country", "Province", "District", "City", "Facility")}


def test_every_format_parses(seed_build):
    for path, fmt in [("graph.trig", "trig"), ("graph.nq", "nquads"), ("graph.jsonld", "json-ld")]:
        assert len(Dataset().parse(seed_build.out / path, format=fmt)) > 1000
    for path, fmt in [("graph.ttl", "turtle"), ("graph.nt", "nt"), ("graph.rdf", "xml")]:
        assert len(Graph().parse(seed_build.out / path, format=fmt)) > 1000


def test_every_article_has_its_named_graph(seed_dataset):
    articles = set(seed_dataset.subjects(RDF.type, KG.Article))
    assert len(articles) == 5
    graphs = {c.identifier for c in seed_dataset.graphs()}
    for article in articles:
        statement_graphs = list(seed_dataset.subjects(KG.graphOf, article))
        assert len(statement_graphs) == 1 and statement_graphs[0] in graphs
        assert len(seed_dataset.graph(statement_graphs[0])) > 50


def test_every_entity_is_typed_and_its_mentions_slice_the_text(seed_dataset):
    texts = {a: str(t) for a, t in seed_dataset.subject_objects(KG.text)}
    entities = {e for e in seed_dataset.subjects(KG.mention, None)}
    assert len(entities) > 40
    for entity in entities:
        assert set(seed_dataset.objects(entity, RDF.type)) & ENTITY_CLASSES, entity
        assert seed_dataset.value(entity, RDFS.label) is not None
        for mention in seed_dataset.objects(entity, KG.mention):
            text = texts[seed_dataset.value(mention, KG.inArticle)]
            start, end = int(seed_dataset.value(mention, KG.start)), int(seed_dataset.value(mention, KG.end))
            assert text[start:end] == str(seed_dataset.value(mention, KG.anchor))
            assert "\n" not in text[start:end]


def test_domain_typing_fixes_the_statistical_model(seed_dataset):
    def typed(label: str) -> set[str]:
        return {str(t).split("#")[1] for e in seed_dataset.subjects(RDFS.label, None)
                if str(seed_dataset.value(e, RDFS.label)) == label for t in seed_dataset.objects(e, RDF.type)}
    assert "Province" in typed("Badghis")
    assert "District" in typed("Dawlat Shah")
    assert "City" in typed("Mazar-e-Sharif")
    assert "ArmedGroup" in typed("Taliban")


def test_two_builds_give_the_same_bytes(seed_build, tmp_path):
    again = build(inputs=[SEEDS], out=tmp_path, formats=["nq"])
    for name in ("graph.nq", "graph.trig", "graph.ttl"):
        assert (again.out / name).read_bytes() == (seed_build.out / name).read_bytes(), name


def test_base_iri_is_configurable(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("Taliban fighters attacked Kunduz city on Monday, officials said.", encoding="utf-8")
    result = build(inputs=[source], out=tmp_path / "out", settings=Settings(base="http://example.org/news/"))
    graph = Graph().parse(result.out / "graph.ttl")
    subjects = {str(s) for s in graph.subjects() if isinstance(s, URIRef)}
    assert subjects and all(s.startswith("http://example.org/news/") for s in subjects)


def test_article_ids_are_content_hashes():
    ids = [a.id for a in load([SEEDS])]
    assert len(set(ids)) == 5 and all(len(i) == 16 for i in ids)


def test_the_governor_is_one_entity(seed_dataset):
    names = {"Husamuddin Shams", "Hessamuddin Shams", "Hisamudin Shams"}
    holders = {e for e in seed_dataset.subjects(KG.mention, None)
               if {str(a) for a in seed_dataset.objects(e, RDFS.label)} & names
               or {str(a) for a in seed_dataset.objects(e, URIRef("http://www.w3.org/2004/02/skos/core#altLabel"))} & names}
    assert len(holders) == 1


def test_output_is_replaced_atomically(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.txt").write_text("Taliban fighters attacked Kunduz city on Monday, officials said.", encoding="utf-8")
    out = tmp_path / "out"
    build(inputs=[source], out=out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert Path(out / "graph.trig").stat().st_size > 0
