"""The command line for graph databases: `kg push`.

Part of the CLI layer (it prints); `kg.cli` adds the parser and calls `push`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kg.errors import EXIT_ERROR, EXIT_OK, EXIT_PROBLEM


def add_push_parser(sub: argparse._SubParsersAction) -> None:
    """Add `kg push --store NAME --url URL [--data DIR]`."""
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



def push(args: argparse.Namespace, *, err: Callable[[str], None]) -> int:
    """Run `kg push`; return the exit code (1: stopped part-way, re-run to resume)."""
    from kg.store import PushIncomplete, PushReport, read_password
    from kg.store import push as push_graphs

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
        report = push_graphs(args.data, store=args.store, url=args.url, user=args.user, password=password,
                             mode=args.mode, graph_store=args.graph_store, update=args.update,
                             query=args.query, force=args.force, on_graph=on_graph, timeout=args.timeout)
    except PushIncomplete as exc:
        if bar is not None:
            bar.close()
        if exc.report.graphs:
            show(exc.report)
        err(str(exc))
        return EXIT_PROBLEM if exc.report.graphs else EXIT_ERROR
    finally:
        if bar is not None:
            bar.close()
    show(report)
    return EXIT_OK
