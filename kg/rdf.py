"""Collect quads into an rdflib Dataset and write it in every format, atomically.

Every file is written to a temporary sibling and renamed into place, so an
interrupted or failed write leaves the previous output intact. N-Quads and
N-Triples are written sorted, so the same input gives the same bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from kg.config import ONTOLOGY_NS
from kg.errors import OutputError

FORMATS = {
    "trig": ("graph.trig", "trig"),
    "ttl": ("graph.ttl", "turtle"),
    "nt": ("graph.nt", "nt"),
    "nq": ("graph.nq", "nquads"),
    "jsonld": ("graph.jsonld", "json-ld"),
    "xml": ("graph.rdf", "xml"),
}
DEFAULT_FORMATS = ("trig", "ttl")


def new_dataset(base: str) -> Dataset:
    """Return an empty Dataset with kg's prefixes bound."""
    dataset = Dataset()
    for prefix, namespace in (("kg", ONTOLOGY_NS), ("kgd", base), ("dcterms", str(DCTERMS)),
                              ("skos", str(SKOS)), ("owl", str(OWL)), ("xsd", str(XSD)),
                              ("rdfs", str(RDFS)), ("wd", "http://www.wikidata.org/entity/")):
        dataset.bind(prefix, namespace, override=True, replace=True)
    return dataset


def add_quads(dataset: Dataset, quads: Iterable[tuple]) -> None:
    """Add quads (s, p, o, graph IRI) to the dataset."""
    for s, p, o, g in quads:
        dataset.graph(URIRef(g)).add((s, p, o))


def merged(dataset: Dataset) -> Graph:
    """Return every named graph's triples in one graph (for tools that ignore graphs)."""
    graph = Graph()
    for prefix, namespace in dataset.namespaces():
        graph.bind(prefix, namespace, override=True, replace=True)
    for context in dataset.graphs():
        for triple in context:
            graph.add(triple)
    return graph


def _sorted_lines(text: str) -> str:
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return "\n".join(lines) + ("\n" if lines else "")


def render(dataset: Dataset, fmt: str) -> str:
    """Serialise the dataset in one of FORMATS (sorted lines for nt and nq)."""
    _, rdflib_format = FORMATS[fmt]
    if fmt in ("trig", "nq", "jsonld"):
        text = dataset.serialize(format=rdflib_format)
    else:
        text = merged(dataset).serialize(format=rdflib_format)
    return _sorted_lines(text) if fmt in ("nt", "nq") else text


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file and an atomic rename.

    Raises:
        OutputError: when the folder cannot be created or written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc}); check the folder's permissions and free space") from exc


def write(dataset: Dataset, out: Path, formats: Iterable[str]) -> list[Path]:
    """Serialise every requested format first, then write each file atomically.

    Returns:
        the files written.
    """
    rendered = {}
    for fmt in dict.fromkeys([*DEFAULT_FORMATS, *formats]):
        rendered[out / FORMATS[fmt][0]] = render(dataset, fmt)
    for path, text in rendered.items():
        write_atomic(path, text)
    return list(rendered)


def load(path: Path) -> Dataset:
    """Load a built graph (a folder with graph.trig, or any RDF file) as a Dataset.

    Raises:
        OutputError: when nothing can be read there.
    """
    target = path / "graph.trig" if path.is_dir() else path
    if not target.exists():
        raise OutputError(f"{target}: no graph here; run `kg build --out {path}` first or pass --data")
    dataset = Dataset(default_union=True)
    suffix = target.suffix.lower()
    fmt = {".trig": "trig", ".nq": "nquads", ".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld", ".rdf": "xml"}.get(suffix)
    try:
        if fmt in ("trig", "nquads", "json-ld"):
            dataset.parse(target, format=fmt)
        else:
            dataset.graph(URIRef(target.resolve().as_uri())).parse(target, format=fmt or "turtle")
    except (OSError, ValueError, SyntaxError) as exc:
        raise OutputError(f"{target}: cannot parse the graph ({exc})") from exc
    return dataset
