"""Compare rdflib's SPARQL engine with pyoxigraph on every stored query over a large graph.

The built graph (default out/graph.nq or out/graph.trig) is replicated N times
with its IRIs rewritten (`…/data/` -> `…/data/copyK/`), so the copies never
merge, until it holds about --triples quads. Both engines load the same
N-Quads; each stored query (except those needing the network) runs with its
defaults and a few sample values for required parameters; the row counts must
agree. Usage:

    python benchmarks/query_engines.py --data out --triples 500000 [--repeat 1]

Prints one line per query (seconds for each engine, speed-up) and the totals; an
rdflib run longer than --limit seconds is stopped and shown as ">limit".
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib import Variable

from kg import queries
from kg.config import DEFAULT_BASE

# Values for required parameters: names the seed articles use.
SAMPLES = {"place": "Badghis", "speaker": "Taliban", "entity": "Taliban"}


def replicated(nquads: str, *, triples: int) -> str:
    """Return the N-Quads text copied until it holds about `triples` lines, IRIs renamed per copy."""
    lines = [line for line in nquads.splitlines() if line.strip()]
    copies = max(1, round(triples / len(lines)))
    out = []
    for k in range(copies):
        prefix = f"<{DEFAULT_BASE}copy{k}/"
        out.extend(line.replace(f"<{DEFAULT_BASE}", prefix) for line in lines)
    return "\n".join(out) + "\n"


def nquads_of(data: Path) -> str:
    """Read a build's graph as N-Quads (graph.nq, else graph.trig converted)."""
    folder = data if data.is_dir() else data.parent
    if (folder / "graph.nq").is_file():
        return (folder / "graph.nq").read_text("utf-8")
    dataset = rdflib.Dataset()
    dataset.parse(folder / "graph.trig", format="trig")
    return dataset.serialize(format="nquads")


def timed(action):
    """Run `action` once and return (seconds, result)."""
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def with_oxigraph(store: ox.Store, query: queries.StoredQuery, bound: dict) -> int:
    """Run on pyoxigraph with the parameters as a VALUES block; return the result size.

    (pyoxigraph's `substitutions` refuses variables missing from the projection,
    which is every parameter here, so the remote binding is used.)
    """
    text = queries.with_values(query.text, bound)
    answer = store.query(text, use_default_graph_as_union=True)
    if isinstance(answer, ox.QueryBoolean):
        return int(bool(answer))
    return sum(1 for _ in answer)


def with_rdflib(dataset: rdflib.Dataset, query: queries.StoredQuery, bound: dict) -> int:
    """Run on rdflib with initBindings; return the result size."""
    answer = dataset.query(query.text, initBindings={Variable(k): v for k, v in bound.items()})
    if answer.type == "ASK":
        return int(bool(answer.askAnswer))
    return sum(1 for _ in answer)


def capped(action, limit: float) -> tuple[float, int | None]:  # noqa: ANN001 - a callable
    """Run `action` in a forked child (sharing the loaded graph) for at most `limit` seconds.

    Returns the seconds and the result size, or (limit, None) when the child ran out of time.
    """
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=lambda: results.put(timed(action)))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.terminate()
        child.join()
        return limit, None
    return results.get(timeout=10)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("out"), help="built graph folder")
    parser.add_argument("--triples", type=int, default=500_000, help="size to replicate to")
    parser.add_argument("--repeat", type=int, default=1, help="runs per query (median reported)")
    parser.add_argument(
        "--limit",
        type=float,
        default=300,
        help="seconds allowed to rdflib per query run (default: 300)",
    )
    args = parser.parse_args(argv)

    text = replicated(nquads_of(args.data), triples=args.triples)
    print(f"graph: {text.count(chr(10))} quads ({args.data} replicated)")
    load_rdflib, dataset = timed(lambda: _rdflib_dataset(text))
    load_ox, store = timed(lambda: _ox_store(text))
    print(f"load      rdflib {load_rdflib:8.2f}s   pyoxigraph {load_ox:7.2f}s")
    convert, _ = timed(lambda: _ox_store(dataset.serialize(format="nquads")))
    print(f"rdflib Dataset -> pyoxigraph (serialise + load): {convert:.2f}s")

    first_event = next(iter(store.query(
        "SELECT ?e WHERE { ?e <https://w3id.org/kg-news/ontology#statedIn> ?a } LIMIT 1",
        use_default_graph_as_union=True,
    )), None)  # fmt: skip
    samples = dict(SAMPLES, claim=f"<{first_event['e'].value}>" if first_event else "<urn:x:none>")
    totals = [0.0, 0.0]
    print(f"{'query':<22} {'rows':>6} {'rdflib s':>9} {'oxigraph s':>11} {'speed-up':>9}")
    for name, query in queries.stored().items():
        if query.network:
            continue
        given = {p.name: samples[p.name] for p in query.params if p.required}
        bound = queries.bindings(query, given)
        r_times, o_times, rows, ox_rows = [], [], 0, 0
        for _ in range(args.repeat):
            seconds, rows = capped(lambda: with_rdflib(dataset, query, bound), args.limit)  # noqa: B023
            r_times.append(seconds)
            seconds, ox_rows = timed(lambda: with_oxigraph(store, query, bound))  # noqa: B023
            o_times.append(seconds)
        if rows is not None and rows != ox_rows:
            print(f"  {name}: rdflib gave {rows} results, pyoxigraph {ox_rows}", file=sys.stderr)
        r, o = statistics.median(r_times), statistics.median(o_times)
        totals[0] += r
        totals[1] += o
        over = ">" if rows is None else " "
        print(f"{name:<22} {ox_rows:>6} {over}{r:>8.3f} {o:>11.4f} {over}{r / max(o, 1e-6):>7.0f}x")
    print(f"{'total':<22} {'':>6} {totals[0]:>9.2f} {totals[1]:>11.3f} "
          f"{totals[0] / max(totals[1], 1e-6):>8.0f}x  ('>': rdflib stopped at --limit)")  # fmt: skip
    return 0


def _rdflib_dataset(text: str) -> rdflib.Dataset:
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(data=text, format="nquads")
    return dataset


def _ox_store(text: str) -> ox.Store:
    store = ox.Store()
    store.load(text, format=ox.RdfFormat.N_QUADS)
    return store


if __name__ == "__main__":
    sys.exit(main())
