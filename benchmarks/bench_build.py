"""Benchmark `kg build` against bare spaCy on the same texts with the same model.

For each corpus size (made by benchmarks/make_corpus.py, same seed) it runs, each in a
fresh child process so that peak memory (`resource.getrusage` max RSS) is per run:

- bare spaCy: load the model, `nlp.pipe` over the article files (n_process = --workers);
- kg build: `kg.pipeline.build` of the same folder, incl. reading, caching, resolution,
  linking and writing the files (--workers processes), into a fresh output folder.

It reports the throughput ratio kg / bare spaCy (goal >= 0.85), kg's time per article
(goal: flat), its peak RSS (goal: the largest size <= 1.5x the smallest), the
mapping-and-serialisation rate in triples per second, the speed-up of --workers over one
process, and each stored query's latency on the largest graph (pyoxigraph, the engine
`kg query` picks for big graphs, loaded once) and through `kg.queries.run_local` (rdflib)
on the --rdflib-size graph.

    python benchmarks/bench_build.py --sizes 100,1000,10000 --workers 2 --work /tmp/kg-bench
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {"entity": "Taliban", "speaker": "Taliban", "place": "Kabul"}  # values for required query parameters
KG = "https://w3id.org/kg-news/ontology#"


def _peaks() -> dict[str, float]:
    """Return max RSS in MB of this process and of its largest reaped child (Linux reports kB), and CPU seconds.

    CPU seconds (user + system, this process and its reaped children) hardly depend on what else
    the machine runs, unlike wall time: on a shared machine they are the fairer throughput measure.
    """
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"rss_mb": own.ru_maxrss / 1024, "children_rss_mb": children.ru_maxrss / 1024,
            "cpu_s": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime}


def child_bare(corpus: Path, workers: int, model: str | None) -> dict:
    """Bare spaCy: load the model and pipe every article file through it."""
    from kg.nlp import load_model

    started = time.perf_counter()
    nlp = load_model(model)
    loaded = time.perf_counter()
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=16, n_process=workers))
    finished = time.perf_counter()
    return {"articles": len(texts), "tokens": tokens, "load_s": loaded - started, "pipe_s": finished - loaded,
            "seconds": finished - started, **_peaks()}


def child_kg(corpus: Path, out: Path, workers: int, model: str | None) -> dict:
    """kg build of the folder, as `kg build CORPUS --out OUT --workers N` does it (writing its cache)."""
    from kg.cache import CACHE_FOLDER
    from kg.config import Settings
    from kg.pipeline import build

    shutil.rmtree(out, ignore_errors=True)  # a fresh output: nothing comes from an earlier run's cache
    started = time.perf_counter()
    result = build(inputs=[corpus], out=out, workers=workers, settings=Settings(model=model), cache=out / CACHE_FOLDER)
    return {"articles": result.articles, "triples": result.triples, "seconds": time.perf_counter() - started,
            "phases": result.phases, "streamed": result.streamed, "extracted": result.extracted, **_peaks()}


def _alarm(signum: int, frame: object) -> None:
    raise TimeoutError


class _Oxigraph:
    """The built graph in a pyoxigraph store, loaded once; queries bound as `kg query` binds them."""

    def __init__(self, graph: Path) -> None:
        import pyoxigraph as ox

        self.store = ox.Store()
        self.store.bulk_load(path=str(graph / "graph.trig"), format=ox.RdfFormat.TRIG)
        self.size = len(self.store)

    def run(self, query, given: dict) -> int:  # noqa: ANN001 - a kg.queries.StoredQuery
        from kg.engines import with_values
        from kg.queries import bindings

        text = with_values(query.text, bindings(query, given))
        return sum(1 for _ in self.store.query(text, use_default_graph_as_union=True))

    def an_event(self) -> str | None:
        answer = self.store.query(f"SELECT ?e WHERE {{ ?e a <{KG}Attack> }} LIMIT 1", use_default_graph_as_union=True)
        return next((s["e"].value for s in answer), None)


class _Rdflib:
    """The built graph in an rdflib Dataset, queried through `kg.queries.run_local`."""

    def __init__(self, graph: Path) -> None:
        from kg.rdf import load

        self.dataset = load(graph)
        self.size = len(self.dataset)

    def run(self, query, given: dict) -> int:  # noqa: ANN001 - a kg.queries.StoredQuery
        from kg.queries import run_local

        return len(run_local(query, self.dataset, given)[1])

    def an_event(self) -> str | None:
        from rdflib import RDF, URIRef

        return next((str(e) for e in self.dataset.subjects(RDF.type, URIRef(f"{KG}Attack"))), None)


def child_queries(graph: Path, engine: str, timeout: int, skip: set[str]) -> dict:
    """Time each stored SELECT query on a built graph (loaded once), with defaults and sample values."""
    from kg.queries import stored

    started = time.perf_counter()
    store = _Oxigraph(graph) if engine == "pyoxigraph" else _Rdflib(graph)
    loaded = time.perf_counter() - started
    samples = {**SAMPLES, "claim": store.an_event()}
    latencies: dict[str, dict] = {}
    signal.signal(signal.SIGALRM, _alarm)
    _line({"engine": engine, "triples_loaded": store.size, "load_s": loaded})
    for name, query in sorted(stored().items()):
        if query.network or query.form != "SELECT" or name in skip:
            continue
        _line({"start": name})
        given = {p.name: samples[p.name] for p in query.params if p.required and samples.get(p.name)}
        began = time.perf_counter()
        signal.alarm(timeout)
        try:
            rows = store.run(query, given)
        except TimeoutError:
            latencies[name] = {"timeout_s": timeout}
            _line({"query": name, "figures": latencies[name]})
            continue
        finally:
            signal.alarm(0)
        latencies[name] = {"seconds": time.perf_counter() - began, "rows": rows}
        _line({"query": name, "figures": latencies[name]})
    return {"engine": engine, "triples_loaded": store.size, "load_s": loaded, "queries": latencies, **_peaks()}


def _line(item: dict) -> None:
    print(json.dumps(item), flush=True)


def _child(mode: str, **options: str) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON answer."""
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in options.items() if v is not None]
    command = [sys.executable, __file__, "--child", mode, *flags]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{mode} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _corpus(work: Path, size: int, seed: int) -> Path:
    folder = work / f"corpus-{size}"
    if not (folder / "metadata.json").exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_corpus.py"), "--count", str(size),
                        "--out", str(folder), "--seed", str(seed)], check=True, cwd=ROOT)
    return folder


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict:
    """Run every measurement; return the figures."""
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    figures: dict = {"workers": args.workers, "sizes": {}, "command": " ".join(sys.argv)}
    for size in args.sizes:
        corpus = _corpus(work, size, args.seed)
        _say(f"[{size}] bare spaCy, {args.workers} process(es)")
        bare = _child("bare", corpus=corpus, workers=args.workers, model=args.model)
        _say(f"[{size}] kg build, --workers {args.workers}: bare took {bare['seconds']:.0f}s")
        kg = _child("kg", corpus=corpus, out=work / f"out-{size}-w{args.workers}", workers=args.workers,
                    model=args.model)
        figures["sizes"][size] = {"bare": bare, "kg": kg, "ratio": bare["seconds"] / kg["seconds"],
                                  "ratio_steady": bare["pipe_s"] / kg["phases"]["extract"]}
        _say(f"[{size}] kg took {kg['seconds']:.0f}s; ratio {bare['seconds'] / kg['seconds']:.2f}")
    if args.speedup_size:
        size = args.speedup_size
        corpus = _corpus(work, size, args.seed)
        _say(f"[{size}] bare spaCy and kg build in one process, for the speed-up")
        bare = _child("bare", corpus=corpus, workers=1, model=args.model)
        kg = _child("kg", corpus=corpus, out=work / f"out-{size}-w1", workers=1, model=args.model)
        many = figures["sizes"].get(size, {}).get("kg") or _child(
            "kg", corpus=corpus, out=work / f"out-{size}-w{args.workers}", workers=args.workers, model=args.model)
        figures["one_process"] = {"size": size, "bare": bare, "kg": kg, "ratio": bare["seconds"] / kg["seconds"],
                                  "speedup": kg["seconds"] / many["seconds"]}
    _save(args.json, figures)  # the build figures are kept even if a query run goes wrong
    largest = max(args.sizes)
    _say(f"[{largest}] stored queries (pyoxigraph)")
    figures["queries"] = _queries(work / f"out-{largest}-w{args.workers}", "pyoxigraph", args.query_timeout)
    _save(args.json, figures)
    if args.rdflib_size:
        _say(f"[{args.rdflib_size}] stored queries (rdflib, run_local)")
        figures["queries_rdflib"] = _queries(work / f"out-{args.rdflib_size}-w{args.workers}", "rdflib",
                                             args.query_timeout)
    return figures


