"""Stored SPARQL queries: find them by name, bind parameters, run them locally or remotely.

Each `.rq` file in queries/ starts with a comment block:
`# title:`, `# description:`, `# param: NAME = DEFAULT — text` (one per
parameter; a default of `(all)` leaves the variable unbound, no default at all
makes the parameter required), `# columns:`, and `# network: URL` for a query
that calls a remote service. Parameters are bound as RDF terms, never pasted
into the text: locally with rdflib's initBindings, remotely as a VALUES block
of `Node.n3()` terms (see `kg.engines.with_values`). Stored queries use a
parameter only in FILTERs of the outermost group or as a join variable of
required patterns, where both ways of binding mean the same (a FILTER in a
nested group would see rdflib's binding but not the VALUES block).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from kg.engines import evaluate, query_form, with_values
from kg.errors import QueryError
from kg.resources import project_path
from kg.results import Result, render, render_result

__all__ = [
    "UNBOUND",
    "Param",
    "Result",
    "StoredQuery",
    "bindings",
    "check_syntax",
    "find",
    "render",
    "render_result",
    "run",
    "run_local",
    "stored",
    "term",
    "with_values",
]

_PARAM = re.compile(
    r"^#\s*param:\s*(?P<name>\w+)\s*(?:=\s*(?P<default>[^—]*?))?\s*(?:—|--)\s*(?P<text>.*)$"
)
UNBOUND = "(all)"
_NOT_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")


@dataclass(frozen=True)
class Param:
    """A query parameter: its variable name, default, description and whether it is required."""

    name: str
    default: str | None
    description: str
    required: bool = False


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
    network: str | None = None

    @property
    def form(self) -> str:
        """Return the query form: SELECT, CONSTRUCT, DESCRIBE or ASK."""
        return query_form(self.text)


def parse_header(name: str, path: Path, text: str) -> StoredQuery:
    """Read a query's comment header into a StoredQuery."""
    title, description, columns, params, network = name, "", (), [], None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key = line[1:].split(":", 1)[0].strip().lower()
        value = line.split(":", 1)[1].strip() if ":" in line else ""
        if found := _PARAM.match(line):
            default = found.group("default")
            default = default.strip() if default is not None else None
            params.append(
                Param(
                    found.group("name"),
                    None if default in (UNBOUND, None, "") else default,
                    found.group("text").strip(),
                    required=default is None,
                )
            )
        elif key == "title":
            title = value
        elif key == "description":
            description = value
        elif key == "columns":
            columns = tuple(c.strip() for c in value.split(",") if c.strip())
        elif key == "network":
            network = value or None
    return StoredQuery(name, path, text, title, description, tuple(params), columns, network)


def stored(folder: Path | None = None) -> dict[str, StoredQuery]:
    """Return the stored queries by name, from queries/ (or another folder)."""
    folder = folder or project_path("queries")
    return {
        p.stem: parse_header(p.stem, p, p.read_text("utf-8")) for p in sorted(folder.glob("*.rq"))
    }


def find(name_or_file: str) -> StoredQuery:
    """Return a stored query by name, or read a .rq file given by path.

    Raises:
        QueryError: when neither exists (naming the stored queries with similar names).
    """
    path = Path(name_or_file)
    if path.suffix == ".rq":
        if not path.is_file():
            raise QueryError(f"no query file {path}: check the path, or give a stored query name")
        return parse_header(path.stem, path, path.read_text("utf-8"))
    queries = stored()
    if name_or_file in queries:
        return queries[name_or_file]
    near = difflib.get_close_matches(name_or_file, list(queries), n=3, cutoff=0.5)
    near += [n for n in queries if name_or_file and name_or_file in n and n not in near][:3]
    hint = f"did you mean {', '.join(near)}? " if near else ""
    raise QueryError(
        f"unknown query {name_or_file!r}; {hint}`kg query --list` shows the "
        f"{len(queries)} stored queries"
    )


