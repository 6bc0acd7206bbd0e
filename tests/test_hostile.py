"""Hostile input: whatever a scraper produced, each bad file costs one line and the rest is built.

`kg build` on a folder mixing good articles with every bad input of tests/hostile/ (and the big or
binary ones generated here): exit 0, the good ones built, one stderr line per bad file, no traceback,
every format parses back. Then long texts in pieces, and hypothesis: any text gives a graph that
every format reads back. Real spaCy model, real files, no fakes. Faults and security checks are in
tests/test_faults.py.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import random
import re
import shutil
import struct
import time
import unicodedata
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDFS, Dataset, Graph, Literal
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCTERMS

from kg import rdf
from kg.articles import MAX_CHARS, Problem, load, parse
from kg.cli import main
from kg.config import Settings
from kg.errors import InputError
from kg.keys import slug
from kg.model import Article, Extraction, Mention, Provenance
from kg.nlp import Extractor, pieces
from kg.pipeline import assemble
from kg.resolve import resolve
from kg.vocab import KG
from tests.conftest import SEEDS

HOSTILE = Path(__file__).parent / "hostile"
SECRET = (HOSTILE / "secret.dat").read_text("utf-8").strip()
ODD_NAME = 'odd name "quoted" > } \u202e\nsecond line.txt'
ALL_FORMATS = ["nt", "nq", "jsonld", "xml"]
DATASET_FORMATS = {"graph.trig": "trig", "graph.nq": "nquads", "graph.jsonld": "json-ld"}
GRAPH_FORMATS = {"graph.ttl": "turtle", "graph.nt": "nt", "graph.rdf": "xml"}

# file -> the reason on its one stderr line; these are reported and skipped
SKIPPED = {
    "empty.txt": "empty file",
    "whitespace-only.txt": "empty file",
    "image.txt": "binary file (a PNG image), not text",
    "random-bytes.txt": "binary file (",
    "french.txt": "the text is in French, not English",
    "dari.txt": "the text is in Dari or Persian (Arabic script), not English",
    "pashto.txt": "the text is in Pashto (Arabic script), not English",
    "multi-megabyte.txt": f"over the {MAX_CHARS:,}-character limit for one article; split the file",
    "million-char-line.txt": f"over the {MAX_CHARS:,}-character limit for one article; split the file",
}
# these are built (kg:sourcePath as written: control characters escaped)
BUILT = {"good-kunduz.txt", "utf16-bom.txt", "utf16be-no-bom.txt", "latin1.txt", "mixed-encodings.txt",
         "scripts-and-styles.html", "doctype-entity.html", "control-characters.txt", "hostile-labels.txt",
         "english-with-dari-and-pashto.txt", "nested-5000.html", 'odd name "quoted" > } \\u202e\\nsecond line.txt'}
HOSTILE_OUTLET = 'Kabul "Daily" News\\ } ; DROP ALL ; # > <x>\nNewsline'  # from tests/hostile/metadata.json


def png() -> bytes:
    """Return a real 1x1 PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def make_corpus(folder: Path) -> Path:
    """Copy tests/hostile into folder and add the inputs too big or too binary to commit."""
    shutil.copytree(HOSTILE, folder)
    (folder / "image.txt").write_bytes(png())
    (folder / "random-bytes.txt").write_bytes(random.Random(8).randbytes(4096))
    deep = "<div>" * 5000 + "Deep in the page, the governor of Ghazni province said the roads were open." + "</div>" * 5000
    (folder / "nested-5000.html").write_text(
        f"<html><body><article><p>Taliban fighters attacked Ghazni city on Monday, officials said.</p>{deep}"
        "</article></body></html>", encoding="utf-8")
    paragraph = ("Taliban fighters attacked Kunduz city on day {i}, officials said, and the governor of Kunduz "
                 "province said government forces pushed them back after heavy fighting near the airport.")
    (folder / "multi-megabyte.txt").write_text("\n\n".join(paragraph.format(i=i) for i in range(16_000)), encoding="utf-8")
    sentence = "Taliban fighters attacked Kunduz city on Monday, officials said. "
    (folder / "million-char-line.txt").write_text((sentence * 17_000)[:1_048_576], encoding="utf-8")
    (folder / ODD_NAME).write_text("Taliban fighters attacked Herat city on Monday, officials said.", encoding="utf-8")
    return folder


def lines_of(stream: str) -> list[str]:
    """Split CLI output into lines as a terminal shows them (progress-bar redraws end at \\r)."""
    return [part.strip() for line in stream.split("\n") for part in line.split("\r") if part.strip()]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory):
    """Build the hostile corpus once through the CLI, every format; keep exit code and output."""
    folder = make_corpus(tmp_path_factory.mktemp("hostile") / "in")
    out = folder.parent / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["build", str(folder), "--out", str(out), "--format", ",".join(ALL_FORMATS)])
    return {"code": code, "out": out, "folder": folder, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
            "seconds": time.perf_counter() - started, "dataset": rdf.load(out)}