def _save(path: Path | None, figures: dict) -> None:
    """Write the figures so far (atomically), if asked to."""
    if path is not None:
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(figures, indent=2), encoding="utf-8")
        partial.replace(path)


def _queries(graph: Path, engine: str, timeout: int) -> dict:
    """Time the stored queries in a child that reports each as it ends; a query that runs past
    `timeout` is stopped by ending the child (an engine in native code ignores SIGALRM), and a
    fresh child goes on with the queries after it."""
    import queue
    import threading

    skip: list[str] = []
    answer: dict = {"engine": engine, "queries": {}}
    while True:
        command = [sys.executable, __file__, "--child", "queries", f"--graph={graph}", f"--engine={engine}",
                   f"--timeout={timeout}", f"--skip={','.join(skip)}"]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in child.stdout] + [lines.put(None)],
                         daemon=True).start()
        running, limit = None, None  # no limit while the graph loads
        while True:
            try:
                line = lines.get(timeout=limit)
            except queue.Empty:
                child.kill()
                child.wait()
                answer["queries"][running] = {"timeout_s": timeout}
                skip += [running]
                break
            if line is None:
                child.wait()
                return answer
            item = json.loads(line)
            if "start" in item:
                running, limit = item["start"], timeout
            elif "query" in item:
                answer["queries"][item["query"]] = item["figures"]
                skip.append(item["query"])
                running, limit = None, None
            else:
                answer.update({k: v for k, v in item.items() if k != "queries"})


