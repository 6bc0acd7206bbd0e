"""Wire the stages: articles -> NLP -> resolution -> mapping -> RDF files.

The only module that imports every stage; the CLI sits above it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kg import rdf
from kg.articles import Problem, load
from kg.config import Settings
from kg.errors import InputError
from kg.evaluate import Report, evaluate
from kg.iri import Minter
from kg.keys import slug
from kg.mapping import Mapper
from kg.model import Article, Entity, Extraction
from kg.nlp import Extractor
from kg.nlp.gazetteer import lookup_organisation
from kg.resolve import reconcile_posts, resolve
from kg.wikidata import LinkReport, link_entities

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


def _outlets(articles: Sequence[Article], entities: list[Entity]) -> tuple[dict[str, str], list[Entity]]:
    """Map outlet names from metadata to entity keys, adding entities for unseen outlets."""
    by_gid = {e.gazetteer_id: e.key for e in entities if e.gazetteer_id}
    keys = {e.key for e in entities}
    names = sorted({n for a in articles for n in (a.outlet, *a.contributors) if n})
    mapping, extra = {}, []
    for name in names:
        entry = lookup_organisation(name)
        if entry is not None and entry.gid in by_gid:
            mapping[name] = by_gid[entry.gid]
            continue
        label = entry.name if entry else name
        key = f"mediaorganization/{slug(label)}"
        mapping[name] = key
        if key not in keys:
            keys.add(key)
            extra.append(Entity(key=key, type="MediaOrganization", label=label, aliases=(name,) if name != label else (),
                                mentions=(), gazetteer_id=entry.gid if entry else None))
    return mapping, extra


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
    entities, entity_of = resolve(extractions)
    extractions = reconcile_posts(extractions, entity_of)
    articles = [x.article for x in extractions]
    outlets, extra = _outlets(articles, entities)
    entities = sorted(entities + extra, key=lambda e: e.key)
    if settings.link:
        report = link_entities(entities, settings=settings, extractions=extractions, entity_of=entity_of)
        entities = list(report.entities)
        if on_link is not None:
            on_link(report)
    mapper = Mapper(minter=Minter(settings.base), entity_of=entity_of)
    dataset = rdf.new_dataset(settings.base)
    rdf.add_quads(dataset, mapper.entities(entities))
    for extraction in extractions:
        rdf.add_quads(dataset, mapper.article_metadata(extraction.article, outlets))
        rdf.add_quads(dataset, mapper.extraction(extraction))
    return dataset, entities


def build(
    *,
    inputs: Iterable[str | Path] = (DEFAULT_INPUT,),
    out: Path = DEFAULT_OUT,
    formats: Iterable[str] = (),
    settings: Settings | None = None,
    strict: bool = False,
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
        on_problem: called with each input that was skipped and why.
        on_article: called with (done, total) as articles are processed.
        on_link: called with the Wikidata linking report (decisions, warnings such as an
            unreachable endpoint that fell back to the snapshot).
    Raises:
        InputError: when no article could be read (or any, with strict).
        ModelError, OutputError: when the model or the output fails.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    articles, problems = read(inputs, on_problem=on_problem, purpose="nothing was written")
    if strict and problems:
        raise InputError(f"{len(problems)} input(s) had problems and --strict is set; nothing was written")
    extractions = extract(articles, settings=settings, on_article=on_article)
    dataset, entities = assemble(extractions, settings=settings, on_link=on_link)
    files = rdf.write(dataset, Path(out), formats)
    return BuildResult(
        out=Path(out),
        articles=len(articles),
        problems=tuple(problems),
        entities=Counter(e.type for e in entities),
        events=Counter(ev.type for x in extractions for ev in x.events),
        triples=len(dataset),
        seconds=time.perf_counter() - started,
        files=tuple(files),
    )


def evaluate_inputs(*, inputs: Iterable[str | Path], gold: dict[str, dict], settings: Settings | None = None,
                    on_problem: Callable[[Problem], None] | None = None) -> Report:
    """Extract and resolve the articles under `inputs` and score them against gold annotations."""
    settings = settings or Settings()
    articles, _ = read(inputs, on_problem=on_problem, purpose="nothing to evaluate")
    extractions = extract(articles, settings=settings)
    entities, entity_of = resolve(extractions)
    return evaluate(gold, reconcile_posts(extractions, entity_of), entities, entity_of)
