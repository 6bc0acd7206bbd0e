"""Scale: the extraction cache, worker processes, streaming output, shards and merge (real spaCy model).

One corpus (the seeds and the genre test articles, ten articles) is built a few ways; every
way must give the same sorted N-Quads. spaCy runs on it three times in all: nine articles,
then the added tenth, then all ten in two worker processes; every other build reuses the
cached records.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

import kg.runs
from kg.articles import load
from kg.cache import ExtractionCache, model_identity
from kg.cli import main
from kg.compact import Corpus, resolve_corpus
from kg.config import Settings
from kg.errors import ConfigError, InputError
from kg.iri import Minter
from kg.model import Article, Extraction, Holding
from kg.nlp import Extractor
from kg.pipeline import build, merge
from kg.resolve import mention_key, reconcile_posts, resolve
from kg.shards import RECORDS_FILE, Shard, parse_shard
from kg.stream import Part, Spool, StreamSink, read_records
from tests.conftest import ROOT, SEEDS

ADDED = ROOT / "tests" / "articles" / "t05_doha_talks.txt"


def _nq(folder: Path) -> bytes:
    return (folder / "graph.nq").read_bytes()


@pytest.fixture(scope="module")
def incremental(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Build nine articles, add the tenth to the folder, build again into the same output."""
    root = tmp_path_factory.mktemp("scale")
    corpus = root / "corpus"
    shutil.copytree(SEEDS, corpus / "seeds")
    shutil.copytree(ROOT / "tests" / "articles", corpus / "articles", ignore=shutil.ignore_patterns(ADDED.name))
    seen: list[list[str]] = []
    original = Extractor.extract

    def spy(self: Extractor, articles):  # noqa: ANN001, ANN202 - records which articles reach spaCy
        articles = list(articles)
        seen[-1].extend(a.source for a in articles)
        return original(self, articles)

    out = root / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Extractor, "extract", spy)
        seen.append([])
        first = build(inputs=[corpus], out=out, formats=["nq", "nt"], cache=out / ".cache")
        shutil.copy(ADDED, corpus / "articles" / ADDED.name)
        seen.append([])
        second = build(inputs=[corpus], out=out, formats=["nq", "nt"], cache=out / ".cache")
    return {"root": root, "corpus": corpus, "out": out, "first": first, "second": second, "seen": seen,
            "cache": out / ".cache"}


def test_adding_an_article_runs_spacy_on_that_article_alone(incremental):
    first, second, seen = incremental["first"], incremental["second"], incremental["seen"]
    assert first.articles == 9 and first.extracted == 9 and len(seen[0]) == 9
    assert second.articles == 10 and second.extracted == 1
    assert seen[1] == [f"articles/{ADDED.name}"]


def test_incremental_build_equals_a_fresh_build_in_two_workers(incremental, tmp_path):
    fresh = build(inputs=[incremental["corpus"]], out=tmp_path, formats=["nq", "nt"], workers=2)
    assert fresh.extracted == 10 and not (tmp_path / ".cache").exists()
    for name in ("graph.nq", "graph.nt", "graph.trig", "graph.ttl"):
        assert (tmp_path / name).read_bytes() == (incremental["out"] / name).read_bytes(), name
    assert fresh.triples == incremental["second"].triples and fresh.entities == incremental["second"].entities


