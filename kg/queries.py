"""Stored SPARQL queries: find them by name, bind parameters, run them, format results.

Each `.rq` file in queries/ starts with a comment block:
`# title:`, `# description:`, `# param: NAME = DEFAULT — text` (one per
parameter; a default of `(all)` leaves the variable unbound), `# columns:`.
Parameters are bound as RDF terms (initBindings locally), never pasted into text.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Literal, URIRef, Variable
from rdflib.term import Node

from kg.errors import QueryError
from kg.resources import project_path

_PARAM = re.compile(
    r"^#\s*param:\s*(?P<name>\w+)\s*(?:=\s*(?P<default>[^—]*?))?\s*(?:—|--)\s*(?P<text>.*)$"
)
UNBOUND = "(all)"


@dataclass(frozen=True)
class Param:
    """A query parameter: its variable name, default and description."""

    name: str
    default: str | None
    description: str


@dataclass(frozen=True)
class StoredQuery:
    """A stored query with the metadata of its header."""

    name: str
    path: Path
    text: str
    title: str
    description: str
    params: tuple[Param, ...]
    columns: tuple[str, ...]


def parse_header(name: str, path: Path, text: str) -> StoredQuery:
    """Read a query's comment header into a StoredQuery."""
    title, description, columns, params = name, "", (), []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if found := _PARAM.match(line):
            default = (found.group("default") or "").strip() or None
            params.append(
                Param(
                    found.group("name"),
                    None if default == UNBOUND else default,
                    found.group("text").strip(),
                )
            )
        elif line.lower().startswith("# title:"):
            title = line.split(":", 1)[1].strip()
        elif line.lower().startswith("# description:"):
            description = line.split(":", 1)[1].strip()
        elif line.lower().startswith("# columns:"):
            columns = tuple(c.strip() for c in line.split(":", 1)[1].split(","))
    return StoredQuery(name, path, text, title, description, tuple(params), columns)


def stored(folder: Path | None = None) -> dict[str, StoredQuery]:
    """Return the stored queries by name, from queries/ (or another folder)."""
    folder = folder or project_path("queries")
    return {
        p.stem: parse_header(p.stem, p, p.read_text("utf-8")) for p in sorted(folder.glob("*.rq"))
    }


def find(name_or_file: str) -> StoredQuery:
    """Return a stored query by name, or read a .rq file given by path.

    Raises:
        QueryError: when neither exists.
    """
    path = Path(name_or_file)
    if path.suffix == ".rq" and path.is_file():
        return parse_header(path.stem, path, path.read_text("utf-8"))
    queries = stored()
    if name_or_file not in queries:
        raise QueryError(
            f"unknown query {name_or_file!r}; `kg query --list` shows the {len(queries)} stored queries"
        )
    return queries[name_or_file]


def term(value: str) -> Node:
    """Turn a parameter value into an RDF term: <iri>, an http(s) IRI, a number or a string."""
    if value.startswith("<") and value.endswith(">"):
        return URIRef(value[1:-1])
    if re.match(r"^https?://\S+$", value):
        return URIRef(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return Literal(value, datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))
    if re.fullmatch(r"-?\d+", value):
        return Literal(int(value))
    return Literal(value)


def bindings(query: StoredQuery, given: dict[str, str]) -> dict[str, Node]:
    """Combine given parameter values with defaults, as RDF terms.

    Raises:
        QueryError: for a parameter the query does not declare.
    """
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise QueryError(
            f"query {query.name!r} has no parameter {', '.join(unknown)} (it takes: {names})"
        )
    values = {name: p.default for name, p in declared.items() if p.default is not None}
    values.update(given)
    return {name: term(value) for name, value in values.items()}


def run_local(
    query: StoredQuery, dataset: Dataset, given: dict[str, str] | None = None
) -> tuple[list[str], list[dict[str, Node]]]:
    """Run a SELECT query on a local Dataset (default graph = union of named graphs).

    Raises:
        QueryError: for a syntax error (with line and column) or a bad parameter.
    """
    bound = bindings(query, given or {})
    try:
        result = dataset.query(query.text, initBindings={Variable(k): v for k, v in bound.items()})
    except Exception as exc:  # pyparsing and rdflib raise many kinds for bad SPARQL
        raise QueryError(f"{query.path}: {_syntax_message(exc)}") from exc
    if result.type != "SELECT":
        raise QueryError(
            f"{query.path}: only SELECT queries can be tabulated (this is {result.type})"
        )
    variables = [str(v) for v in result.vars]
    rows = [{str(k): v for k, v in row.asdict().items()} for row in result]
    return variables, rows


def _syntax_message(exc: Exception) -> str:
    line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
    where = f"line {line}, column {column}: " if line is not None else ""
    return f"SPARQL error: {where}{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"


def _cell(value: Node | None) -> str:
    return "" if value is None else str(value)


def render(variables: list[str], rows: list[dict[str, Node]], fmt: str) -> str:
    """Format results as table, csv, tsv or json (SPARQL 1.1 JSON results)."""
    if fmt == "json":
        bindings_out = []
        for row in rows:
            entry = {}
            for name, value in row.items():
                if isinstance(value, URIRef):
                    entry[name] = {"type": "uri", "value": str(value)}
                elif isinstance(value, Literal):
                    entry[name] = {"type": "literal", "value": str(value)}
                    if value.language:
                        entry[name]["xml:lang"] = value.language
                    elif value.datatype:
                        entry[name]["datatype"] = str(value.datatype)
                elif value is not None:
                    entry[name] = {"type": "bnode", "value": str(value)}
            bindings_out.append(entry)
        return (
            json.dumps(
                {"head": {"vars": variables}, "results": {"bindings": bindings_out}},
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow(
                [
                    _cell(row.get(v)).replace("\t", " ").replace("\n", " ")
                    if fmt == "tsv"
                    else _cell(row.get(v))
                    for v in variables
                ]
            )
        return buffer.getvalue()
    cells = [[_cell(row.get(v)).replace("\n", " ") for v in variables] for row in rows]
    widths = [min(60, max([len(v)] + [len(c[i]) for c in cells])) for i, v in enumerate(variables)]

    def line(values: list[str]) -> str:
        return "  ".join(
            (value if len(value) <= w else value[: w - 1] + "…").ljust(w)
            for value, w in zip(values, widths)
        ).rstrip()

    out = [line(variables), line(["-" * w for w in widths])] + [line(c) for c in cells]
    return "\n".join(out) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"
