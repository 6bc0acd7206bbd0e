"""The command line for Wikidata: `kg link` and `kg wikidata refresh`.

Part of the CLI layer (it prints); `kg.cli` adds the parsers and calls `link` and `refresh`. The
linking options and the settings they give are here too: build and merge take them as well.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

from kg.config import Settings
from kg.errors import EXIT_ERROR, EXIT_OK


def link_options(parser: argparse.ArgumentParser) -> None:
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


def link_settings(args: argparse.Namespace, *, link: bool = True) -> Settings:
    """Return the Settings of a command with the linking options (and --base, --model where it has them)."""
    return Settings.from_env(base=getattr(args, "base", None), model=args.model, link=link,
                             offline=args.offline or not (args.online or args.endpoint),
                             endpoint=args.endpoint, snapshot=args.snapshot)


def _corpus_options(parser: argparse.ArgumentParser) -> None:
    """Add the INPUT articles and --model options of the commands that extract a corpus."""
    parser.add_argument("inputs", nargs="*", default=["seeds"], metavar="INPUT",
                        help="article files or folders (default: seeds)")
    parser.add_argument("--model", default=None, help="spaCy pipeline name (as for build)")


def add_link_parsers(sub: argparse._SubParsersAction) -> None:
    """Add `kg link` and `kg wikidata refresh`."""
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
    link_options(k)

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
    link_options(r)


def _articles(args: argparse.Namespace, settings: Settings, err: Callable[[str], None]) -> list:
    from kg.pipeline import extract, read

    articles, _ = read(args.inputs, on_problem=lambda problem: err(f"skipped {problem.message}"),
                       purpose="nothing to link")
    return extract(articles, settings=settings)


def link(args: argparse.Namespace, *, settings: Settings, err: Callable[[str], None]) -> int:
    """Run `kg link`; return the exit code."""
    from kg.pipeline import assemble

    extractions = _articles(args, settings, err)
    reports = []
    assemble(extractions, settings=settings, on_link=reports.append)
    report = reports[0]
    for warning in report.warnings:
        err(f"warning: {warning}")
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


def refresh(args: argparse.Namespace, *, settings: Settings, err: Callable[[str], None]) -> int:
    """Run `kg wikidata refresh`; return the exit code."""
    from kg.resolve import resolve
    from kg.wikidata import Cache, Endpoint, article_context, default_cache_dir
    from kg.wikidata.refresh import refresh_snapshot

    if args.offline:
        err("wikidata refresh needs the live endpoint and cannot run --offline; drop --offline "
             "(or give --endpoint URL of a reachable mirror)")
        return EXIT_ERROR
    settings = dataclasses.replace(settings, offline=False)
    extractions = _articles(args, settings, err)
    entities, entity_of = resolve(extractions)
    endpoint = Endpoint(settings.wikidata_endpoint, timeout=settings.link_timeout,
                        cache=Cache(settings.cache_dir or default_cache_dir()))
    result = refresh_snapshot(entities, endpoint=endpoint, out=args.out,
                              context=article_context(entities, extractions, entity_of))
    print(f"wrote {result.path}: {result.items} items, {result.triples} triples from {endpoint.url} "
          f"({result.requests} request(s)); use it with --snapshot {result.path}")
    return EXIT_OK