def test_the_build_succeeds_and_names_each_bad_file_on_one_line(hostile):
    assert hostile["code"] == 0, hostile["stderr"]
    assert "Traceback" not in hostile["stderr"]
    assert f"built {len(BUILT)} articles ({len(SKIPPED)} skipped)" in hostile["stdout"]
    problems = [line for line in lines_of(hostile["stderr"]) if line.startswith("kg: ")]
    assert len(problems) == len(SKIPPED), problems
    for name, reason in SKIPPED.items():
        (line,) = [line for line in problems if f"{hostile['folder'] / name}:" in line]
        assert reason in line, line
    assert hostile["seconds"] < 120


def test_the_good_articles_are_built(hostile):
    sources = {str(o) for o in hostile["dataset"].objects(None, KG.sourcePath)}
    assert sources == BUILT


def all_text(graph: Graph) -> str:
    return "\n".join(str(o) for o in graph.objects() if isinstance(o, Literal))


def test_encodings_are_decoded_right(hostile):
    text = all_text(hostile["dataset"])
    assert "A café owner, Jérôme Laurent" in text  # Latin-1
    assert "the café district of Kandahar" in text and "the déjà-vu of 1996" in text  # UTF-8 and Latin-1 lines
    assert "The café near the bazaar in Maimana" in text  # UTF-16 with BOM
    assert "captured Dawlat Abad district of Balkh" in text  # UTF-16 without BOM
    assert "Ã" not in text and "\ufffd" not in text  # no mojibake, no replacement characters


