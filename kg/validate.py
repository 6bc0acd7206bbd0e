"""Validate a kg-news graph: SHACL shapes (pySHACL) plus an OWL reasoner check (HermiT).

Results about the data come back as a ``ValidationReport``; failures of the tools raise
``kg.errors.ValidationToolError``. Nothing here prints: the CLI renders ``to_rows()`` or
``to_json()``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from functools import lru_cache

import pyshacl
from pyshacl.errors import (
    ConstraintLoadError,
    ReportableRuntimeError,
    RuleLoadError,
    ShapeLoadError,
    ValidationFailure,
)
from rdflib import RDF, SH, Dataset, Graph, URIRef
from rdflib.exceptions import ParserError
from rdflib.graph import ConjunctiveGraph

from kg.errors import ValidationToolError
from kg.ontology import (
    DEFAULT_MAX_INDIVIDUALS,
    ReasonerResult,
    check_consistency,
    copy_graph,
    load_ontology_graph,
    shapes_path,
    union_graph,
)
from kg.vocab import KG

__all__ = [
    "INFERENCE_MODES",
    "ValidationReport",
    "Violation",
    "load_shapes_graph",
    "union_graph",
    "validate",
]

INFERENCE_MODES = ("none", "rdfs")
# Shape name reported for the check pySHACL cannot do: it sees the union, not the named graphs.
GRAPH_OF_CHECK = "https://w3id.org/kg-news/shapes#GraphOfInOwnGraph"
# Shape name of the row to_rows() adds when HermiT finds the data inconsistent.
REASONER_CHECK = "reasoner:HermiT"
_PYSHACL_ERRORS = (
    ConstraintLoadError,
    ReportableRuntimeError,
    RuleLoadError,
    ShapeLoadError,
    ValidationFailure,
)


@dataclass(frozen=True)
class Violation:
    """One validation result.

    Attributes:
        focus: The node that failed (IRI, or blank node id).
        path: The property path involved, if any.
        severity: "Violation", "Warning" or "Info".
        message: What is wrong.
        shape: IRI of the shape (or check) that reported it.
        value: The offending value, if any.
    """

    focus: str
    path: str | None
    severity: str
    message: str
    shape: str
    value: str | None = None


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of ``validate``, as data.

    Attributes:
        conforms: True when there is no result of severity Violation and the reasoner did
            not find the data inconsistent (an unavailable reasoner does not fail it).
        violations: Every SHACL result (warnings included), sorted by shape, focus, path.
        reasoner: HermiT's result, or None when reasoning was not requested.
        triples: Size of the validated union graph.
        shacl_seconds: Time spent in pySHACL.
    """

    conforms: bool
    violations: tuple[Violation, ...]
    reasoner: ReasonerResult | None
    triples: int
    shacl_seconds: float

    @property
    def shacl_conforms(self) -> bool:
        """Return whether SHACL alone found no result of severity Violation."""
        return not any(v.severity == "Violation" for v in self.violations)

    def to_rows(self) -> list[dict[str, str]]:
        """Return one dict per SHACL result, plus one if the reasoner found a contradiction.

        Returns:
            Rows with keys severity, shape, focus, path, value, message (missing -> "").
        """
        rows = [
            {
                "severity": v.severity,
                "shape": v.shape,
                "focus": v.focus,
                "path": v.path or "",
                "value": v.value or "",
                "message": v.message,
            }
            for v in self.violations
        ]
        if self.reasoner is not None and self.reasoner.consistent is False:
            # Only a contradiction is a problem row; the reasoner's status is report.reasoner.
            rows.append(
                {
                    "severity": "Violation",
                    "shape": REASONER_CHECK,
                    "focus": "",
                    "path": "",
                    "value": "",
                    "message": self.reasoner.message,
                }
            )
        return rows

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return the whole report as JSON (inferred types as sorted lists).

        Args:
            indent: JSON indentation; None for one line.

        Returns:
            A JSON document.
        """
        reasoner = None
        if self.reasoner is not None:
            reasoner = asdict(self.reasoner)
            reasoner["inferred"] = {
                k: sorted(v) for k, v in sorted(self.reasoner.inferred.items())
            }
            reasoner["unsatisfiable"] = sorted(self.reasoner.unsatisfiable)
        document = {
            "conforms": self.conforms,
            "shacl_conforms": self.shacl_conforms,
            "triples": self.triples,
            "shacl_seconds": round(self.shacl_seconds, 3),
            "violations": [asdict(v) for v in self.violations],
            "reasoner": reasoner,
        }
        return json.dumps(document, indent=indent, ensure_ascii=False)


@lru_cache(maxsize=1)
def _parsed_shapes() -> Graph:
    try:
        return Graph().parse(shapes_path(), format="turtle")
    except (
        OSError,
        ParserError,
        SyntaxError,
    ) as exc:  # rdflib's Turtle errors subclass SyntaxError
        raise ValidationToolError(
            f"cannot read SHACL shapes {shapes_path()}: {exc}"
        ) from exc


def load_shapes_graph() -> Graph:
    """Return the SHACL shapes of ``ontology/shapes.ttl`` (parsed once, returned as a copy).

    Raises:
        ValidationToolError: If the shapes file is missing or malformed.
    """
    return copy_graph(_parsed_shapes())


def _graph_of_outside_own_graph(data: Dataset | ConjunctiveGraph) -> list[Violation]:
    """Find kg:graphOf statements not made inside the named graph they describe."""
    found = []
    for graph_name, article, context in sorted(
        {(s, o, c) for s, _, o, c in data.quads((None, KG.graphOf, None, None))},
        key=lambda q: (str(q[0]), str(q[2])),
    ):
        context_name = getattr(context, "identifier", context)
        if context_name != graph_name:
            found.append(
                Violation(
                    focus=str(graph_name),
                    path=str(KG.graphOf),
                    severity="Violation",
                    message=f"kg:graphOf must be stated inside the named graph it describes (found in {context_name})",
                    shape=GRAPH_OF_CHECK,
                    value=str(article),
                )
            )
    return found


def _text(node: object) -> str | None:
    return None if node is None else str(node)


def _results(results: Graph) -> list[Violation]:
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        shape = results.value(result, SH.sourceShape)
        found.append(
            Violation(
                focus=_text(results.value(result, SH.focusNode)) or "",
                path=_text(results.value(result, SH.resultPath)),
                severity=str(severity).rsplit("#", 1)[-1]
                if severity is not None
                else "Violation",
                message="; ".join(messages)
                or str(results.value(result, SH.sourceConstraintComponent) or ""),
                shape=str(shape) if isinstance(shape, URIRef) else f"_:{shape}",
                value=_text(results.value(result, SH.value)),
            )
        )
    return found


def validate(
    data: Dataset | Graph,
    *,
    reason: bool = True,
    inference: str = "none",
    max_individuals: int = DEFAULT_MAX_INDIVIDUALS,
) -> ValidationReport:
    """Validate a graph with the SHACL shapes and, optionally, the HermiT reasoner.

    Args:
        data: A Dataset (validated as the union of its graphs, plus a check that each
            kg:graphOf sits in its own named graph) or a Graph.
        reason: Also run HermiT on the ontology plus a bounded sample of individuals.
        inference: pySHACL inference before validation, "none" (default; the ontology is
            still mixed in, so subclass targets work) or "rdfs" (slower).
        max_individuals: Bound on individuals sent to the reasoner.

    Returns:
        A ValidationReport.

    Raises:
        ValidationToolError: If the shapes cannot be loaded or pySHACL/HermiT fail.
        ValueError: If ``inference`` is not one of INFERENCE_MODES.
    """
    if inference not in INFERENCE_MODES:
        raise ValueError(
            f"inference must be one of {INFERENCE_MODES}, not {inference!r}"
        )
    union = union_graph(data)
    shapes = load_shapes_graph()
    started = time.perf_counter()
    try:
        _, results, _ = pyshacl.validate(
            union,
            shacl_graph=shapes,
            ont_graph=load_ontology_graph(),
            inference=inference,
            allow_warnings=True,
            allow_infos=True,
            abort_on_first=False,
        )
    except _PYSHACL_ERRORS as exc:
        raise ValidationToolError(f"pySHACL failed: {exc}") from exc
    shacl_seconds = time.perf_counter() - started

    violations = _results(results)
    if isinstance(data, (Dataset, ConjunctiveGraph)):
        violations += _graph_of_outside_own_graph(data)
    violations.sort(
        key=lambda v: (v.shape, v.focus, v.path or "", v.value or "", v.message)
    )

    reasoner = (
        check_consistency(union, max_individuals=max_individuals) if reason else None
    )
    conforms = not any(v.severity == "Violation" for v in violations) and (
        reasoner is None or reasoner.consistent is not False
    )
    return ValidationReport(
        conforms=conforms,
        violations=tuple(violations),
        reasoner=reasoner,
        triples=len(union),
        shacl_seconds=shacl_seconds,
    )