def test_workers_keep_input_order_with_cached_and_fresh_records_interleaved(incremental, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(incremental["cache"], cache)
    for entry in sorted(cache.rglob("*.json.gz"))[::2]:
        entry.unlink()
    result = build(inputs=[incremental["corpus"]], out=tmp_path / "out", formats=["nq"], workers=2, cache=cache,
                   stream=True)
    assert result.extracted == 5 and result.articles == 10
    assert _nq(tmp_path / "out") == _nq(incremental["out"])


def test_streaming_output_is_the_same_graph(incremental, tmp_path):
    streamed = build(inputs=[incremental["corpus"]], out=tmp_path, formats=["nq", "nt"], stream=True,
                     cache=incremental["cache"])
    assert streamed.streamed and not incremental["second"].streamed and streamed.extracted == 0
    out = incremental["out"]
    assert _nq(tmp_path) == _nq(out)
    assert (tmp_path / "graph.nt").read_bytes() == (out / "graph.nt").read_bytes()
    assert streamed.triples == incremental["second"].triples
    dataset = Dataset().parse(tmp_path / "graph.trig", format="trig")
    lines = sorted({line for line in dataset.serialize(format="nquads").split("\n") if line})
    assert "\n".join(lines) + "\n" == _nq(out).decode("utf-8")
    graph = Graph().parse(tmp_path / "graph.ttl", format="turtle")
    assert len(graph) == streamed.triples == len(Graph().parse(out / "graph.nt", format="nt"))


def test_streamed_build_maps_in_worker_processes_into_the_same_files(incremental, tmp_path, monkeypatch):
    one = build(inputs=[incremental["corpus"]], out=tmp_path / "one", formats=["nq", "nt"], stream=True,
                cache=incremental["cache"])
    parts: list[tuple[int, int]] = []
    held: list[int] = []
    original = StreamSink.adopt

    def adopt(self: StreamSink, part: Part) -> None:  # records what the worker processes wrote
        parts.append((len(part.index), len(part.runs)))
        held.append(len(self.buffer))
        original(self, part)

    monkeypatch.setattr(StreamSink, "adopt", adopt)
    cuts: list[list[str]] = []
    pivots = kg.runs.pivots

    def cut(*args: object, **kwargs: object) -> list[str]:  # records where the final merge was cut in ranges
        cuts.append(pivots(*args, **kwargs))
        return cuts[-1]

    monkeypatch.setattr("kg.runs.pivots", cut)
    monkeypatch.setattr("kg.stream.RUN_CHARS", 20_000)  # several sorted runs per process
    monkeypatch.setattr("kg.pipeline.PARALLEL_ABOVE", 5)  # ten articles are enough to take that path here
    two = build(inputs=[incremental["corpus"]], out=tmp_path / "two", formats=["nq", "nt"], stream=True,
                cache=incremental["cache"], workers=2)
    entity_part, *article_parts = parts  # the entity graph (shared-graph lines only), then the articles
    assert two.extracted == 0 and len(article_parts) == 2
    assert sum(graphs for graphs, _ in article_parts) == two.articles == 10
    assert all(graphs >= 3 and runs > 1 for graphs, runs in article_parts)
    assert entity_part[0] == 0 and entity_part[1] > 1
    assert held == [0, 0, 0]  # this process mapped nothing itself
    assert len(cuts) == 1 and len(cuts[0]) == 1  # two key ranges, merged by the two processes
    for name in ("graph.nq", "graph.nt", "graph.trig", "graph.ttl"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert two.triples == one.triples


def test_spool_splits_into_consecutive_parts_of_about_equal_size(tmp_path):
    spool = Spool(tmp_path / "records.pickle")
    texts = ["x" * size for size in (10, 5000, 10, 10, 5000, 10, 10, 10)]
    for seq, text in enumerate(texts):
        spool.add(seq, Extraction(article=Article(id=f"a{seq}", source=f"{seq}.txt", text=text)))
    parts = spool.split(2)
    read = [[seq for seq, _ in read_records(spool.path, offset, count)] for offset, count in parts]
    assert read == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [seq for seq, _ in spool.records()] == list(range(8))
    many = spool.split(20)  # no empty part; every record once, in order
    assert len(many) <= 8 and all(count for _, count in many)
    assert [seq for offset, count in many for seq, _ in read_records(spool.path, offset, count)] == list(range(8))


def test_a_sorted_run_is_entered_at_the_first_line_of_a_key_and_cut_between_triples(tmp_path):
    lines = sorted({f"<s{n % 7}> <p> \"{'x' * (n % 13)}\" <g{n % 3}> .\n" for n in range(400)})
    run = tmp_path / "run.nq"
    run.write_text("".join(lines), encoding="utf-8")
    data = run.read_bytes()
    with open(run, "rb") as stream:
        for key in ["", "<s0>", "<s3> <p> \"xxxx\" ", lines[57], lines[-1], "<t>"]:
            expected = next((data.index(line.encode()) for line in lines if line >= key), len(data))
            assert kg.runs.first_at_least(stream, key.encode(), len(data)) == expected, key
    keys = kg.runs.pivots([run], 4)
    assert 1 <= len(keys) <= 3 and keys == sorted(set(keys))
    for key in keys:  # no triple has lines on both sides of a key
        triples = [line[:line.rindex(" <")] for line in lines]
        assert not {t for t, line in zip(triples, lines) if line < key} & {t for t, line in zip(triples, lines)
                                                                            if line >= key}


def test_streaming_refuses_formats_it_cannot_write_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match="jsonld.*--no-stream"):
        build(inputs=[SEEDS], out=tmp_path / "o", formats=["jsonld"], stream=True)
    assert not (tmp_path / "o").exists()


def test_external_sort_with_tiny_runs_gives_the_same_bytes(incremental, tmp_path):
    out = incremental["out"]
    dataset = Dataset().parse(out / "graph.nq", format="nquads")
    shared = Minter(Settings().base).entities_graph()
    sink = StreamSink(tmp_path, shared=shared, run_chars=20_000)
    for context in dataset.graphs():
        quads = [(s, p, o, context.identifier) for s, p, o in context]
        if context.identifier == shared:
            sink.add(quads)
        elif quads:
            sink.graph(context.identifier, quads)
    files, triples = sink.close(tmp_path / "written", ["nq"])
    assert len(sink.runs) > 10 and triples == incremental["second"].triples
    assert _nq(tmp_path / "written") == _nq(out)
    assert not list((tmp_path / "written").glob(".*"))  # no temporary file left behind


def test_shards_merge_into_the_single_run_graph(incremental, tmp_path):
    corpus, cache = incremental["corpus"], incremental["cache"]
    folders, counts = [], []
    for index in (1, 2, 3):
        folder = tmp_path / f"shard{index}"
        result = build(inputs=[corpus], out=folder, formats=["nq"], shard=Shard(index, 3), cache=cache)
        lines = (folder / RECORDS_FILE).read_text("utf-8").splitlines()
        assert len(lines) == result.articles and result.extracted == 0
        seqs = [json.loads(line)["seq"] for line in lines]
        assert seqs == sorted(seqs)
        folders.append(folder)
        counts.append(result.articles)
    assert sum(counts) == 10 and all(counts)
    merged = merge(shards=[folders[2], folders[0], folders[1]], out=tmp_path / "merged", formats=["nq"])
    assert merged.articles == 10
    assert _nq(tmp_path / "merged") == _nq(incremental["out"])
    assert (tmp_path / "merged" / "graph.trig").read_bytes() == (incremental["out"] / "graph.trig").read_bytes()
    with pytest.raises(InputError, match="2/3 of the set missing"):
        merge(shards=[folders[0], folders[2]], out=tmp_path / "partial")
    with pytest.raises(InputError, match="given twice"):
        merge(shards=[folders[0], folders[0], folders[1], folders[2]], out=tmp_path / "twice")


def test_cli_shard_and_merge(incremental, tmp_path, capsys):
    corpus, cache = str(incremental["corpus"]), str(incremental["cache"])
    for index in (1, 2):
        assert main(["build", corpus, "--out", str(tmp_path / f"s{index}"), "--shard", f"{index}/2",
                     "--cache", cache, "--quiet"]) == 0
    assert main(["merge", str(tmp_path / "s2"), str(tmp_path / "s1"), "--out", str(tmp_path / "m"),
                 "--format", "nq"]) == 0
    assert "built 10 articles" in capsys.readouterr().out
    assert _nq(tmp_path / "m") == _nq(incremental["out"])
    assert main(["merge", str(tmp_path / "s1"), "--out", str(tmp_path / "m2")]) == 2
    assert "2/2 of the set missing" in capsys.readouterr().err
    assert main(["build", corpus, "--shard", "3/2"]) == 2
    assert main(["build", corpus, "--workers", "0"]) == 2
    assert "--shard" in capsys.readouterr().err


def test_an_empty_shard_writes_an_empty_graph(incremental, tmp_path):
    ids = [a.id for a in load([incremental["corpus"]]) if isinstance(a, Article)]
    count = 40
    index = next(i for i in range(1, count + 1) if not any(int(a, 16) % count == i - 1 for a in ids))
    result = build(inputs=[incremental["corpus"]], out=tmp_path, shard=Shard(index, count))
    assert result.articles == 0 and result.extracted == 0
    assert (tmp_path / RECORDS_FILE).read_text("utf-8") == "" and (tmp_path / "graph.trig").exists()


def test_shards_split_by_id_not_by_order(incremental):
    articles = [a for a in load([incremental["corpus"]]) if isinstance(a, Article)]
    for count in (1, 2, 3, 4):
        for article in articles:
            assert sum(Shard(i, count).holds(article) for i in range(1, count + 1)) == 1
    assert parse_shard(" 2/3 ") == Shard(2, 3)
    for bad in ("0/3", "4/3", "1", "a/b", "1/0"):
        with pytest.raises(ConfigError, match="i/n"):
            parse_shard(bad)


def _records(incremental) -> list:  # noqa: ANN001 - the module fixture
    cache = ExtractionCache(incremental["cache"], model=model_identity(None))
    return [cache.get(a) for a in load([incremental["corpus"]]) if isinstance(a, Article)]


def _shape(holding: Holding) -> tuple:
    place = holding.jurisdiction
    where = None if place is None else (place.provenance.article_id, place.start, place.end, place.text)
    return holding.holder.start, holding.holder.end, holding.role, where, holding.tenure, holding.status


def test_compact_resolution_equals_resolution_on_full_records(incremental):
    extractions = _records(incremental)
    assert all(x is not None for x in extractions)
    entities, entity_of = resolve(extractions)
    corpus = Corpus()
    for extraction in extractions:
        corpus.add(extraction)
    resolution = resolve_corpus(corpus, settings=Settings(link=False))
    compact = {e.key: e for e in resolution.entities}
    for entity in entities:
        other = compact[entity.key]
        assert (other.type, other.label, other.aliases, other.gazetteer_id, other.merges) == \
            (entity.type, entity.label, entity.aliases, entity.gazetteer_id, entity.merges)
        assert len(other.mentions) == len(entity.mentions)
    for extraction, reconciled in zip(extractions, reconcile_posts(extractions, entity_of)):
        for mention in extraction.mentions:
            position = (extraction.article.id, mention.start, mention.end)
            assert resolution.key_of[mention_key(mention)] == entity_of[position]
        assert [_shape(h) for h in resolution.holdings(extraction)] == [_shape(h) for h in reconciled.holdings]


def test_cache_is_keyed_by_model_and_survives_a_torn_entry(incremental, tmp_path):
    extraction = _records(incremental)[0]
    cache = ExtractionCache(tmp_path, model="en_a-1.0")
    assert cache.get(extraction.article) is None
    cache.put(extraction)
    assert cache.get(extraction.article) == extraction
    entry = next(tmp_path.rglob("*.json.gz"))
    entry.write_bytes(entry.read_bytes()[:40])
    assert cache.get(extraction.article) is None
    other = ExtractionCache(tmp_path, model="en_b-1.0")
    assert other.get(extraction.article) is None
    assert not cache.folder.exists()  # another model's records are removed, the cache stays bounded


def test_ordering_is_kept_and_cached_records_do_not_pile_up_behind_a_slow_chunk():
    from concurrent.futures import ThreadPoolExecutor

    from kg.workers import _Ordered

    class SlowRunner:  # chunks finish later, in any order, as worker processes' do
        def __init__(self) -> None:
            self.pool = ThreadPoolExecutor(2)

        def submit(self, articles: list) -> object:
            return self.pool.submit(lambda: (time.sleep(0.01 * len(articles)), [f"record {a}" for a in articles])[1])

    slots = _Ordered(SlowRunner(), chunk=4, in_flight=2)
    order, most = [], 0
    for seq in range(300):
        cached = None if seq % 37 == 3 else f"record {seq}"  # a few misses among many cache hits
        slots.add(seq, seq, cached)
        order += [(r.seq, r.record) for r in slots.ready(final=False)]
        most = max(most, len(slots.slots))
    order += [(r.seq, r.record) for r in slots.ready(final=True)]
    assert order == [(seq, f"record {seq}") for seq in range(300)]
    assert most <= slots.window + 1
