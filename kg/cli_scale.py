"""The command line for scaling out: build options (workers, shards, cache, streaming), `kg merge`.

Part of the CLI layer (it prints); `kg.cli` adds these to its parser and calls them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kg.errors import ConfigError
from kg.stream import PARALLEL_ABOVE, STREAM_ABOVE


def _shard(value: str) -> Any:
    from kg.shards import parse_shard

    try:
        return parse_shard(value)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"--workers takes a whole number of processes, 1 or more; got {value!r}")
    return int(value)


def add_build_options(parser: argparse.ArgumentParser) -> None:
    """Add --workers, --shard, --cache/--no-cache and --stream/--no-stream to `kg build`."""
    group = parser.add_argument_group("scale")
    group.add_argument("--workers", type=_workers, default=1, metavar="N",
                       help=f"run spaCy (and, for a streamed build of over {PARALLEL_ABOVE} articles, mapping and "
                       f"sorting) in N processes (default 1); the graph is the same for any N")
    group.add_argument("--shard", type=_shard, default=None, metavar="I/N",
                       help="build only shard I of N (articles split by id hash) and keep its records "
                       "(records.jsonl, shard.json) for `kg merge`")
    cache = group.add_mutually_exclusive_group()
    cache.add_argument("--cache", type=Path, default=None, metavar="DIR",
                       help="reuse and store extraction records in DIR (default: OUT/.cache; it keeps the "
                       "records of one kg version and model)")
    cache.add_argument("--no-cache", action="store_true", help="run spaCy on every article and cache nothing")
    group.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                       help="write through an external sort with bounded memory "
                       f"(default: above {STREAM_ABOVE} articles); "
                       "--no-stream keeps the whole graph in memory (needed for jsonld, xml)")


def build_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the keyword arguments of `kg.pipeline.build` the scale options set."""
    from kg.cache import CACHE_FOLDER

    cache = None if args.no_cache else args.cache or args.out / CACHE_FOLDER
    return {"workers": args.workers, "shard": args.shard, "cache": cache, "stream": args.stream}


def add_merge_parser(sub: argparse._SubParsersAction, *, link_options: Callable[[argparse.ArgumentParser], None],
                     formats: Callable[[str], list[str]]) -> None:
    """Add `kg merge DIR ... --out DIR` (link_options and formats are kg.cli's, shared with build)."""
    m = sub.add_parser(
        "merge",
        help="combine the outputs of `kg build --shard i/n` into the graph of the whole corpus",
        description="Read the extraction records of every shard (records.jsonl, shard.json), resolve "
        "entities across all of them again, and write the graph one build of all the articles gives "
        "(the same sorted N-Quads).",
    )
    m.add_argument("shards", nargs="+", type=Path, metavar="DIR", help="the shard output folders, one per shard")
    m.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out)")
    m.add_argument("--format", type=formats, default=[], metavar="FMT[,FMT]",
                   help="extra formats besides trig and ttl (as for build)")
    m.add_argument("--base", default=None, help="base IRI for minted resources (as for build)")
    m.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help=f"as for build (default: stream above {STREAM_ABOVE} articles)")
    m.add_argument("--quiet", action="store_true", help="print only problems")
    m.add_argument("--no-link", action="store_true", help="do not link entities to Wikidata")
    link_options(m)
    m.set_defaults(model=None)  # no NLP runs in a merge


def print_summary(result: Any, links: list, *, quiet: bool, err: Callable[[str], None]) -> None:
    """Print what a build or merge produced (the summary `kg build` prints)."""
    if not quiet:
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
        reused = result.articles - result.extracted
        if result.extracted and reused:
            print(f"  cache:    {reused} article(s) reused, {result.extracted} went through spaCy")
    for report in links:
        for warning in report.warnings:
            err(f"warning: {warning}")
        if not quiet:
            print(f"  wikidata: {report.count('linked')} linked, {report.count('nil')} NIL, "
                  f"{report.count('ambiguous')} ambiguous, {report.count('unlinked')} unlinked ({report.source})")


def merge(args: argparse.Namespace, *, settings: Any, err: Callable[[str], None]) -> int:
    """Run `kg merge`; return the exit code."""
    from kg.pipeline import merge as merge_shards

    links: list = []
    result = merge_shards(shards=args.shards, out=args.out, formats=args.format, settings=settings,
                          stream=args.stream, on_problem=lambda p: err(f"skipped {p.message}"), on_link=links.append)
    print_summary(result, links, quiet=args.quiet, err=err)
    return 0
