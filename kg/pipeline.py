"""Wire the stages: articles -> NLP -> resolution -> mapping -> RDF files.

The only module that imports every stage; the CLI sits above it. A build streams: articles
are read one at a time and go through spaCy in batches (`kg.workers`: in worker processes,
reusing cached records), each article's records are parked on disk and kept in compact
form for cross-document resolution (`kg.compact`); once the corpus is resolved, every
article's records are read back, mapped to quads and handed to a sink (`kg.stream`): an
rdflib Dataset for small builds (pretty TriG and Turtle), an external sort for big ones,
whose mapping and sorted runs a big build makes in worker processes too (`kg.render`).
Both sinks give the same graph; only the syntax of graph.trig and graph.ttl differs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kg import rdf, render
from kg.articles import Problem, discover, load
from kg.cache import ExtractionCache, code_fingerprint, model_identity
from kg.compact import Corpus, resolve_corpus
from kg.config import Settings
from kg.errors import ConfigError, InputError, OutputError
from kg.evaluate import Report, evaluate
from kg.iri import Minter
from kg.model import Article, Entity, Extraction
from kg.nlp import Extractor
from kg.resolve import reconcile_posts, resolve
from kg.shards import MANIFEST_FILE, RECORDS_FILE, Shard, open_shards, record_line, write_manifest
from kg.stream import PARALLEL_ABOVE, STREAM_ABOVE, STREAM_FORMATS, MemorySink, Spool, StreamSink, streaming_refusal
from kg.wikidata import LinkReport
from kg.workers import Packed, extract_stream, pack

DEFAULT_INPUT = Path("seeds")
DEFAULT_OUT = Path("out")


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: counts for the summary, problems, files."""

    out: Path
    articles: int
    problems: tuple[Problem, ...]
    entities: Counter = field(default_factory=Counter)
    events: Counter = field(default_factory=Counter)
    triples: int = 0
    seconds: float = 0.0
    files: tuple[Path, ...] = ()
    extracted: int = 0  # articles spaCy ran on (the others came from the cache or from shards)
    streamed: bool = False
    phases: dict[str, float] = field(default_factory=dict)  # seconds: extract, resolve, write


def read(inputs: Iterable[str | Path], *, on_problem: Callable[[Problem], None] | None = None,
         purpose: str = "nothing was done") -> tuple[list[Article], list[Problem]]:
    """Load the articles under `inputs`, reporting each input that could not be read.

    Raises:
        InputError: when no article could be read.
    """
    articles, problems = [], []
    for item in load(inputs):
        if isinstance(item, Problem):
            problems.append(item)
            if on_problem is not None:
                on_problem(item)
        else:
            articles.append(item)
    if not articles:
        raise InputError(f"no article could be read from the inputs; {purpose}")
    return articles, problems


def extract(
    articles: Sequence[Article], *, settings: Settings, on_article: Callable[[int, int], None] | None = None
) -> list[Extraction]:
    """Run the NLP stage over articles, reporting progress as (done, total)."""
    extractor = Extractor(model=settings.model, batch_size=settings.batch_size)
    results = []
    for done, extraction in enumerate(extractor.extract(articles), start=1):
        results.append(extraction)
        if on_article is not None:
            on_article(done, len(articles))
    return results


def assemble(extractions: Sequence[Extraction], *, settings: Settings,
             on_link: Callable[[LinkReport], None] | None = None) -> tuple[rdf.Dataset, list[Entity]]:
    """Resolve entities across articles, link them to Wikidata (unless settings.link is off), map into one Dataset."""
    corpus = Corpus()
    for extraction in extractions:
        corpus.add(extraction)
    resolution = resolve_corpus(corpus, settings=settings, on_link=on_link)
    sink = MemorySink(settings.base)
    render.render(resolution, extractions, sink=sink, base=settings.base)
    return sink.dataset, resolution.entities


@dataclass
class _Collected:
    """What reading and extraction gathered: compact records in memory, full ones in the spool."""

    spool: Spool
    corpus: Corpus = field(default_factory=Corpus)
    problems: list[Problem] = field(default_factory=list)
    events: Counter = field(default_factory=Counter)
    read: int = 0  # articles read (in a shard build, also those of other shards)
    extracted: int = 0

    def add(self, seq: int, record: Packed) -> None:
        self.spool.add_pickled(seq, record.pickled)
        self.corpus.adopt(record.compact)
        self.events.update(record.events)