def term(value: str) -> Node:
    """Turn a parameter value into an RDF term: <iri>, an http(s) IRI, a date, an integer or a string.

    Raises:
        QueryError: for an IRI with characters no IRI may hold (spaces, quotes, <>{}|^`\\).
    """
    if value.startswith("<") and value.endswith(">"):
        if _NOT_IRI.search(value[1:-1]):
            raise QueryError(
                f"parameter value {value!r} is not a valid IRI (no spaces, quotes or any of <>{{}}|^`\\)"
            )
        return URIRef(value[1:-1])
    if re.match(r"^https?://[^<>\"{}|^`\\\x00-\x20]+$", value):
        return URIRef(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return Literal(value, datatype=XSD_DATE)
    if re.fullmatch(r"-?\d+", value):
        return Literal(int(value))
    return Literal(value)


def bindings(query: StoredQuery, given: Mapping[str, str]) -> dict[str, Node]:
    """Combine given parameter values with defaults, as RDF terms.

    Raises:
        QueryError: for a parameter the query does not declare, or a required one not given.
    """
    declared = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise QueryError(
            f"query {query.name!r} has no parameter {', '.join(unknown)} (it takes: {names})"
        )
    missing = [p for p in query.params if p.required and p.name not in given]
    if missing:
        first = missing[0]
        raise QueryError(
            f"query {query.name!r} needs --param {first.name}=VALUE ({first.description})"
        )
    values = {name: p.default for name, p in declared.items() if p.default is not None}
    values.update(given)
    return {name: term(value) for name, value in values.items()}


def check_syntax(query: StoredQuery) -> None:
    """Parse the query with rdflib's SPARQL parser.

    Raises:
        QueryError: naming the file, line and column of a syntax error.
    """
    try:
        prepareQuery(query.text)
    except Exception as exc:  # pyparsing's ParseException, or rdflib's errors on bad prefixes
        raise QueryError(f"{query.path}: {_syntax_message(exc)}") from None


def run(
    query: StoredQuery,
    *,
    data: Dataset | Path | None = None,
    endpoint: str | None = None,
    given: Mapping[str, str] | None = None,
    timeout: float = 60,
    engine: str = "auto",
) -> Result:
    """Run a query on a local graph (`data`) or a SPARQL endpoint, parameters bound.

    Args:
        query: the stored query (or one read from a .rq file).
        data: a Dataset, or a built graph folder or RDF file (its default graph
            is the union of the named graphs).
        endpoint: a SPARQL query endpoint URL instead of `data`.
        given: parameter values as text (see `term`); defaults fill the rest.
        timeout: seconds to wait for the endpoint.
        engine: local engine, "auto", "rdflib" or "pyoxigraph" (see `kg.engines.evaluate`).

    Raises:
        QueryError: unknown or missing parameter, syntax error, or a failure while evaluating.
        StoreError: the endpoint is unreachable or refused the query.
    """
    if (data is None) == (endpoint is None):
        raise QueryError("give either local data or an endpoint to run the query on")
    bound = bindings(query, given or {})
    check_syntax(query)
    if endpoint is not None:
        return _run_remote(query, endpoint, bound, timeout=timeout)
    return evaluate(query.text, data, bound, where=str(query.path), engine=engine)  # type: ignore[arg-type]


def run_local(
    query: StoredQuery, dataset: Dataset, given: Mapping[str, str] | None = None
) -> tuple[list[str], list[dict[str, Node]]]:
    """Run a SELECT query on a local Dataset (default graph = union of named graphs).

    Raises:
        QueryError: for a syntax error (with line and column), a bad parameter, or not a SELECT.
    """
    result = run(query, data=dataset, given=given)
    if result.form != "SELECT":
        raise QueryError(
            f"{query.path}: only SELECT queries can be tabulated (this is {result.form})"
        )
    return result.variables, result.rows


def _run_remote(
    query: StoredQuery, endpoint: str, bound: Mapping[str, Node], *, timeout: float
) -> Result:
    """Send the query, parameters as a VALUES block, through SPARQLWrapper."""
    from kg import remote

    text = with_values(query.text, bound)
    form = query.form
    if form == "SELECT":
        variables, rows = remote.select(endpoint, text, timeout=timeout)
        return Result("SELECT", variables, rows, engine=endpoint)
    if form == "ASK":
        return Result("ASK", answer=remote.ask(endpoint, text, timeout=timeout), engine=endpoint)
    return Result(form, graph=remote.construct(endpoint, text, timeout=timeout), engine=endpoint)


def _syntax_message(exc: Exception) -> str:
    line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
    message = getattr(exc, "msg", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    if line is None:
        return f"SPARQL syntax error: {message}"
    near = (getattr(exc, "line", "") or "").strip()
    near = f" in {near[:80]!r}" if near else ""
    return f"SPARQL syntax error at line {line}, column {column}: {message}{near}"
