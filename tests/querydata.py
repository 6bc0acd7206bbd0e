"""Test data and result comparison for the stored-query tests (tests/test_queries.py).

The event graph is built through the real code path: model records -> resolve ->
mapping (`kg.pipeline.assemble`), plus what Wikidata linking adds (a link and
language-tagged aliases). Results are compared as SPARQL JSON terms with
language tags lower-cased and typed literals compared by value.
"""

from __future__ import annotations

import json
from decimal import Decimal

import rdflib
from rdflib import XSD, Literal, URIRef
from rdflib.namespace import SKOS

from kg.config import Settings
from kg.model import (
    Article,
    Event,
    Extraction,
    Holding,
    Mention,
    Provenance,
    Quantity,
    Relation,
)
from kg.pipeline import assemble
from kg.results import json_term

EV = "https://w3id.org/kg-news/test-events/"
KG = "https://w3id.org/kg-news/ontology#"
KABUL = f"{EV}entity/city/kabul"
MUJAHID = "ذبیح‌الله مجاهد"  # Pashto script, with a zero-width non-joiner
BADGHIS_DARI = "بادغیس"


class _Text:
    """Make mentions with true character offsets into one article's text."""

    def __init__(self, article_id: str, text: str) -> None:
        self.id, self.text = article_id, text

    def prov(self, surface: str, nth: int = 0) -> Provenance:
        start = -1
        for _ in range(nth + 1):
            start = self.text.index(surface, start + 1)
        end = start + len(surface)
        left, right = self.text.rfind(".", 0, start) + 1, self.text.find(".", end)
        return Provenance(self.id, start, end, self.text[left : right + 1].strip(), "hand")

    def m(self, surface: str, kind: str, gid: str | None = None, *, nth: int = 0,
          canonical: str | None = None) -> Mention:  # fmt: skip
        return Mention(surface, kind, self.prov(surface, nth), gid, canonical)


def event_extractions() -> list[Extraction]:
    """Three articles: a capture and recapture, a prison break 200 vs 400, an attack 45 vs 30."""
    one = _Text("a1a1a1a1a1a1a1a1",
                "Taliban fighters captured Qala-e-Naw, the capital of Badghis province, on Wednesday. "
                "Badghis governor Hessamuddin Shams said the Taliban freed 200 prisoners from the jail. "
                "Officials in Kunduz said 45 people were killed in the Taliban attack on Kunduz city.")  # fmt: skip
    taliban, qala = one.m("Taliban", "ArmedGroup", "kg:taliban"), one.m("Qala-e-Naw", "City", "geonames:1129867")
    badghis, badghis_b = one.m("Badghis", "Province", "iso3166-2:AF-BDG"), one.m("Badghis", "Province", "iso3166-2:AF-BDG", nth=1)
    shams, taliban_b = one.m("Hessamuddin Shams", "Person"), one.m("Taliban", "ArmedGroup", "kg:taliban", nth=1)
    kunduz = one.m("Kunduz city", "City", "geonames:1135689")
    first = Extraction(
        Article(one.id, "a1.txt", one.text, title='Taliban seize "Qala-e-Naw"', outlet="Reuters",
                published="2021-07-07", published_precision="day"),
        mentions=(taliban, qala, badghis, badghis_b, shams, taliban_b, kunduz),
        relations=(Relation(qala, "capitalOf", badghis, qala.provenance),),
        holdings=(Holding(shams, "Governor", shams.provenance, jurisdiction=badghis_b),),
        events=(
            Event("Capture", qala.provenance, "captured", agent=taliban, place=qala, date="2021-07-07",
                  date_precision="day"),
            Event("PrisonBreak", one.prov("freed"), "freed", agent=taliban_b, place=qala, date="2021-07-07",
                  date_precision="day", quantities=(Quantity(200, "prisoners", "200 prisoners"),),
                  status="claimed", attributed_to=shams),
            Event("Attack", one.prov("attack"), "attack", agent=taliban_b, place=kunduz, date="2021-07",
                  date_precision="month", quantities=(Quantity(45, "fatalities", "45 people were killed"),)),
        ),
    )  # fmt: skip
    two = _Text("b2b2b2b2b2b2b2b2",
                "Afghan security forces recaptured Qala i Naw on 8 July, the Ministry of Defence said. "
                f"The Taliban had freed more than 400 prisoners in Qala i Naw, {BADGHIS_DARI}. "
                "Governor Hisamudin Shams of Badghis denied that. "
                "In Kunduz, 30 people were killed when the Taliban attacked Afghan security forces. "
                "کابل remained calm.")  # fmt: skip
    forces, qala2, mod = two.m("Afghan security forces", "SecurityForce"), two.m("Qala i Naw", "City", "geonames:1129867"), two.m("Ministry of Defence", "GovernmentBody")
    taliban2, qala2b = two.m("Taliban", "ArmedGroup", "kg:taliban"), two.m("Qala i Naw", "City", "geonames:1129867", nth=1)
    dari = two.m(BADGHIS_DARI, "Province", "iso3166-2:AF-BDG")
    shams2, badghis2 = two.m("Hisamudin Shams", "Person"), two.m("Badghis", "Province", "iso3166-2:AF-BDG")
    kunduz2, taliban2b = two.m("Kunduz", "City", "geonames:1135689"), two.m("Taliban", "ArmedGroup", "kg:taliban", nth=1)
    forces_b, kabul = two.m("Afghan security forces", "SecurityForce", nth=1), two.m("کابل", "City", "geonames:1138958")
    second = Extraction(
        Article(two.id, "b2.txt", two.text, title="Afghan forces retake Qala i Naw", outlet="BBC",
                published="2021-07", published_precision="month"),
        mentions=(forces, qala2, mod, taliban2, qala2b, dari, shams2, badghis2, kunduz2, taliban2b, forces_b, kabul),
        holdings=(Holding(shams2, "governor", shams2.provenance, jurisdiction=badghis2),),
        events=(
            Event("Recapture", qala2.provenance, "recaptured", agent=forces, place=qala2, date="2021-07-08",
                  date_precision="day", attributed_to=mod),
            Event("PrisonBreak", two.prov("freed"), "freed", agent=taliban2, place=qala2b, date="2021-07-07",
                  date_precision="day",
                  quantities=(Quantity(400, "prisoners", "more than 400 prisoners", qualifier="more than"),)),
            Event("Attack", two.prov("attacked"), "attacked", agent=taliban2b, target=forces_b, place=kunduz2,
                  date="2021-07", date_precision="month", quantities=(Quantity(30, "fatalities", "30 people were killed"),)),
        ),
    )  # fmt: skip
    three = _Text("c3c3c3c3c3c3c3c3",
                  "Kabul, June 22: Afghan security forces withdrew from Dawlat Shah district in Laghman on Monday. "
                  f"A Taliban spokesman, {MUJAHID}, said the group took the district.")  # fmt: skip
    kabul3, forces3 = three.m("Kabul", "City", "geonames:1138958"), three.m("Afghan security forces", "SecurityForce")
    dawlat, laghman = three.m("Dawlat Shah", "District"), three.m("Laghman", "Province", "iso3166-2:AF-LAG")
    taliban3, mujahid = three.m("Taliban", "ArmedGroup", "kg:taliban"), three.m(MUJAHID, "Person", canonical="Zabihullah Mujahid")
    third = Extraction(
        Article(three.id, "c3.txt", three.text, title="Withdrawal from Dawlat Shah", outlet="RFE/RL",
                published="2021-06-22", published_precision="day"),
        mentions=(kabul3, forces3, dawlat, laghman, taliban3, mujahid),
        relations=(Relation(dawlat, "locatedIn", laghman, dawlat.provenance),),
        holdings=(Holding(mujahid, "spokesman", mujahid.provenance, jurisdiction=taliban3),),
        events=(
            Event("Withdrawal", three.prov("withdrew"), "withdrew", agent=forces3, place=dawlat, date="2021-06-21",
                  date_precision="day"),
            Event("Capture", three.prov("took"), "took", agent=taliban3, place=dawlat, date="2021-06",
                  date_precision="month", status="claimed", attributed_to=mujahid),
        ),
    )  # fmt: skip
    return [first, second, third]


