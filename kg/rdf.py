"""Collect quads into an rdflib Dataset and write it in every format, atomically.

Every file is first written in full to a temporary sibling and synced; only
when all of them are on disk are they renamed into place, with Ctrl-C held
back for those few renames. So a full disk, an unwritable folder or an
interrupted build leaves the previous output as it was and no temporary file
behind. N-Quads and N-Triples are written sorted, so the same input gives the
same bytes. Reading a graph never resolves external XML entities nor fetches
remote JSON-LD contexts.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from xml.sax import SAXException

from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDFS, SKOS, XSD
from rdflib.plugins.parsers.ntriples import ParseError

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
    name, graph = None, None
    for s, p, o, g in quads:
        if graph is None or (g is not name and g != name):  # quads come grouped by graph
            name, graph = g, dataset.graph(URIRef(g))
        graph.add((s, p, o))


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
    # split on "\n" only: str.splitlines would also cut at U+2028, U+0085 and others,
    # which N-Triples leaves unescaped inside literals
    lines = sorted({line for line in text.split("\n") if line.strip()})
    return "\n".join(lines) + ("\n" if lines else "")


def render(dataset: Dataset, fmt: str) -> str:
    """Serialise the dataset in one of FORMATS (sorted lines for nt and nq)."""
    _, rdflib_format = FORMATS[fmt]
    if fmt in ("trig", "nq", "jsonld"):
        text = dataset.serialize(format=rdflib_format)
    else:
        text = merged(dataset).serialize(format=rdflib_format)
    return _sorted_lines(text) if fmt in ("nt", "nq") else text


_HINTS = {errno.ENOSPC: "the disk is full: free some space", errno.EDQUOT: "the disk quota is used up",
          errno.EFBIG: "the file is larger than this system allows", errno.EROFS: "the file system is read-only",
          errno.EACCES: "the folder is not writable: check its permissions or pass another --out",
          errno.EPERM: "the folder is not writable: check its permissions or pass another --out",
          errno.ENOTDIR: "a file is in the way of the output folder: pass another --out",
          errno.EEXIST: "a file is in the way of the output folder: pass another --out"}


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold back SIGINT (Ctrl-C) until the block is done, then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)


def _stage(path: Path, text: str) -> Path:
    """Write text to a new temporary sibling of path; return its name."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _output_error(exc: OSError, where: Path) -> OutputError:
    hint = _HINTS.get(exc.errno or 0, "check the folder's permissions and free space")
    kept = f". The previous output in {where.parent} is unchanged" if where.parent.is_dir() else ""
    return OutputError(f"cannot write {where} ({exc.strerror or exc}); {hint}{kept}")