def build(
    *,
    inputs: Iterable[str | Path] = (DEFAULT_INPUT,),
    out: Path = DEFAULT_OUT,
    formats: Iterable[str] = (),
    settings: Settings | None = None,
    strict: bool = False,
    workers: int = 1,
    shard: Shard | None = None,
    cache: Path | None = None,
    stream: bool | None = None,
    on_problem: Callable[[Problem], None] | None = None,
    on_article: Callable[[int, int], None] | None = None,
    on_link: Callable[[LinkReport], None] | None = None,
) -> BuildResult:
    """Build the graph of the articles under `inputs` and write it to `out`.

    Args:
        inputs: files, folders (recursive) or "-" for stdin.
        out: the output folder (created if needed).
        formats: extra formats besides trig and ttl (nt, nq, jsonld, xml).
        settings: model, base IRI, batch size.
        strict: refuse to write anything when any input had a problem.
        workers: processes running spaCy and, when streaming over PARALLEL_ABOVE articles,
            mapping the records (1: this one); the graph does not depend on it.
        shard: build only this shard of the articles (by id) and keep its records for `merge`.
        cache: a folder of extraction records to reuse for articles seen before (same text,
            metadata, model and kg code) and to store new ones in (`kg build` uses
            `OUT/.cache`); None runs spaCy on every article.
        stream: write through the external sort (True) or an in-memory Dataset (False);
            None streams above STREAM_ABOVE articles.
        on_problem: called with each input that was skipped and why.
        on_article: called with (done, total) as inputs are processed.
        on_link: called with the Wikidata linking report (decisions, warnings such as an
            unreachable endpoint that fell back to the snapshot); its entities carry no
            mentions, which a build does not keep.
    Raises:
        InputError: when no article could be read (or any, with strict).
        ConfigError: workers out of range, or a format that streaming cannot write.
        ModelError, OutputError: when the model or the output fails.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    inputs, formats, out = list(inputs), list(formats), Path(out)
    _check_stream(stream, formats)
    if strict:  # find problems before any work; stdin can be read only once, so it is checked as it comes
        problems = [p for p in load([i for i in inputs if str(i) != "-"]) if isinstance(p, Problem)]
        for problem in problems if on_problem is not None else ():
            on_problem(problem)
        if problems:
            raise InputError(f"{len(problems)} input(s) had problems and --strict is set; nothing was written")
    model = model_identity(settings.model)
    store = ExtractionCache(Path(cache), model=model) if cache is not None and model is not None else None
    with tempfile.TemporaryDirectory(prefix="kg-build-") as work:
        collected = _Collected(spool=Spool(Path(work) / "records.pickle"))
        records = open(Path(work) / RECORDS_FILE, "w", encoding="utf-8") if shard else None  # noqa: SIM115
        try:
            _collect(inputs, collected, settings=settings, workers=workers, shard=shard, cache=store, strict=strict,
                     records=records, on_problem=on_problem, on_article=on_article)
        finally:
            if records is not None:
                records.close()
        if not collected.read:  # an empty shard is fine: its graph is empty, its records merge
            raise InputError("no article could be read from the inputs; nothing was written")
        result = _finish(collected, settings=settings, out=out, formats=formats, stream=stream, work=Path(work),
                         workers=workers, on_link=on_link, started=started)
        if shard is not None:
            _publish_shard(Path(work), out, shard=shard, collected=collected, model=model, inputs=inputs)
    return result


def _check_stream(stream: bool | None, formats: Sequence[str]) -> None:
    unsupported = [f for f in formats if f not in STREAM_FORMATS]
    if stream and unsupported:
        raise ConfigError(streaming_refusal(unsupported))


def _collect(inputs: list[str | Path], collected: _Collected, *, settings: Settings, workers: int, shard: Shard | None,
             cache: ExtractionCache | None, strict: bool, records: IO[str] | None,
             on_problem: Callable[[Problem], None] | None, on_article: Callable[[int, int], None] | None) -> None:
    """Read the inputs lazily, extract (or reuse) each article's records and park them."""
    total = sum(1 for _ in discover(inputs))
    done = 0

    def progress() -> None:
        nonlocal done
        done += 1
        if on_article is not None:
            on_article(done, total)

    def articles() -> Iterator[tuple[int, Article]]:
        for seq, item in enumerate(load(inputs)):
            if isinstance(item, Problem):
                collected.problems.append(item)
                if on_problem is not None:
                    on_problem(item)
                if strict:
                    raise InputError(f"{item.source} had a problem and --strict is set; nothing was written")
                progress()
                continue
            collected.read += 1
            if shard is not None and not shard.holds(item):
                progress()
            else:
                yield seq, item

    for record in extract_stream(articles(), settings=settings, workers=workers, cache=cache):
        collected.add(record.seq, record.record)
        collected.extracted += record.fresh
        if records is not None:
            records.write(record_line(record.seq, record.record.extraction()))
        progress()