def events_dataset() -> rdflib.Dataset:
    """Map the event articles into a Dataset, plus what Wikidata linking adds (links, tagged labels)."""
    dataset, _ = assemble(event_extractions(), settings=Settings(base=EV))
    entities = dataset.graph(URIRef(f"{EV}graph/entities"))
    kabul = URIRef(KABUL)
    entities.add((kabul, SKOS.exactMatch, URIRef("http://www.wikidata.org/entity/Q5838")))
    entities.add((kabul, SKOS.altLabel, Literal("کابل", lang="ps-Arab")))
    entities.add((kabul, SKOS.altLabel, Literal("Kabul", lang="en-GB")))
    return dataset


def _value(binding: dict[str, str]) -> tuple[str, ...]:
    """Normalise one SPARQL JSON term: tags lower-cased, typed literals compared by value."""
    if binding["type"] == "uri":
        return ("uri", binding["value"])
    if binding["type"] == "bnode":
        return ("bnode",)
    if "xml:lang" in binding:
        return ("literal", binding["value"], "@" + binding["xml:lang"].lower())
    datatype = binding.get("datatype")
    if datatype in (None, str(XSD.string)):
        return ("literal", binding["value"], "")
    value = Literal(binding["value"], datatype=URIRef(datatype)).value
    if isinstance(value, (int, float, Decimal)):
        return ("number", str(Decimal(str(value)).normalize()))
    return ("literal", str(value if value is not None else binding["value"]), datatype)


def term_key(node: rdflib.term.Node) -> tuple[str, ...]:
    """Normalise an rdflib term as `_value` does a JSON one."""
    return _value(json_term(node))


def table(output: str) -> tuple[list[str], list[str]]:
    """Return the variables and the sorted normalised rows of `kg query --format json` output."""
    document = json.loads(output)
    variables = document["head"]["vars"]
    rows = [repr(tuple(_value(b[v]) if v in b else None for v in variables))
            for b in document["results"]["bindings"]]  # fmt: skip
    return variables, sorted(rows)


def triples(output: str) -> list[str]:
    """Return the sorted normalised triples of `kg query --format ttl` output."""
    graph = rdflib.Graph().parse(data=output, format="turtle")
    return sorted(repr(tuple(term_key(t) for t in triple)) for triple in graph)
