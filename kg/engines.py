"""Local SPARQL evaluation: rdflib's engine, or pyoxigraph for graph files of some size.

rdflib is the programming interface (Datasets in, rdflib terms out) and the
reference engine. Measured on every stored query (benchmarks/query_engines.py,
figures in the README), pyoxigraph answers 30 to 900 times faster from 10,000
quads on, where rdflib already needs 12 to 40 s for the event queries, and
loads files 10 to 15 times faster. So a graph file or folder of LARGE quads or
more is queried with pyoxigraph when it is installed; results come back as
rdflib terms either way. A Dataset stays with rdflib unless asked otherwise:
copying it into pyoxigraph costs about 13 s per 500,000 quads. Parameters reach
rdflib as initBindings and pyoxigraph as a VALUES block (its SEP-0007
substitutions refuse variables that are not projected).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.term import Node

from kg.errors import OutputError, QueryError
from kg.results import Result

__all__ = ["ENGINES", "LARGE", "evaluate", "query_form", "with_values"]

#: Quads from which a graph file is queried with pyoxigraph (when installed): above
#: the bundled seed build, below the size where rdflib takes seconds per query.
LARGE = 5_000
ENGINES = ("auto", "rdflib", "pyoxigraph")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_RDF_FORMATS = {".trig": "TRIG", ".nq": "N_QUADS", ".ttl": "TURTLE", ".nt": "N_TRIPLES",
                ".jsonld": "JSON_LD", ".rdf": "RDF_XML"}  # fmt: skip


def evaluate(
    text: str,
    data: Dataset | Path,
    bound: Mapping[str, Node],
    *,
    where: str,
    engine: str = "auto",
) -> Result:
    """Run a query on a Dataset or a built graph (folder or RDF file), parameters bound.

    Args:
        text: the query text.
        data: an rdflib Dataset, or a path that `kg.rdf.load` accepts.
        bound: parameter values by variable name.
        where: the query's file, for messages.
        engine: "rdflib", "pyoxigraph", or "auto": pyoxigraph for a path holding
            LARGE quads or more when it is installed, rdflib otherwise. A Dataset
            stays with rdflib under "auto": copying it into pyoxigraph costs more
            than many queries (13 s for 500,000 quads).

    Raises:
        QueryError: unknown engine, pyoxigraph asked for but missing, or the evaluation failed.
        OutputError: the graph cannot be read.
    """
    if engine not in ENGINES:
        raise QueryError(f"unknown query engine {engine!r}: choose {', '.join(ENGINES)}")
    if engine == "pyoxigraph" or (engine == "auto" and not isinstance(data, Dataset)):
        store = _oxigraph_store(data, required=engine == "pyoxigraph")
        if store is not None and (engine == "pyoxigraph" or len(store) >= LARGE):
            return _run_oxigraph(text, store, bound, where=where)
    if not isinstance(data, Dataset):
        from kg import rdf

        data = rdf.load(Path(data))
    return _run_rdflib(text, data, bound, where=where)


def _oxigraph_store(data: Dataset | Path, *, required: bool) -> Any:
    """Return a pyoxigraph Store holding `data`, or None when pyoxigraph is not installed."""
    try:
        import pyoxigraph as ox
    except ImportError:  # an optional speed-up: rdflib answers the same queries
        if required:
            raise QueryError(
                "the pyoxigraph engine is not installed: pip install pyoxigraph"
            ) from None
        return None
    store = ox.Store()
    if isinstance(data, Dataset):
        store.load(data.serialize(format="nquads"), format=ox.RdfFormat.N_QUADS)
        return store
    path = Path(data)
    target = path / "graph.trig" if path.is_dir() else path
    if not target.is_file():
        raise OutputError(
            f"{target}: no graph here; run `kg build --out {path}` first or pass --data"
        )
    from kg.rdf import check_safe

    fmt = getattr(ox.RdfFormat, _RDF_FORMATS.get(target.suffix.lower(), "TURTLE"))
    try:
        check_safe(target)  # pyoxigraph expands XML entities: refuse bombs and external entities first
        if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            store.load(path=target, format=fmt)
        else:  # triples go into a graph named after the file, as kg.rdf.load does
            store.load(path=target, format=fmt, to_graph=ox.NamedNode(target.resolve().as_uri()))
    except (OSError, SyntaxError, ValueError) as exc:
        raise OutputError(f"{target}: cannot parse the graph ({exc})") from None
    return store


def _run_oxigraph(text: str, store: Any, bound: Mapping[str, Node], *, where: str) -> Result:
    import pyoxigraph as ox

    form = query_form(text)
    try:
        answer = store.query(with_values(text, bound), use_default_graph_as_union=True)
        if isinstance(answer, ox.QueryBoolean):
            return Result("ASK", answer=bool(answer), engine="pyoxigraph")
        if isinstance(answer, ox.QueryTriples):
            graph = Graph()
            for triple in answer:
                graph.add((_term(triple.subject), _term(triple.predicate), _term(triple.object)))
            return Result(form, graph=graph, engine="pyoxigraph")
        variables = [v.value for v in answer.variables]
        rows = []
        for solution in answer:
            row = {}
            for name in variables:
                value = solution[name]
                if value is not None:
                    row[name] = _term(value)
            rows.append(row)
        return Result("SELECT", variables, rows, engine="pyoxigraph")
    except (OSError, RuntimeError, SyntaxError, ValueError) as exc:
        raise QueryError(f"{where}: evaluation failed (pyoxigraph): {_first(exc)}") from None


def _term(value: Any) -> Node:
    """Convert a pyoxigraph term into the equal rdflib term."""
    import pyoxigraph as ox

    if isinstance(value, ox.NamedNode):
        return URIRef(value.value)
    if isinstance(value, ox.BlankNode):
        return BNode(value.value)
    if value.language:
        return Literal(value.value, lang=value.language)
    datatype = value.datatype.value
    return Literal(
        value.value, datatype=None if datatype in (_XSD_STRING, _LANG_STRING) else URIRef(datatype)
    )


def _run_rdflib(text: str, dataset: Dataset, bound: Mapping[str, Node], *, where: str) -> Result:
    try:
        result = dataset.query(text, initBindings={Variable(k): v for k, v in bound.items()})
        if result.type == "SELECT":
            variables = [str(v) for v in result.vars or ()]
            rows = [
                {str(k): v for k, v in row.asdict().items() if v is not None}  # type: ignore[union-attr]
                for row in result
            ]
            return Result("SELECT", variables, rows, engine="rdflib")
        if result.type == "ASK":
            return Result("ASK", answer=bool(result.askAnswer), engine="rdflib")
        graph = Graph()
        for triple in result:
            graph.add(triple)  # type: ignore[arg-type]
        return Result(query_form(text), graph=graph, engine="rdflib")
    except Exception as exc:  # rdflib raises many kinds while evaluating
        raise QueryError(f"{where}: evaluation failed: {_first(exc)}") from None


def _first(exc: Exception) -> str:
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0][:200]}" if lines else type(exc).__name__


def with_values(text: str, bound: Mapping[str, Node]) -> str:
    """Return the query with `bound` as a VALUES block opening its outermost WHERE group.

    This is how parameters reach a remote endpoint (and pyoxigraph) without
    pasting text: every value is serialised by rdflib's `Node.n3()`, which
    escapes quotes, backslashes and line breaks inside literals (so
    `Foo" } ; DROP ALL ; #` stays one string literal) and refuses IRIs holding
    characters an IRI cannot contain. The block opens the group, so top-level
    FILTERs see the values as they see rdflib's initBindings. It stays on the
    brace's line, so line numbers in a server's error messages match the file.

    Raises:
        QueryError: a value cannot be written as an RDF term, or the query has no WHERE group.
    """
    if not bound:
        return text
    names, terms = [], []
    for name, value in bound.items():
        if not re.fullmatch(r"\w+", name):
            raise QueryError(f"parameter name {name!r} is not a SPARQL variable name")
        try:
            terms.append(value.n3())  # type: ignore[attr-defined]
        except Exception:  # rdflib refuses IRIs it cannot write, with a bare Exception
            raise QueryError(
                f"parameter {name}: {str(value)!r} is not a valid IRI "
                "(no spaces, quotes or any of <>{}|^`\\)"
            ) from None
        names.append(f"?{name}")
    brace = _scan(text)[1]
    if brace is None:
        raise QueryError("the query has no WHERE group to bind parameters in")
    block = f" VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }} "
    return text[: brace + 1] + block + text[brace + 1 :]


def query_form(text: str) -> str:
    """Return the query form: SELECT, CONSTRUCT, DESCRIBE or ASK."""
    return _scan(text)[0]


# Tokens that may hold braces or keywords without being them: comments, strings, IRIs,
# variables and prefixed names. IRIREF excludes spaces, so `?a < ?b` stays an operator.
_TOKENS = re.compile(
    r'(?P<skip>\#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|[?$]\w+'
    r"|(?:[A-Za-z][\w.-]*)?:[\w.:%-]*)"
    r"|(?P<word>[A-Za-z_]\w*)|(?P<open>\{)|(?P<close>\})",
    re.DOTALL,
)
_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")


def _scan(text: str) -> tuple[str, int | None]:
    """Return the query form and the offset of the brace opening its WHERE group (None: none)."""
    form, where, depth = "", False, 0
    for token in _TOKENS.finditer(text):
        kind = token.lastgroup
        if kind == "word" and depth == 0:
            word = token.group().upper()
            if word in _FORMS and not form:
                form = word
            elif word == "WHERE":
                where = True
        elif kind == "open":
            if depth == 0 and form and (where or form != "CONSTRUCT"):
                return form, token.start()
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
    return form or "SELECT", None
