"""Test data, fixtures and comparisons shared by test_queries.py and test_query_stores.py.

The event graph is built through the real code path: model records -> resolve ->
mapping (`kg.pipeline.assemble`), plus what Wikidata linking adds (a link and
language-tagged aliases). Results are compared as SPARQL JSON terms with
language tags lower-cased and typed literals compared by value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib import XSD, Literal, URIRef
from rdflib.namespace import SKOS

from kg import queries, rdf
from kg.cli import main
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
from tests.servers import Server

EV = "https://w3id.org/kg-news/test-events/"
KG = "https://w3id.org/kg-news/ontology#"
KABUL = f"{EV}entity/city/kabul"
MUJAHID = "ذبیح‌الله مجاهد"  # Pashto script, with a zero-width non-joiner
BADGHIS_DARI = "بادغیس"
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
    taliban, qala = (
        one.m("Taliban", "ArmedGroup", "kg:taliban"),
        one.m("Qala-e-Naw", "City", "geonames:1129867"),
    )
    badghis, badghis_b = (
        one.m("Badghis", "Province", "iso3166-2:AF-BDG"),
        one.m("Badghis", "Province", "iso3166-2:AF-BDG", nth=1),
    )
    shams, taliban_b = (
        one.m("Hessamuddin Shams", "Person"),
        one.m("Taliban", "ArmedGroup", "kg:taliban", nth=1),
    )
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
    forces, qala2, mod = (
        two.m("Afghan security forces", "SecurityForce"),
        two.m("Qala i Naw", "City", "geonames:1129867"),
        two.m("Ministry of Defence", "GovernmentBody"),
    )
    taliban2, qala2b = (
        two.m("Taliban", "ArmedGroup", "kg:taliban"),
        two.m("Qala i Naw", "City", "geonames:1129867", nth=1),
    )
    dari = two.m(BADGHIS_DARI, "Province", "iso3166-2:AF-BDG")
    shams2, badghis2 = (
        two.m("Hisamudin Shams", "Person"),
        two.m("Badghis", "Province", "iso3166-2:AF-BDG"),
    )
    kunduz2, taliban2b = (
        two.m("Kunduz", "City", "geonames:1135689"),
        two.m("Taliban", "ArmedGroup", "kg:taliban", nth=1),
    )
    forces_b, kabul = (
        two.m("Afghan security forces", "SecurityForce", nth=1),
        two.m("کابل", "City", "geonames:1138958"),
    )
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
    kabul3, forces3 = (
        three.m("Kabul", "City", "geonames:1138958"),
        three.m("Afghan security forces", "SecurityForce"),
    )
    dawlat, laghman = (
        three.m("Dawlat Shah", "District"),
        three.m("Laghman", "Province", "iso3166-2:AF-LAG"),
    )
    taliban3, mujahid = (
        three.m("Taliban", "ArmedGroup", "kg:taliban"),
        three.m(MUJAHID, "Person", canonical="Zabihullah Mujahid"),
    )
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


# ---------------------------------------------------------------- fixtures and the command line


# A session fixture imported into two test modules is two fixtures to pytest: build once.
_SHARED: dict[str, Any] = {}


def _once(name: str, make: Callable[[], Any]) -> Any:
    if name not in _SHARED:
        _SHARED[name] = make()
    return _SHARED[name]


@pytest.fixture(scope="session")
def query_dir(tmp_path_factory: pytest.TempPathFactory, seed_build: Any) -> Path:
    """A build folder whose graph.trig holds the seed build and the event graph."""

    def make() -> Path:
        folder = tmp_path_factory.mktemp("query-graph")
        seed = (seed_build.out / "graph.trig").read_text("utf-8")
        extra = events_dataset().serialize(format="trig")
        (folder / "graph.trig").write_text(f"{seed}\n{extra}", encoding="utf-8")
        return folder

    return _once("query_dir", make)


@pytest.fixture(scope="session")
def local(query_dir: Path) -> rdflib.Dataset:
    """The query graph loaded as kg loads it (default graph = union of the named graphs)."""
    return _once("local", lambda: rdf.load(query_dir))


@pytest.fixture(scope="session")
def claim(local: rdflib.Dataset) -> str:
    """The IRI of the prison break as Reuters reported it."""

    def make() -> str:
        rows = queries.run(queries.find("events"), data=local, given={"kind": "PrisonBreak"}).rows
        return next(str(r["event"]) for r in rows if str(r["article"]).endswith("a1a1a1a1a1a1a1a1"))

    return _once("claim", make)


@pytest.fixture(scope="session")
def endpoints(query_dir: Path, query_virtuoso: Server, query_oxigraph: Server) -> dict[str, str]:
    """Push the query graph into both stores with `kg push`; return their query endpoints."""

    def make() -> dict[str, str]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KG_TEST_QUERY_PASSWORD", query_virtuoso.password or "")
            for server in (query_virtuoso, query_oxigraph):
                command = ["push", "--data", str(query_dir), "--store", server.name,
                           "--url", server.url]  # fmt: skip
                if server.user:
                    command += ["--user", server.user, "--password-env", "KG_TEST_QUERY_PASSWORD"]
                assert main(command) == 0, f"kg push to {server.name} failed"
        return {"virtuoso": query_virtuoso.query, "oxigraph": query_oxigraph.query}

    return _once("endpoints", make)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `kg ARGS` in-process; return the exit code, stdout and stderr."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def case_args(name: str, given: dict[str, str], claim_iri: str) -> list[str]:
    """Return `kg query` arguments for one case: its parameters and JSON (or Turtle) output."""
    args = [name]
    for key, value in given.items():
        args += ["--param", f"{key}={claim_iri if value == CLAIM else value}"]
    return args + ["--format", "ttl" if queries.find(name).form == "CONSTRUCT" else "json"]


def case_ids() -> list[tuple[str, dict[str, str]]]:
    """Return every (query name, parameters) case of CASES."""
    return [(name, given) for name, cases in CASES.items() for given in cases]
