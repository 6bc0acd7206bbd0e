"""The article loader: furniture removal, metadata, the page-print trap, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.articles import Problem, load, parse
from tests.conftest import SEEDS

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


def test_page_print_date_never_becomes_publication_date(seeds):
    assert all(not (a.published or "").startswith("2024") for a in seeds.values())
    article = parse("Wednesday, April 24, 2024\n\nThe governor said the city was calm on Monday.", source="x.txt", html=False)
    assert article.published is None


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
    (tmp_path / "latin1.txt").write_bytes("Les talibans ont attaqué la ville, a déclaré le gouverneur.".encode("latin-1"))
    (tmp_path / "good.txt").write_text("Taliban fighters attacked Kunduz city on Monday, officials said.", encoding="utf-8")
    items = list(load([tmp_path, tmp_path / "missing.txt"]))
    problems = {Path(p.source).name: p.message for p in items if isinstance(p, Problem)}
    articles = [a for a in items if not isinstance(a, Problem)]
    assert "empty file" in problems["empty.txt"]
    assert "binary" in problems["image.txt"]
    assert "no such file" in problems["missing.txt"]
    assert {a.source for a in articles} == {"good.txt", "latin1.txt"}
    assert "attaqué" in next(a for a in articles if a.source == "latin1.txt").text