def report(figures: dict) -> str:
    """Return the figures as Markdown tables."""
    lines = ["| articles | bare spaCy s | kg build s | ratio kg/spaCy (wall; CPU) | kg s/article "
             "| kg peak RSS MB (main / worker) | triples | write triples/s |", "|---|---|---|---|---|---|---|---|"]
    for size, row in sorted(figures["sizes"].items(), key=lambda kv: int(kv[0])):
        kg, bare = row["kg"], row["bare"]
        cpu = f"; {bare['cpu_s'] / kg['cpu_s']:.2f}" if "cpu_s" in kg and "cpu_s" in bare else ""
        lines.append(f"| {int(size):,} | {bare['seconds']:.0f} | {kg['seconds']:.0f} | {row['ratio']:.2f}{cpu} | "
                     f"{kg['seconds'] / kg['articles']:.3f} | {kg['rss_mb']:.0f} / {kg['children_rss_mb']:.0f} | "
                     f"{kg['triples']:,} | {kg['triples'] / kg['phases']['write']:,.0f} |")
    one = figures.get("one_process")
    if one:
        lines += ["", f"One process, {one['size']:,} articles: bare spaCy {one['bare']['seconds']:.0f}s, kg build "
                  f"{one['kg']['seconds']:.0f}s (ratio {one['ratio']:.2f}); --workers {figures['workers']} speed-up "
                  f"{one['speedup']:.2f}x."]
    for key in ("queries", "queries_rdflib"):
        q = figures.get(key)
        if not q:
            continue
        loaded = f"{q['triples_loaded']:,} quads loaded in {q['load_s']:.0f}s"
        lines += ["", f"Stored queries ({q['engine']}, {loaded}):", "",
                  "| query | seconds | rows |", "|---|---|---|"]
        for name, value in sorted(q["queries"].items()):
            if "seconds" in value:
                lines.append(f"| {name} | {value['seconds']:.2f} | {value['rows']:,} |")
            else:
                lines.append(f"| {name} | > {value['timeout_s']} (stopped) | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; run the benchmark (or one child measurement)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=lambda v: [int(x) for x in v.split(",")], default=[100, 1000, 10000])
    parser.add_argument("--workers", type=int, default=2, help="processes for spaCy and kg (default 2)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kg-bench"), help="folder for corpora and outputs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", default=None, help="spaCy model (default: kg's default)")
    parser.add_argument("--speedup-size", type=int, default=1000, help="size run with one process too (0: skip)")
    parser.add_argument("--rdflib-size", type=int, default=1000, help="graph queried with run_local/rdflib (0: skip)")
    parser.add_argument("--query-timeout", type=int, default=600, help="seconds allowed per query")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--child", choices=("bare", "kg", "queries"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--graph", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--skip", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "bare":
        print(json.dumps(child_bare(args.corpus, args.workers, args.model)))
    elif args.child == "kg":
        print(json.dumps(child_kg(args.corpus, args.out, args.workers, args.model)))
    elif args.child == "queries":
        print(json.dumps(child_queries(args.graph, args.engine, args.timeout, set(filter(None, args.skip.split(","))))))
    else:
        figures = run(args)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
