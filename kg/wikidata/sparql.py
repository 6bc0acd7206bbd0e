"""The SPARQL text of every Wikidata look-up, identical for the live endpoint and the snapshot.

Values reach a query only inside a `VALUES` block, each serialised by rdflib's `n3()`
(literals escaped, IRIs checked), so a label such as `Foo" } ; DROP ALL ; #` stays one
string. Blocks are sorted, so the same look-up always gives the same text (and cache key).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Literal, URIRef

WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
QID = re.compile(r"^Q[1-9][0-9]*$")
LANGUAGE = "en"

# Direct claims read about candidates: type, place context, person context, identifiers.
P31, P279, P17, P131, P27, P39, P1001 = "P31", "P279", "P17", "P131", "P27", "P39", "P1001"
P297, P300, P1566, P36 = "P297", "P300", "P1566", "P36"
FACT_PROPERTIES = (P31, P17, P131, P27, P39, P297, P300, P1566)
SNAPSHOT_PROPERTIES = (P31, P279, P17, P131, P36, P39, P1001, P27, P297, P300, P1566)
LABEL, CAPITAL_OF = "label", "capital-of"

_PREFIXES = (
    "PREFIX wd: <http://www.wikidata.org/entity/>\n"
    "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
)


def item(qid: str) -> URIRef:
    """Return the IRI of a Wikidata item, refusing anything that is not a QID."""
    if not QID.match(qid):
        raise ValueError(f"not a Wikidata QID: {qid!r}")
    return URIRef(WD + qid)


def qid_of(term: object) -> str | None:
    """Return the QID of a Wikidata item IRI, or None for any other term."""
    text = str(term)
    if isinstance(term, URIRef) and text.startswith(WD) and QID.match(text[len(WD):]):
        return text[len(WD):]
    return None


def prop(pid: str) -> URIRef:
    """Return the IRI of a direct (truthy) Wikidata property."""
    if not re.match(r"^P[1-9][0-9]*$", pid):
        raise ValueError(f"not a Wikidata property id: {pid!r}")
    return URIRef(WDT + pid)


def name(text: str) -> Literal:
    """Return a label as an English literal, whitespace collapsed (labels are one line)."""
    return Literal(" ".join(text.split()), lang=LANGUAGE)


def _values(variables: str, rows: Iterable[tuple[object, ...]]) -> str:
    lines = sorted({"(" + " ".join(term.n3() for term in row) + ")" for row in rows})  # type: ignore[attr-defined]
    return f"  VALUES ({variables}) {{\n    " + "\n    ".join(lines) + "\n  }\n"


def _one(variable: str, terms: Iterable[object]) -> str:
    return _values(variable, ((t,) for t in terms))


def strong_ids(pairs: Iterable[tuple[str, str]]) -> str:
    """Find items by external identifier: (property id, code) pairs such as ("P297", "AF")."""
    block = _values("?prop ?code", ((prop(p), Literal(code)) for p, code in pairs))
    return (
        f"{_PREFIXES}# kg: items by strong identifier (P297 ISO 3166-1, P300 ISO 3166-2, P1566 GeoNames)\n"
        f"SELECT ?prop ?code ?item WHERE {{\n{block}  ?item ?prop ?code .\n}}\n"
    )


def labels(names: Iterable[Literal]) -> str:
    """Find items whose English label or alias equals one of the names."""
    block = _one("?name", names)
    return (
        f"{_PREFIXES}# kg: candidate items by English label (rdfs:label) or alias (skos:altLabel)\n"
        f"SELECT ?name ?item ?via WHERE {{\n{block}"
        '  { ?item rdfs:label ?name . BIND("label" AS ?via) }\n'
        "  UNION\n"
        '  { ?item skos:altLabel ?name . BIND("alias" AS ?via) }\n'
        f'  FILTER(STRSTARTS(STR(?item), "{WD}Q"))\n'
        "}\n"
    )


def facts(qids: Iterable[str]) -> str:
    """Read the English label, the claims that type and place candidates, and what they are the capital of."""
    items = _one("?item", (item(q) for q in qids))
    props = _one("?prop", (prop(p) for p in FACT_PROPERTIES))
    return (
        f"{_PREFIXES}# kg: facts about candidate items (English label, type, country, place, posts, ids)\n"
        f"SELECT ?item ?prop ?value WHERE {{\n{items}"
        f'  {{ ?item rdfs:label ?value . FILTER(LANG(?value) = "{LANGUAGE}") BIND("{LABEL}" AS ?prop) }}\n'
        "  UNION\n"
        f"  {{\n  {props}    ?item ?prop ?value .\n  }}\n"
        "  UNION\n"
        f'  {{ ?value wdt:P36 ?item . BIND("{CAPITAL_OF}" AS ?prop) }}\n'
        "}\n"
    )


def types(qids: Iterable[str], classes: Iterable[str]) -> str:
    """Find which of the given classes each item is an instance of (P31/P279*)."""
    items = _one("?item", (item(q) for q in qids))
    wanted = _one("?class", (item(c) for c in classes))
    return (
        f"{_PREFIXES}# kg: type check of candidate items against the entity classes' Wikidata classes\n"
        f"SELECT ?item ?class WHERE {{\n{items}{wanted}  ?item wdt:P31/wdt:P279* ?class .\n}}\n"
    )


def snapshot(qids: Iterable[str], classes: Iterable[str]) -> str:
    """Build a snapshot: English labels and aliases, the linker's claims, and the P279 edges to the classes."""
    items = _one("?item", (item(q) for q in qids))
    props = _one("?p", (prop(p) for p in SNAPSHOT_PROPERTIES))
    wanted = _one("?class", (item(c) for c in classes))
    return (
        f"{_PREFIXES}# kg: snapshot of the items a corpus needs, in Wikidata's own RDF shape\n"
        "CONSTRUCT {\n  ?item rdfs:label ?label ; skos:altLabel ?alias ; ?p ?o .\n"
        "  ?sub wdt:P279 ?super .\n} WHERE {\n"
        f"{items}"
        f'  {{ ?item rdfs:label ?label . FILTER(LANG(?label) = "{LANGUAGE}") }}\n'
        f'  UNION {{ ?item skos:altLabel ?alias . FILTER(LANG(?alias) = "{LANGUAGE}") }}\n'
        f"  UNION {{\n  {props}    ?item ?p ?o .\n  }}\n"
        f"  UNION {{\n  {wanted}    ?item wdt:P31/wdt:P279* ?sub .\n"
        "    ?sub wdt:P279 ?super .\n    ?super wdt:P279* ?class .\n  }\n"
        "}\n"
    )
