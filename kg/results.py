"""Query results and their text forms: table, CSV, TSV, SPARQL JSON, Turtle."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import QueryError

__all__ = ["TABLE_FORMATS", "Result", "json_term", "render", "render_result"]

TABLE_FORMATS = ("table", "csv", "tsv", "json")


@dataclass(frozen=True)
class Result:
    """What a query gave: rows for SELECT, a graph for CONSTRUCT/DESCRIBE, a boolean for ASK."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    graph: Graph | None = None
    answer: bool | None = None
    engine: str = ""  # "rdflib", "pyoxigraph" or the endpoint URL that answered


def render_result(result: Result, fmt: str | None) -> str:
    """Format any result: rows as `render` does, a graph as Turtle, ASK as true/false.

    `fmt` None picks table for rows and ttl for a graph.

    Raises:
        QueryError: the format does not fit the result (ttl for rows, a table for a graph).
    """
    if result.graph is not None:
        if fmt not in (None, "ttl"):
            raise QueryError(f"a {result.form} query gives a graph, not a table: use --format ttl")
        result.graph.bind("kg", "https://w3id.org/kg-news/ontology#")
        return result.graph.serialize(format="turtle")
    if fmt == "ttl":
        raise QueryError(
            f"a {result.form} query gives {'a boolean' if result.form == 'ASK' else 'rows'}, "
            "not a graph: use --format table, csv, tsv or json (ttl is for CONSTRUCT and DESCRIBE)"
        )
    if result.answer is not None:
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": result.answer}) + "\n"
        return ("true" if result.answer else "false") + "\n"
    return render(result.variables, result.rows, fmt or "table")


def _cell(value: Node | None) -> str:
    return "" if value is None else str(value)


def json_term(value: Node) -> dict[str, str]:
    """Return an RDF term in the SPARQL 1.1 JSON results form."""
    if isinstance(value, URIRef):
        return {"type": "uri", "value": str(value)}
    if isinstance(value, Literal):
        entry = {"type": "literal", "value": str(value)}
        if value.language:
            entry["xml:lang"] = value.language
        elif value.datatype:
            entry["datatype"] = str(value.datatype)
        return entry
    return {"type": "bnode", "value": str(value)}


def render(variables: list[str], rows: list[dict[str, Node]], fmt: str) -> str:
    """Format results as table, csv, tsv or json (SPARQL 1.1 JSON results)."""
    if fmt == "json":
        bindings_out = [
            {name: json_term(value) for name, value in row.items() if value is not None}
            for row in rows
        ]
        document = {"head": {"vars": variables}, "results": {"bindings": bindings_out}}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writerow(variables)
        for row in rows:
            cells = [_cell(row.get(v)) for v in variables]
            if fmt == "tsv":  # TSV has no quoting: tabs and line breaks would split cells
                cells = [c.replace("\t", " ").replace("\n", " ") for c in cells]
            writer.writerow(cells)
        return buffer.getvalue()
    cells = [[_cell(row.get(v)).replace("\n", " ") for v in variables] for row in rows]
    widths = [min(60, max([len(v)] + [len(c[i]) for c in cells])) for i, v in enumerate(variables)]

    def line(values: list[str]) -> str:
        return "  ".join(
            (value if len(value) <= w else value[: w - 1] + "…").ljust(w)
            for value, w in zip(values, widths, strict=True)
        ).rstrip()

    out = [line(variables), line(["-" * w for w in widths])] + [line(c) for c in cells]
    return "\n".join(out) + f"\n({len(rows)} row{'s' if len(rows) != 1 else ''})\n"