def test_control_characters_and_bidi_overrides_never_reach_the_graph(hostile):
    text = all_text(hostile["dataset"])
    assert "Taliban fighters attacked Zaranj city on Monday, officials said." in text
    assert "The governor of Nimroz province said the Taliban had withdrawn" in text
    bad = {ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t"}
    assert not bad and not set(text) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b")


def test_html_scripts_styles_and_entities_are_not_read(hostile):
    text = all_text(hostile["dataset"])
    assert "Taliban fighters attacked Farah city on Wednesday" in text
    assert "attacked Ghazni city" in text and "Deep in the page, the governor of Ghazni" in text  # 5,000 divs deep
    assert not re.search(r"[A-Z]+-LEAK", text)
    for path in hostile["out"].glob("graph.*"):
        assert SECRET not in path.read_text("utf-8")  # the <!ENTITY SYSTEM "secret.dat"> was never resolved


def parsed_outputs(out: Path) -> dict[str, Graph]:
    """Parse every file the build wrote, each in its own format."""
    graphs: dict[str, Graph] = {n: Dataset(default_union=True).parse(out / n, format=f) for n, f in DATASET_FORMATS.items()}
    graphs.update({n: Graph().parse(out / n, format=f) for n, f in GRAPH_FORMATS.items()})
    return graphs


def test_dari_and_pashto_inside_an_english_article_survive_every_format(hostile):
    for name, graph in parsed_outputs(hostile["out"]).items():
        text = all_text(graph)
        assert "«ما صلح می\u200cخواهیم»" in text and "«موږ سوله غواړو»" in text, name


def same_dataset(expected: Dataset, got: Dataset) -> None:
    """Assert two datasets hold the same named graphs, each isomorphic, showing the difference."""
    def graphs(dataset: Dataset) -> dict[str, Graph]:
        return {str(g.identifier): g for g in dataset.graphs() if len(g)}
    want, have = graphs(expected), graphs(got)
    assert want.keys() == have.keys()
    for name, graph in want.items():
        if not isomorphic(graph, have[name]):
            _, only_expected, only_got = graph_diff(to_isomorphic(graph), to_isomorphic(have[name]))
            pytest.fail(f"graph {name} differs:\nmissing {sorted(only_expected)[:5]}\nextra {sorted(only_got)[:5]}")


def test_every_format_parses_back_to_the_same_graph(hostile):
    out = hostile["out"]
    reference = Dataset().parse(out / "graph.nq", format="nquads")
    for name, fmt in DATASET_FORMATS.items():
        same_dataset(reference, Dataset().parse(out / name, format=fmt))
    merged = rdf.merged(reference)
    for name, fmt in GRAPH_FORMATS.items():
        assert isomorphic(merged, Graph().parse(out / name, format=fmt)), name


def test_labels_that_break_turtle_ntriples_and_sparql_survive_every_format(hostile):
    for name, graph in parsed_outputs(hostile["out"]).items():
        assert HOSTILE_OUTLET in {str(o) for o in graph.objects(None, RDFS.label)}, name
        titles = {str(o) for o in graph.objects(None, DCTERMS.title)}
        assert 'He said "stop" \\ then left } > <script>\nsecond line' in titles, name


# --- names in other scripts --------------------------------------------------------------------

# Dari names as English news may quote them: two cities, two outlets ("Tolo News", "Ariana News").
KABUL, HERAT, KANDAHAR = "کابل", "هرات", "قندهار"
OUTLETS = {"tolo.txt": "طلوع نیوز", "ariana.txt": "آریانا نیوز"}


def test_names_in_other_scripts_get_slugs_of_their_own_and_latin_slugs_stay():
    assert slug(KABUL) != slug(HERAT) and slug(KABUL).startswith("x-")
    assert slug(KABUL) == slug(unicodedata.normalize("NFD", KABUL)) == slug(" کابُل ")  # Unicode form, harakat
    assert slug("Ministry of " + KABUL) != slug("Ministry of " + HERAT)
    assert slug("Ministry of " + KABUL).startswith("ministry-of-x-")
    latin = {"Qala-e-Naw": "qala-e-naw", "Mazār-i Sharīf": "mazar-i-sharif", "Joe Biden": "joe-biden",
             "Łódź": "odz", "???": "x", "": "x"}  # as kg has always minted them
    assert {label: slug(label) for label in latin} == latin


def test_places_named_in_dari_stay_apart():
    text = f"Fighting reached {KABUL} and {HERAT}; people of {KABUL} fled to {HERAT} province and {KANDAHAR} province."
    spans = [m.span() for m in re.finditer(f"(?:{HERAT}|{KANDAHAR}) province|{KABUL}|{HERAT}", text)]
    mentions = tuple(Mention(text[a:b], "City", Provenance("a1", a, b, text, "test")) for a, b in spans)
    entities, _ = resolve([Extraction(Article("a1", "a1.txt", text), mentions)])
    got = {e.label: len(e.mentions) for e in entities}  # before: two entities, "city/x" and "city/province"
    assert got == {KABUL: 2, HERAT: 1, f"{HERAT} province": 1, f"{KANDAHAR} province": 1}
    assert len({e.key for e in entities}) == 4


def test_outlets_named_in_dari_get_an_entity_each_and_the_same_bytes_each_time(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for number, name in enumerate(OUTLETS):
        (folder / name).write_text(f"Taliban fighters attacked Kunduz city on day {number}, officials said.", "utf-8")
    (folder / "metadata.json").write_text(json.dumps({n: {"outlet": o} for n, o in OUTLETS.items()}), "utf-8")
    outputs = []
    for run in ("one", "two"):
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["build", str(folder), "--out", str(tmp_path / run), "--no-cache", "--format", "nq"]) == 0
        outputs.append((tmp_path / run / "graph.nq").read_bytes())
    assert outputs[0] == outputs[1]
    dataset = rdf.load(tmp_path / "one")
    outlet_of = {str(dataset.value(article, KG.sourcePath)): dataset.value(article, KG.outlet)
                 for article in set(dataset.subjects(KG.outlet, None))}
    assert len(set(outlet_of.values())) == 2  # before: both articles credited to one "mediaorganization/x"
    for name, outlet in OUTLETS.items():
        assert str(dataset.value(outlet_of[name], RDFS.label)) == outlet


# --- long texts -------------------------------------------------------------------------------

def test_an_overlong_text_is_refused_quickly_with_the_limit_named(tmp_path):
    line = tmp_path / "line.txt"
    line.write_text("Taliban fighters attacked Kunduz city on Monday, officials said. " * 17_000, encoding="utf-8")
    started = time.perf_counter()
    (problem,) = load([line])
    assert isinstance(problem, Problem) and f"{line}: 1,104,999 characters of text" in problem.message
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("text, size", [
    ("".join(f"Paragraph {i} has a few words.\n\n" for i in range(12)), 70),
    ("".join(f"Sentence {i} ends here{'.!?'[i % 3]} " for i in range(30)), 60),
    ("nospacesatall" * 20, 50),
    ("word " * 100, 64),
])
def test_pieces_cover_the_text_and_cut_at_paragraphs_sentences_or_spaces(text, size):
    spans = pieces(text, size=size)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert all(0 < end - start <= size for start, end in spans)
    for start, end in spans[:-1]:
        piece = text[start:end]
        if "\n\n" in text:
            assert piece.endswith("\n\n")
        elif ". " in text:
            assert piece.endswith((". ", "! ", "? "))
        elif " " in text:
            assert piece.endswith(" ")


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    """The real spaCy pipeline, loaded once for the module."""
    return Extractor()


def every_provenance(record: object) -> list:
    from dataclasses import fields, is_dataclass

    from kg.model import Article, Provenance
    if isinstance(record, Provenance):
        return [record]
    if isinstance(record, tuple):
        return [p for item in record for p in every_provenance(item)]
    if is_dataclass(record) and not isinstance(record, Article):
        return [p for f in fields(record) for p in every_provenance(getattr(record, f.name))]
    return []


def test_a_text_longer_than_max_length_is_parsed_in_pieces_with_true_offsets(extractor, monkeypatch):
    articles = [a for a in load([SEEDS / "000_d0f3f7b6c0bef0f0.txt", SEEDS / "001_a002f47aaedc1999.txt"])]
    text = "\n\n".join(a.text for a in articles)
    article = parse(text, source="joined.txt", html=False)
    (whole,) = extractor.extract([article])
    monkeypatch.setattr(extractor.nlp, "max_length", 2500)  # spaCy would raise E088 on the whole text
    (pieced,) = extractor.extract([article])
    assert len(pieces(article.text, size=2500)) >= 3
    assert {(m.start, m.end) for m in pieced.mentions} == {(m.start, m.end) for m in whole.mentions}
    typed = {(m.start, m.end): m.type for m in whole.mentions}
    retyped = [m for m in pieced.mentions if typed[m.start, m.end] != m.type]
    assert len(retyped) <= 0.02 * len(whole.mentions)  # a piece sees less context for typing than the article
    for mention in pieced.mentions:
        assert article.text[mention.start:mention.end] == mention.text
    for provenance in every_provenance((pieced.relations, pieced.holdings, pieced.events)):
        assert 0 <= provenance.start < provenance.end <= len(article.text)
        assert provenance.sentence in article.text


def test_one_line_without_any_break_is_cut_at_sentences(extractor, monkeypatch):
    text = " ".join(f"Taliban fighters attacked Kunduz city on day {i}, the governor of Balkh province said." for i in range(60))
    article = parse(text, source="line.txt", html=False)
    monkeypatch.setattr(extractor, "chunk_chars", 1000)
    (pieced,) = extractor.extract([article])
    kunduz = [m for m in pieced.mentions if m.text == "Kunduz"]
    assert len(kunduz) == 60 and all(text[m.start:m.end] == "Kunduz" for m in kunduz)


# --- any text round-trips through every format (hypothesis) -----------------------------------

NASTY = list("\"'\\<>{}[]();#?&%@!*|^`~$.,:-_/ \n\n\t\r\x00\x07\x1b\x7f\x85\u00a0\u200b\u200c\u202e\u2028\u2029\ufeff\ufffd"
             "\ufffe\uffff\U0001f600\u0301")
ARABIC_SCRIPT = list("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیټډړږښګڼېۍځڅ")
TEMPLATES = (
    "Commander {name} said on Monday that Taliban fighters attacked Kunduz, officials said.\n\n{free}",
    "The governor of {name} province, {name} Khan, said the {name} Front attacked Herat on Friday.",
    "{free}\n\nAfghan forces recaptured {name} district of Faryab province on Thursday, the ministry said.",
    "{free}",
)
pieces_of_text = st.text(alphabet=st.one_of(st.sampled_from(NASTY), st.sampled_from(ARABIC_SCRIPT),
                                            st.characters(codec="utf-8"), st.sampled_from(list("KabulHerat "))),
                         max_size=60)


@st.composite
def articles(draw: st.DrawFn) -> tuple[str, dict]:
    """Draw an article text built around hostile names, and metadata made of them."""
    name, free = draw(pieces_of_text.filter(str.strip)), draw(pieces_of_text)
    text = draw(st.sampled_from(TEMPLATES)).format(name=name, free=free)
    return text, {"outlet": draw(pieces_of_text.filter(str.strip)), "title": draw(pieces_of_text)}


def round_trip(dataset: Dataset) -> None:
    """Render the dataset in every format, parse each back and compare (per graph for datasets)."""
    merged = rdf.merged(dataset)
    for fmt, (_, syntax) in rdf.FORMATS.items():
        text = rdf.render(dataset, fmt)
        if fmt in ("trig", "nq", "jsonld"):
            same_dataset(dataset, Dataset().parse(data=text, format=syntax))
        else:
            assert isomorphic(merged, Graph().parse(data=text, format=syntax)), fmt


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                                  HealthCheck.function_scoped_fixture])
@given(drawn=articles())
def test_any_text_gives_a_graph_every_format_reads_back(extractor, drawn):
    text, meta = drawn
    try:
        article = parse(text, source="drawn \"x\" } >.txt", html=False, meta=meta)
    except InputError:
        return  # nothing of it is text (only furniture or blanks): reported, never built
    (extraction,) = extractor.extract([article])
    dataset, _ = assemble([extraction], settings=Settings(link=False))
    assert len(dataset) > 0
    round_trip(dataset)
