"""The article loader: furniture removal, metadata, the page-print trap, bad input."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.articles import Problem, decode, load, parse, shown
from kg.errors import InputError
from kg.language import foreign_language
from tests.conftest import ROOT, SEEDS

FURNITURE = ["Accessibility links", "Breaking News", "Leave a Reply", "Loading...", "<img", "facebook.com/tr",
             "Linkedin Pinterest", "Back to top button", "Click here to see the interactive", "16x9 Image",
             "Radio Azadi is one of the most popular", "Required fields are marked", "News / Nation & World",
             "Mehtarlam (red mark)", "Smoke rises from houses during fighting"]


@pytest.fixture(scope="module")
def seeds():
    items = list(load([SEEDS]))
    assert all(not isinstance(i, Problem) for i in items), items
    return {a.source: a for a in items}


def test_all_five_seeds_load(seeds):
    assert len(seeds) == 5


@pytest.mark.parametrize("furniture", FURNITURE)
def test_page_furniture_is_removed(seeds, furniture):
    assert not any(furniture in a.text for a in seeds.values())


def test_body_text_is_kept(seeds):
    text = seeds["002_4939783a04e9bdd2.txt"].text
    assert "Provincial governor Husamuddin Shams told Reuters" in text
    assert "Iran on Wednesday hosted Taliban" in text


def test_in_text_metadata_is_found(seeds):
    bloomberg = seeds["001_a002f47aaedc1999.txt"]
    assert bloomberg.published == "2021-06-22"
    assert "Eltaf Najafizada" in bloomberg.authors
    assert bloomberg.title == "Taliban besiege key Afghan city with U.S. set to exit"
    assert {"AP", "AFP", "dpa"} <= set(seeds["003_03fd354f3bc39da9.txt"].contributors)


def test_page_print_date_never_beats_the_labelled_publication_date(seeds):
    assert all(not (a.published or "").startswith("2024") for a in seeds.values())
    article = parse("Wednesday, April 24, 2024\nPublished: June 22, 2021, 4:31pm\n\n"
                    "The governor said the city was calm on Monday.", source="x.txt", html=False)
    assert (article.published, article.published_precision) == ("2021-06-22", "day")


@pytest.mark.parametrize("masthead, published, precision", [
    ("Tuesday 3 August 2021 16:05 AFT", "2021-08-03", "day"),
    ("18 July 2021", "2021-07-18", "day"),
    ("July 2021", "2021-07", "month"),
])
def test_a_date_line_above_the_story_is_its_date(masthead, published, precision):
    article = parse(f"KABUL LEDGER\n{masthead}\n\nTaliban seize district\n\n"
                    "The governor said the city was calm on Monday.", source="x.txt", html=False)
    assert (article.published, article.published_precision) == (published, precision)
    assert masthead not in article.text


def test_text_metadata_without_sidecar(tmp_path):
    (tmp_path / "a.txt").write_text(
        "Taliban seize district in Kunduz\n\nBy Jane Roe, Reuters\nPublished: March 3, 2021\n\n"
        "Taliban fighters seized the Imam Sahib district of Kunduz province on Tuesday, officials said.\n"
        "\nShare this article\n", encoding="utf-8")
    (article,) = load([tmp_path])
    assert article.published == "2021-03-03" and article.authors == ("Jane Roe",) and article.outlet == "Reuters"
    assert "Share this article" not in article.text and article.title == "Taliban seize district in Kunduz"


def test_article_without_any_metadata(tmp_path):
    (tmp_path / "bare.txt").write_text("Fighting continued near Herat on Sunday, residents said.", encoding="utf-8")
    (article,) = load([tmp_path])
    assert article.published is None and article.title is None and article.outlet is None
    assert article.text.startswith("Fighting continued near Herat")


def test_html_article(tmp_path):
    (tmp_path / "page.html").write_text(
        "<html><head><title>Ignored - Site</title><meta property='og:title' content='Clashes in Faryab'>"
        "<meta property='article:published_time' content='2021-07-09T10:00:00Z'>"
        "<meta property='og:site_name' content='Pajhwok Afghan News'><script>var x = 'Taliban';</script>"
        "<style>.a{}</style></head><body><nav>Home | World</nav><div class='share-bar'>Share Facebook</div>"
        "<article><h1>Clashes in Faryab</h1><p>Government forces retook the Qaisar district of Faryab province "
        "on Thursday, the governor said.</p><figure><figcaption>A file photo.</figcaption></figure></article>"
        "<footer>Copyright 2021</footer></body></html>", encoding="utf-8")
    (article,) = load([tmp_path])
    assert article.title == "Clashes in Faryab" and article.published == "2021-07-09"
    assert article.outlet == "Pajhwok Afghan News"
    assert article.text == "Government forces retook the Qaisar district of Faryab province on Thursday, the governor said."


def test_bad_inputs_are_reported_and_the_rest_load(tmp_path):
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "latin1.txt").write_bytes("Fighting reached the café district of Herat, said Jérôme Laurent.".encode("latin-1"))
    (tmp_path / "french.txt").write_text("Les talibans ont attaqué la ville de Kunduz lundi, a déclaré le gouverneur "
                                         "de la province.", encoding="utf-8")
    (tmp_path / "good.txt").write_text("Taliban fighters attacked Kunduz city on Monday, officials said.", encoding="utf-8")
    items = list(load([tmp_path, tmp_path / "missing.txt"]))
    problems = {Path(p.source).name: p.message for p in items if isinstance(p, Problem)}
    articles = [a for a in items if not isinstance(a, Problem)]
    assert "empty file" in problems["empty.txt"]
    assert "binary" in problems["image.txt"]
    assert "no such file" in problems["missing.txt"]
    assert {a.source for a in articles} == {"good.txt", "latin1.txt"}
    assert "Jérôme" in next(a for a in articles if a.source == "latin1.txt").text
    assert "the text is in French, not English" in problems["french.txt"]


# --- decoding whatever a scraper saved -----------------------------------------------------------

SENTENCE = "Taliban fighters attacked the café in Herat on Monday, officials said."


@pytest.mark.parametrize("encoded", [
    codecs.BOM_UTF8 + SENTENCE.encode(),
    codecs.BOM_UTF16_LE + SENTENCE.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + SENTENCE.encode("utf-16-be"),
    SENTENCE.encode("utf-16-le"),  # no BOM
    SENTENCE.encode("utf-16-be"),
    SENTENCE.encode("utf-32"),  # with its BOM
    SENTENCE.encode("latin-1"),
    SENTENCE.encode("cp1252"),
], ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "utf32", "latin1", "cp1252"])
def test_every_common_encoding_decodes_to_the_same_text(encoded):
    assert decode(encoded, source="x.txt").lstrip("\ufeff") == SENTENCE


def test_windows_1252_quotes_and_euro_are_read_as_such():
    raw = "The \u201cGovernor\u201d said 5 \u20ac was the fee \u2013 officials said.".encode("cp1252")
    assert decode(raw, source="x.txt") == "The \u201cGovernor\u201d said 5 \u20ac was the fee \u2013 officials said."


def test_a_file_mixing_utf8_and_latin1_lines_decodes_each_line_right():
    raw = "Le café était fermé, officials said.\n".encode() + "Le café était fermé, he said.\n".encode("latin-1")
    assert decode(raw, source="x.txt") == "Le café était fermé, officials said.\nLe café était fermé, he said.\n"


@pytest.mark.parametrize("raw, kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
    (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive or Office document"),
    (gzip.compress(SENTENCE.encode()), "gzip-compressed data"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
    (bytes(range(256)) * 8, "control bytes"),
    (b"\x00" * 64, "control bytes"),
])
def test_binary_files_are_refused_and_named(raw, kind):
    with pytest.raises(InputError, match=rf"x\.txt: binary file \(.*{kind}.*\), not text"):
        decode(raw, source="x.txt")


def test_a_few_control_characters_do_not_make_text_binary():
    raw = b"Taliban fighters\x00 attacked\x07 Zaranj on Monday, officials said.\x1b[0m"
    article = parse(decode(raw, source="x.txt"), source="x.txt", html=False)
    assert article.text == "Taliban fighters attacked Zaranj on Monday, officials said."


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=3000))
def test_any_bytes_give_an_article_or_one_problem_line(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("bytes") / "any.txt"
    path.write_bytes(raw)
    (item,) = load([path])
    if isinstance(item, Problem):
        assert item.message.startswith(f"{path}: ") and "\n" not in item.message
    else:
        assert item.text.strip() and not any(ch in item.text for ch in "\x00\x1b\x7f\ufeff")


def test_file_names_are_shown_on_one_line(tmp_path):
    (tmp_path / "bad\nname.txt").write_bytes(b"")
    (problem,) = load([tmp_path])
    assert problem.message == f"{tmp_path}/bad\\nname.txt: empty file (no text to read)"
    assert shown("a\tb\u202e.txt") == "a\\tb\\u202e.txt"


# --- language ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, language", [
    (("Die Taliban haben am Montag die Stadt Kundus angegriffen, teilten Beamte mit. Der Gouverneur der Provinz "
      "sagte, die Regierungstruppen hätten sie zurückgedrängt."), "German"),
    (("Los talibanes atacaron el lunes la ciudad de Kunduz, dijeron las autoridades. El gobernador de la provincia "
      "dijo que las fuerzas del gobierno los hicieron retroceder."), "Spanish"),
    (("Pejuang Taliban menyerang kota Kunduz pada hari Senin, kata para pejabat. Gubernur provinsi mengatakan "
      "pasukan pemerintah telah memukul mundur mereka."), "Indonesian"),
    ("Талибы в понедельник атаковали город Кундуз, заявили официальные лица.", "Cyrillic script"),
    ("هاجم مقاتلو طالبان مدينة قندوز يوم الاثنين، حسبما قال مسؤولون.", "Arabic"),
    ("طالبان جنگجوؤں نے پیر کے روز قندوز شہر پر حملہ کیا، حکام نے بتایا۔", "Urdu (Arabic script)"),
])
def test_other_languages_are_named(text, language):
    assert foreign_language(text) == language


def test_english_is_never_taken_for_another_language(seeds):
    articles = [a for a in load([ROOT / "tests" / "articles"]) if not isinstance(a, Problem)]
    for article in [*seeds.values(), *articles]:
        assert foreign_language(article.text) is None, article.source
    assert foreign_language("Taliban fighters attacked Kunduz city on Monday, officials said.") is None
    assert foreign_language("Kunduz, Herat, Kabul, Mazar-e-Sharif, Kandahar, Lashkar Gah, Ghazni, Qala-e-Naw.") is None