def _finish(collected: _Collected, *, settings: Settings, out: Path, formats: list[str], stream: bool | None,
            work: Path, workers: int = 1, on_link: Callable[[LinkReport], None] | None, started: float) -> BuildResult:
    """Resolve, map and write the collected records (a streamed build maps in `workers` processes)."""
    count = collected.spool.count
    streamed = stream if stream is not None else count > STREAM_ABOVE and all(f in STREAM_FORMATS for f in formats)
    sink = StreamSink(work, shared=Minter(settings.base).entities_graph()) if streamed else MemorySink(settings.base)
    resolving = time.perf_counter()
    # Writing needs no mention of an entity: resolution lets them and the compact records go
    # (they hold every mention of the corpus) before linking, and the sort buffers grow after.
    resolution = resolve_corpus(collected.corpus, settings=settings, mentions=False, on_link=on_link)
    collected.corpus = Corpus()
    writing = time.perf_counter()
    if isinstance(sink, StreamSink) and workers > 1 and count > PARALLEL_ABOVE:
        files, triples = render.render_parallel(resolution, collected.spool, sink=sink, base=settings.base,
                                                workers=workers, out=out, formats=formats)
    else:
        render.render(resolution, (extraction for _, extraction in collected.spool.records()), sink=sink,
                      base=settings.base)
        files, triples = sink.close(out, formats)
    finished = time.perf_counter()
    return BuildResult(
        out=out, articles=count, problems=tuple(collected.problems),
        entities=Counter(e.type for e in resolution.entities), events=collected.events, triples=triples,
        seconds=finished - started, files=tuple(files), extracted=collected.extracted, streamed=streamed,
        phases={"extract": resolving - started, "resolve": writing - resolving, "write": finished - writing})


def _publish_shard(work: Path, out: Path, *, shard: Shard, collected: _Collected, model: str | None,
                   inputs: list[str | Path]) -> None:
    """Write the shard's records.jsonl and shard.json beside its partial graph."""
    def manifest(stream: IO[str]) -> None:
        write_manifest(stream, shard=shard, inputs=sum(1 for _ in discover(inputs)), articles=collected.spool.count,
                       model=model, code=code_fingerprint(), problems=collected.problems)

    def records(stream: IO[str]) -> None:
        with open(work / RECORDS_FILE, encoding="utf-8") as source:
            shutil.copyfileobj(source, stream)

    staged: dict[Path, Path] = {}
    try:
        for name, write in ((MANIFEST_FILE, manifest), (RECORDS_FILE, records)):
            handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
            staged[Path(temporary)] = out / name
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                write(stream)
    except OSError as exc:
        for temporary in staged:
            temporary.unlink(missing_ok=True)
        raise OutputError(f"{out}: cannot write the shard's records ({exc.strerror or exc}); "
                          f"check free space and permissions") from exc
    rdf.publish_staged(staged)


def merge(
    *,
    shards: Sequence[Path],
    out: Path = DEFAULT_OUT,
    formats: Iterable[str] = (),
    settings: Settings | None = None,
    stream: bool | None = None,
    on_problem: Callable[[Problem], None] | None = None,
    on_link: Callable[[LinkReport], None] | None = None,
) -> BuildResult:
    """Combine shard outputs (`build(shard=...)`) into the graph one build of all the articles gives.

    Cross-document resolution runs again on every shard's records, in input order.

    Raises:
        InputError: the folders are not one complete set of shards, or hold no article.
        ConfigError, OutputError: as for `build`.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    formats, out = list(formats), Path(out)
    _check_stream(stream, formats)
    shard_set = open_shards([Path(s) for s in shards])
    with tempfile.TemporaryDirectory(prefix="kg-merge-") as work:
        collected = _Collected(spool=Spool(Path(work) / "records.pickle"), problems=list(shard_set.problems))
        for problem in shard_set.problems:
            if on_problem is not None:
                on_problem(problem)
        for seq, extraction in shard_set.records():
            collected.add(seq, pack(extraction, cache=False))
        if not collected.spool.count:
            raise InputError(f"the {shard_set.count} shard(s) hold no article; nothing was written")
        return _finish(collected, settings=settings, out=out, formats=formats, stream=stream, work=Path(work),
                       on_link=on_link, started=started)


def evaluate_inputs(*, inputs: Iterable[str | Path], gold: dict[str, dict], settings: Settings | None = None,
                    on_problem: Callable[[Problem], None] | None = None) -> Report:
    """Extract and resolve the articles under `inputs` and score them against gold annotations."""
    settings = settings or Settings()
    articles, _ = read(inputs, on_problem=on_problem, purpose="nothing to evaluate")
    extractions = extract(articles, settings=settings)
    entities, entity_of = resolve(extractions)
    return evaluate(gold, reconcile_posts(extractions, entity_of), entities, entity_of)
