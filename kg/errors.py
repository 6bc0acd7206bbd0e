"""Errors raised by kg: one base class and one subclass per failure domain.

Each message says what went wrong, where, and how to fix it. The CLI maps the
class to an exit code; library code never exits or prints.
"""

from __future__ import annotations

# Exit codes of the command line: 0 success; 1 the work ran but found a problem; 2 usage,
# configuration or tool failure; 130 interrupted.
EXIT_OK, EXIT_PROBLEM, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class KgError(Exception):
    """Base class of every error kg raises on purpose."""

    exit_code = EXIT_ERROR


class InputError(KgError):
    """An article or input path could not be read or understood."""


class ConfigError(KgError):
    """A setting is invalid (model name, base IRI, endpoint, option value)."""


class ModelError(KgError):
    """The spaCy model could not be loaded."""


class OutputError(KgError):
    """The output directory or a file in it could not be written."""


class QueryError(KgError):
    """A stored query is unknown, malformed, or lacks a parameter."""


class StoreError(KgError):
    """A graph database or SPARQL endpoint failed or refused a request."""


class LinkError(KgError):
    """Entity linking against Wikidata failed."""


class ValidationToolError(KgError):
    """The validator or reasoner itself failed (not the data)."""


class EvalError(KgError):
    """Gold annotations could not be read or matched."""