def _sync_folder(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot sync a folder; the files themselves are synced
    finally:
        os.close(handle)


def write_files(files: Mapping[Path, str]) -> None:
    """Write several files so that either all of them are replaced or none is.

    Raises:
        OutputError: when a folder cannot be created or a file cannot be written
            (disk full, read-only, no permission); the previous files are untouched.
    """
    staged: dict[Path, Path] = {}
    path = next(iter(files), Path("."))
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            staged[_stage(path, text)] = path
    except BaseException as exc:  # a full disk, or Ctrl-C while writing: no temporary file stays
        for temporary in staged:
            temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _output_error(exc, path) from None
        raise
    publish_staged(staged)


def write_atomic(path: Path, text: str) -> None:
    """Write text to path through a temporary file and an atomic rename.

    Raises:
        OutputError: when the folder cannot be created or written.
    """
    write_files({path: text})


def write(dataset: Dataset, out: Path, formats: Iterable[str]) -> list[Path]:
    """Serialise every requested format, then replace all the files together (see write_files).

    Returns:
        the files written.
    """
    rendered = {}
    for fmt in dict.fromkeys([*DEFAULT_FORMATS, *formats]):
        rendered[out / FORMATS[fmt][0]] = render(dataset, fmt)
    write_files(rendered)
    return list(rendered)


# An external DTD or an entity whose value is a file or URL (XXE): Python's expat would skip
# them; kg refuses the file instead, so nobody wonders where the text went. An entity made of
# other entities ("billion laughs"): expat stops it at 100-fold expansion, but only after
# rdflib has spent minutes gluing millions of tiny text pieces, so kg refuses it up front.
_EXTERNAL_ENTITY = re.compile(rb"<!(?:ENTITY\s+(?:%\s*)?[^\s>]+|DOCTYPE\s+[^\s>\[]+)\s+(?:SYSTEM|PUBLIC)\b")
_NESTED_ENTITY = re.compile(rb"<!ENTITY\s+(?:%\s*)?[^\s>]+\s+(?:\"[^\"]*[&%][^\"]*\"|'[^']*[&%][^']*')")


def _remote_context(node: object) -> str | None:
    """Return the first JSON-LD context given by reference (a URL or file) in a document, if any."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in ("@context", "@import"):
                    for context in value if isinstance(value, list) else [value]:
                        if isinstance(context, str):
                            return context
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return None


_SUFFIX_FORMATS = {".trig": "trig", ".nq": "nquads", ".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld",
                   ".rdf": "xml", ".owl": "xml", ".xml": "xml"}


def check_safe(target: Path) -> None:
    """Refuse an RDF file whose parsing would reach outside it or explode, before any parser sees it.

    RDF/XML with external entities or entities built from entities, and JSON-LD
    with remote contexts, are refused (every parser kg uses, rdflib or pyoxigraph,
    should be called only after this check).

    Raises:
        OutputError: naming what was refused and how to fix the file.
    """
    fmt = _SUFFIX_FORMATS.get(target.suffix.lower())
    if fmt == "xml":
        content = target.read_bytes()
        if found := _EXTERNAL_ENTITY.search(content):
            declaration = found.group(0).decode("utf-8", "replace")
            raise OutputError(f"{target}: declares an external entity ({declaration} …); kg never resolves "
                              "external entities (they can read local files): inline the value or remove the DOCTYPE")
        if found := _NESTED_ENTITY.search(content):
            declaration = found.group(0).decode("utf-8", "replace")[:60]
            raise OutputError(f"{target}: declares an entity built from other entities ({declaration} …), the "
                              "shape of an XML bomb; kg refuses it: write the values out in the file")
    elif fmt == "json-ld":
        try:
            context = _remote_context(json.loads(target.read_text("utf-8")))
        except ValueError as exc:
            raise OutputError(f"{target}: cannot parse the graph (not JSON: {exc})") from None
        if context is not None:
            raise OutputError(f"{target}: uses the remote JSON-LD context {context!r}; kg does not fetch "
                              "contexts while reading a graph: put the context inline in the file")


def load(path: Path) -> Dataset:
    """Load a built graph (a folder with graph.trig, or any RDF file) as a Dataset.

    Raises:
        OutputError: when nothing can be read there.
    """
    target = path / "graph.trig" if path.is_dir() else path
    if not target.exists():
        raise OutputError(f"{target}: no graph here; run `kg build --out {path}` first or pass --data")
    dataset = Dataset(default_union=True)
    fmt = _SUFFIX_FORMATS.get(target.suffix.lower())
    try:
        check_safe(target)
        if fmt in ("trig", "nquads", "json-ld"):
            dataset.parse(target, format=fmt)
        else:
            dataset.graph(URIRef(target.resolve().as_uri())).parse(target, format=fmt or "turtle")
    except (OSError, ValueError, SyntaxError, SAXException, ParseError) as exc:
        reason = " ".join(str(exc).split())[:300]
        raise OutputError(f"{target}: cannot parse the graph ({reason})") from None
    return dataset


def publish_staged(staged: Mapping[Path, Path]) -> None:
    """Move files a streaming writer finished (temporary -> target) into place together.

    The counterpart of `write_files` for files too big to hold as text (kg.stream): each
    temporary file is synced, then all are renamed with Ctrl-C held back, as there.

    Raises:
        OutputError: when a file cannot be synced or renamed; the temporary files are removed.
    """
    where = next(iter(staged.values()), Path("."))
    umask = os.umask(0)
    os.umask(umask)
    try:
        for temporary, target in staged.items():
            where = target
            with open(temporary, "rb+") as stream:
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o666 & ~umask)
        with _interrupts_held():
            for temporary, target in staged.items():
                where = target
                os.replace(temporary, target)
        for folder in {target.parent for target in staged.values()}:
            _sync_folder(folder)
    except OSError as exc:
        raise _output_error(exc, where) from None
    finally:
        for temporary in staged:
            temporary.unlink(missing_ok=True)
