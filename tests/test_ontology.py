"""The ontology: parses, documents every term, matches the contract and vocab.py, reasons."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from kg.ontology import (
    JAVA_MISSING,
    ReasonerResult,
    check_consistency,
    java_available,
    load_ontology_graph,
    ontology_path,
    select_abox,
)
from kg.vocab import KG
from kg.vocabgen import (
    docs_path,
    main,
    ontology_terms,
    render_docs,
    render_vocab,
    vocab_path,
)

ROOT = Path(__file__).resolve().parent.parent
KG_NS = "https://w3id.org/kg-news/ontology#"
SEM = Namespace("http://semanticweb.cs.vu.nl/2009/11/sem/")
DATA = Namespace("https://w3id.org/kg-news/data/")
EVENT_CLASSES = [
    "Attack",
    "Capture",
    "Recapture",
    "Airstrike",
    "Withdrawal",
    "Deployment",
    "Ceasefire",
    "Negotiation",
    "Agreement",
    "PrisonBreak",
    "Surrender",
    "Arrest",
    "Killing",
    "Defection",
]

needs_java = pytest.mark.skipif(not java_available(), reason=JAVA_MISSING)


@pytest.fixture(scope="module")
def onto() -> Graph:
    """The ontology graph."""
    return load_ontology_graph()


def _defined(onto: Graph) -> set[str]:
    return {t.name for t in ontology_terms(onto)}


def test_ontology_parses_and_declares_itself(onto: Graph) -> None:
    assert ontology_path().is_file()
    assert (URIRef("https://w3id.org/kg-news/ontology"), RDF.type, OWL.Ontology) in onto
    assert len(onto) > 500


def test_every_term_has_english_label_and_definition(onto: Graph) -> None:
    missing = []
    for term in ontology_terms(onto):
        node = URIRef(KG_NS + term.name)
        labels = [
            l
            for l in onto.objects(node, RDFS.label)
            if isinstance(l, Literal) and l.language == "en"
        ]
        if not labels or not list(onto.objects(node, SKOS.definition)):
            missing.append(term.name)
    assert missing == []


def test_every_contract_term_is_defined(onto: Graph) -> None:
    contract = (ROOT / "CONTRACT.md").read_text(encoding="utf-8")
    names = set(re.findall(r"\bkg:(\w+)", contract))
    # The "Classes:" paragraph runs on into the "ClaimStatus individuals:" line.
    block = contract.split("Classes:", 1)[1].split("\n\n", 1)[0]
    names |= set(re.findall(r"\b([A-Z]\w+)\b", block))
    assert len(names) > 80
    assert sorted(names - _defined(onto)) == []


def test_vocab_py_is_not_stale(onto: Graph) -> None:
    assert vocab_path().read_text(encoding="utf-8") == render_vocab(onto), (
        "run: python -m kg.vocabgen"
    )


def test_readme_is_not_stale_and_check_passes(onto: Graph) -> None:
    shapes = Graph().parse(ontology_path().with_name("shapes.ttl"))
    assert docs_path().read_text(encoding="utf-8") == render_docs(onto, shapes), (
        "run: python -m kg.vocabgen"
    )
    assert main(["--check"]) == 0


def test_vocab_namespace_is_closed() -> None:
    assert KG.Capture == URIRef(KG_NS + "Capture")
    with pytest.raises(AttributeError):
        KG.Captured  # noqa: B018 - the lookup itself is the test


def test_every_kg_term_used_in_code_exists(onto: Graph) -> None:
    defined = _defined(onto)
    used: dict[str, set[str]] = {}
    for path in sorted((ROOT / "kg").rglob("*.py")):
        for name in re.findall(r"\bKG\.(\w+)", path.read_text(encoding="utf-8")):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert used, "the scan found no KG.xxx at all"
    unknown = {
        name: sorted(paths)
        for name, paths in used.items()
        if name not in defined and not name.startswith("_")
    }
    assert unknown == {}


def test_event_taxonomy_is_closed_disjoint_and_aligned(onto: Graph) -> None:
    subclasses = {
        str(s)[len(KG_NS) :] for s in onto.subjects(RDFS.subClassOf, KG.Event)
    }
    assert subclasses == set(EVENT_CLASSES)
    disjoint_sets = [
        {str(m)[len(KG_NS) :] for m in Collection(onto, onto.value(axiom, OWL.members))}
        for axiom in onto.subjects(RDF.type, OWL.AllDisjointClasses)
    ]
    assert set(EVENT_CLASSES) in disjoint_sets
    assert any(
        {"Person", "Organization", "Place", "Event", "Post"} <= s for s in disjoint_sets
    )
    assert all(onto.value(KG[name], KG.acledSubEventType) for name in EVENT_CLASSES)
    assert (KG.Event, RDFS.subClassOf, SEM.Event) in onto


def test_holder_range_is_person(onto: Graph) -> None:
    assert (KG.holder, RDFS.range, KG.Person) in onto
    assert (
        KG.mention,
        RDFS.subPropertyOf,
        URIRef("http://groundedannotationframework.org/gaf#denotedBy"),
    ) in onto


def test_select_abox_keeps_types_and_links_only() -> None:
    data = Graph()
    data.add((DATA.e, RDF.type, KG.Capture))
    data.add((DATA.e, KG.place, DATA.p))
    data.add((DATA.e, KG.dateText, Literal("Wednesday")))
    data.add((DATA.m, RDF.type, KG.Mention))
    abox = select_abox(data, individuals=[str(DATA.e)])
    assert (DATA.e, KG.place, DATA.p) in abox
    assert (DATA.e, RDF.type, KG.Capture) in abox
    assert not any(isinstance(o, Literal) for o in abox.objects())
    assert (DATA.m, RDF.type, KG.Mention) not in abox


@needs_java
def test_hermit_finds_the_ontology_consistent() -> None:
    result = check_consistency()
    assert result.available and result.consistent is True, result.message
    assert result.unsatisfiable == frozenset()


@needs_java
def test_two_disjoint_types_are_inconsistent() -> None:
    data = Graph()
    data.add((DATA.x, RDF.type, KG.Person))
    data.add((DATA.x, RDF.type, KG.Place))
    result = check_consistency(data)
    assert result.available and result.consistent is False


@needs_java
def test_two_disjoint_event_types_are_inconsistent() -> None:
    data = Graph()
    data.add((DATA.e, RDF.type, KG.Capture))
    data.add((DATA.e, RDF.type, KG.Recapture))
    assert check_consistency(data).consistent is False


@needs_java
def test_reasoner_infers_event_types_and_holder_person() -> None:
    data = Graph()
    data.add((DATA.capture, RDF.type, KG.Capture))
    data.add((DATA.holding, RDF.type, KG.PostHolding))
    data.add((DATA.holding, KG.holder, DATA.shams))
    data.add((DATA.holding, KG.post, DATA.governor))
    result = check_consistency(data)
    assert result.consistent is True, result.message
    assert {str(KG.Event), str(SEM.Event)} <= result.inferred[str(DATA.capture)]
    assert str(KG.Person) in result.inferred[str(DATA.shams)]
    assert str(KG.Post) in result.inferred[str(DATA.governor)]


def test_missing_java_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # owlready2 calls plain "java" on Linux, so an empty PATH is a machine without Java.
    monkeypatch.setenv("PATH", str(tmp_path))
    assert not java_available()
    result = check_consistency()
    assert result == ReasonerResult(
        consistent=None, available=False, message=JAVA_MISSING
    )
