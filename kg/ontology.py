"""Load the kg-news ontology and reason over it with HermiT.

This is the only module that imports owlready2. owlready2 cannot read Turtle, so the
ontology (and any instance data) is converted with rdflib to N-Triples in a temporary file
and loaded into a fresh owlready2 ``World`` per call, which keeps calls independent.

Reasoning is bounded: only the T-box plus a selection of individuals (those given, or a
deterministic sample of at most ``max_individuals``) and their direct neighbours go to the
reasoner, and only the triples OWL reasoning here needs (types and object-property links
between IRIs); literals are dropped because HermiT rejects xsd:gYear and xsd:gYearMonth.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import OWL, RDF, Dataset, Graph, URIRef
from rdflib.graph import ConjunctiveGraph

from kg.errors import ValidationToolError

__all__ = [
    "DEFAULT_MAX_INDIVIDUALS",
    "JAVA_MISSING",
    "ONTOLOGY_IRI",
    "ReasonerResult",
    "check_consistency",
    "java_available",
    "load_ontology_graph",
    "ontology_path",
    "select_abox",
    "shapes_path",
    "union_graph",
]

ONTOLOGY_IRI = "https://w3id.org/kg-news/ontology"
JAVA_MISSING = "reasoner unavailable: Java not found"
# Seeds sent to HermiT by default; with their neighbours ~1-3k individuals, a few seconds.
DEFAULT_MAX_INDIVIDUALS = 1000
_OWL_THING = str(OWL.Thing)
# Links between individuals that matter to OWL reasoning besides declared object properties.
_IDENTITY_PREDICATES = frozenset({OWL.sameAs, OWL.differentFrom})


@dataclass(frozen=True)
class ReasonerResult:
    """Outcome of a HermiT run, as data.

    Attributes:
        consistent: True or False as decided by HermiT; None when the reasoner did not run.
        available: False when the reasoner could not run (no Java).
        message: Human-readable summary (status, sizes, timing).
        inferred: Individual IRI -> every named class IRI it is entailed to belong to
            (asserted ones included, owl:Thing excluded); empty unless consistent.
        unsatisfiable: Named classes HermiT found unsatisfiable (a T-box bug if non-empty).
        individuals: Number of individuals sent to the reasoner.
        seconds: Wall-clock time of the run, conversion included.
    """

    consistent: bool | None
    available: bool
    message: str
    inferred: dict[str, frozenset[str]] = field(default_factory=dict)
    unsatisfiable: frozenset[str] = frozenset()
    individuals: int = 0
    seconds: float = 0.0


def ontology_path() -> Path:
    """Return the path of ``ontology/kg.ttl`` (source tree first, then the installed copy).

    Returns:
        The source-tree path when it exists, else ``<prefix>/share/kg/ontology/kg.ttl``
        where pyproject.toml installs it (the source-tree path if neither exists).
    """
    source = Path(__file__).resolve().parent.parent / "ontology" / "kg.ttl"
    installed = Path(sys.prefix) / "share" / "kg" / "ontology" / "kg.ttl"
    return installed if not source.exists() and installed.exists() else source


def shapes_path() -> Path:
    """Return the path of ``ontology/shapes.ttl`` (the SHACL shapes)."""
    return ontology_path().with_name("shapes.ttl")


@lru_cache(maxsize=1)
def _parsed_ontology() -> Graph:
    return Graph().parse(ontology_path(), format="turtle")


def load_ontology_graph() -> Graph:
    """Return the ontology as an rdflib Graph (parsed once, returned as a fresh copy).

    Returns:
        A new Graph holding the ontology triples; callers may modify it freely.
    """
    return copy_graph(_parsed_ontology())


def copy_graph(graph: Graph) -> Graph:
    """Return a fresh Graph with the same prefixes and triples (cached graphs stay untouched)."""
    copy = Graph()
    for prefix, namespace in graph.namespaces():
        copy.bind(prefix, namespace)
    for triple in graph:
        copy.add(triple)
    return copy


def java_available() -> bool:
    """Return whether the Java executable owlready2 would call is on the PATH."""
    import owlready2  # imported lazily: loading owlready2 is slow and only reasoning needs it

    return shutil.which(owlready2.JAVA_EXE) is not None


def union_graph(data: Graph) -> Graph:
    """Return the union of all graphs of a Dataset (or the Graph itself) as one Graph.

    Args:
        data: A Dataset/ConjunctiveGraph (named graphs and default graph are merged) or a
            plain Graph (returned as is).

    Returns:
        A Graph with every triple.
    """
    if not isinstance(data, (Dataset, ConjunctiveGraph)):
        return data
    union = Graph()
    for prefix, namespace in data.namespaces():
        union.bind(prefix, namespace)
    for s, p, o, _ in data.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


def _declared(ontology: Graph, kind: URIRef) -> set[URIRef]:
    return {s for s in ontology.subjects(RDF.type, kind) if isinstance(s, URIRef)}


def select_abox(
    data: Graph,
    *,
    individuals: Iterable[str] | None = None,
    max_individuals: int = DEFAULT_MAX_INDIVIDUALS,
) -> Graph:
    """Select the part of an instance graph the reasoner should see.

    Args:
        data: Instance data (a Graph, or a Dataset: the union of its graphs is used).
        individuals: IRIs to reason about; by default every IRI typed with an ontology class,
            sampled down to ``max_individuals`` (non-mentions first, then by IRI, so the
            sample is deterministic).
        max_individuals: Upper bound on the seed individuals when ``individuals`` is None.

    Returns:
        A Graph with the seeds' ontology-class types, their object-property and identity
        links to other IRIs, the types of those neighbours, and owl:NamedIndividual
        declarations for all of them.
    """
    data = union_graph(data)
    ontology = _parsed_ontology()
    classes = _declared(ontology, OWL.Class)
    links = _declared(ontology, OWL.ObjectProperty) | _IDENTITY_PREDICATES
    mention = URIRef(ONTOLOGY_IRI + "#Mention")

    if individuals is not None:
        seeds = [URIRef(i) for i in individuals]
    else:
        typed: dict[URIRef, set[URIRef]] = {}
        for s, o in data.subject_objects(RDF.type):
            if isinstance(s, URIRef) and o in classes:
                typed.setdefault(s, set()).add(o)
        # Mentions are the bulk of a graph and the least interesting to reason about.
        seeds = sorted(typed, key=lambda s: (typed[s] == {mention}, str(s)))[
            :max_individuals
        ]

    abox = Graph()
    nodes: set[URIRef] = set(seeds)
    for s in seeds:
        for p, o in data.predicate_objects(s):
            if p in links and isinstance(o, URIRef):
                abox.add((s, p, o))
                nodes.add(o)
    for node in nodes:
        for o in data.objects(node, RDF.type):
            if o in classes:
                abox.add((node, RDF.type, o))
    for node in nodes:
        if (node, RDF.type, OWL.Class) not in ontology:
            abox.add((node, RDF.type, OWL.NamedIndividual))
    return abox


def check_consistency(
    data: Graph | None = None,
    *,
    individuals: Iterable[str] | None = None,
    max_individuals: int = DEFAULT_MAX_INDIVIDUALS,
) -> ReasonerResult:
    """Check the ontology (and optionally instance data) with HermiT and collect inferences.

    Args:
        data: Instance data (Graph or Dataset); None checks the T-box alone.
        individuals: Restrict reasoning to these individual IRIs (see ``select_abox``).
        max_individuals: Bound on sampled individuals when ``individuals`` is None.

    Returns:
        A ReasonerResult; ``available`` is False with message
        "reasoner unavailable: Java not found" when Java is missing, so callers can go on.

    Raises:
        ValidationToolError: If owlready2 cannot load the graph or HermiT fails for a
            reason other than inconsistency.
    """
    import owlready2  # imported lazily: only reasoning needs it

    started = time.perf_counter()
    if not java_available():
        return ReasonerResult(consistent=None, available=False, message=JAVA_MISSING)

    combined = load_ontology_graph()
    abox = (
        select_abox(data, individuals=individuals, max_individuals=max_individuals)
        if data is not None
        else Graph()
    )
    for triple in abox:
        combined.add(triple)
    names = sorted({str(s) for s in abox.subjects(RDF.type, OWL.NamedIndividual)})

    with tempfile.TemporaryDirectory(prefix="kg-reason-") as tmp:
        path = Path(tmp) / "kg.nt"
        combined.serialize(destination=path, format="nt", encoding="utf-8")
        world = owlready2.World()
        try:
            try:
                with path.open("rb") as handle:
                    world.get_ontology(ONTOLOGY_IRI).load(
                        fileobj=handle, format="ntriples"
                    )
            except (OSError, ValueError, owlready2.OwlReadyError) as exc:
                raise ValidationToolError(
                    f"owlready2 could not load the ontology: {exc}"
                ) from exc
            try:
                owlready2.sync_reasoner_hermit(
                    world, infer_property_values=False, debug=0
                )
            except owlready2.OwlReadyInconsistentOntologyError:
                return ReasonerResult(
                    consistent=False,
                    available=True,
                    message=f"inconsistent: HermiT found a contradiction ({len(names)} individuals checked)",
                    individuals=len(names),
                    seconds=time.perf_counter() - started,
                )
            except owlready2.OwlReadyJavaError as exc:
                raise ValidationToolError(f"HermiT failed: {exc}") from exc
            except FileNotFoundError as exc:
                # Java vanished between java_available() and the call: same status.
                return ReasonerResult(
                    consistent=None, available=False, message=f"{JAVA_MISSING} ({exc})"
                )
            unsatisfiable = frozenset(
                c.iri
                for c in world.inconsistent_classes()
                if getattr(c, "iri", None) and c.iri != _OWL_THING
            )
            inferred = _inferred_types(world, names)
        finally:
            world.close()

    seconds = time.perf_counter() - started
    message = f"consistent ({len(names)} individuals, {len(abox)} A-box triples, {seconds:.1f}s)"
    if unsatisfiable:
        message += f"; unsatisfiable classes: {', '.join(sorted(unsatisfiable))}"
    return ReasonerResult(
        consistent=True,
        available=True,
        message=message,
        inferred=inferred,
        unsatisfiable=unsatisfiable,
        individuals=len(names),
        seconds=seconds,
    )


def _inferred_types(world: object, names: list[str]) -> dict[str, frozenset[str]]:
    import owlready2

    inferred: dict[str, frozenset[str]] = {}
    for iri in names:
        individual = world[iri]  # type: ignore[index]
        if individual is None or not isinstance(individual, owlready2.Thing):
            continue
        # INDIRECT_is_a walks the class hierarchy as updated by HermiT's realisation.
        inferred[iri] = frozenset(
            c.iri
            for c in individual.INDIRECT_is_a
            if isinstance(c, owlready2.ThingClass) and c.iri != _OWL_THING
        )
    return inferred
