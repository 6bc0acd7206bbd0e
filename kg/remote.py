"""Run SPARQL queries against a remote endpoint (SELECT, ASK, CONSTRUCT).

Results come back as rdflib terms and graphs, so code that reads a local
rdflib Dataset reads a remote store the same way. Every failure becomes one
`StoreError` line that names the endpoint and, where the server said why, its reason.
"""

from __future__ import annotations

import ast
import json
import socket
import urllib.error
from typing import Any
from urllib.parse import urlsplit

import rdflib
from rdflib.term import BNode, Literal, Node, URIRef
from SPARQLWrapper import ASK, CONSTRUCT, JSON, POST, SELECT, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from kg.config import user_agent as _default_user_agent
from kg.errors import StoreError

__all__ = ["EndpointAuthError", "ask", "construct", "select"]

# Longest server explanation quoted in an error message.
_REASON_CHARS = 300


class EndpointAuthError(StoreError):
    """The endpoint refused the request for lack of (valid) credentials."""


def select(
    endpoint: str,
    query: str,
    *,
    timeout: float = 30,
    user_agent: str | None = None,
    credentials: tuple[str, str] | None = None,
) -> tuple[list[str], list[dict[str, Node]]]:
    """Run a SELECT query and return its variables and rows as rdflib terms.

    Args:
        endpoint: SPARQL query endpoint URL.
        query: SELECT query text.
        timeout: seconds to wait for the answer.
        user_agent: User-Agent header; kg's descriptive one by default.
        credentials: (user, password) for HTTP Basic authentication, if needed.

    Returns:
        The projected variable names, and one dict per row mapping each bound
        variable to a URIRef, Literal (with datatype or language) or BNode.

    Raises:
        StoreError: unreachable endpoint, timeout, HTTP error or a query the server rejected.
    """
    data = _json(endpoint, query, SELECT, timeout=timeout, user_agent=user_agent,
                 credentials=credentials)
    try:
        variables = list(data["head"]["vars"])
        bindings = data["results"]["bindings"]
        rows = [{name: _term(value) for name, value in row.items()} for row in bindings]
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreError(
            f"SPARQL endpoint {endpoint} sent no SELECT results ({exc!s}): check the URL "
            "points at a query endpoint"
        ) from None
    return variables, rows


def ask(
    endpoint: str,
    query: str,
    *,
    timeout: float = 30,
    user_agent: str | None = None,
    credentials: tuple[str, str] | None = None,
) -> bool:
    """Run an ASK query and return its answer.

    Raises:
        StoreError: as for `select`, or when the answer is not a boolean.
    """
    data = _json(endpoint, query, ASK, timeout=timeout, user_agent=user_agent,
                 credentials=credentials)
    answer = data.get("boolean") if isinstance(data, dict) else None
    if not isinstance(answer, bool):
        raise StoreError(
            f"SPARQL endpoint {endpoint} answered ASK without a boolean "
            "(Virtuoso needs CaseMode = 2 in virtuoso.ini)"
        )
    return answer


def construct(
    endpoint: str,
    query: str,
    *,
    timeout: float = 30,
    user_agent: str | None = None,
    credentials: tuple[str, str] | None = None,
) -> rdflib.Graph:
    """Run a CONSTRUCT (or DESCRIBE) query and return the triples as a Graph.

    Turtle is requested (N-Triples is a subset of it): JSON-LD would lose
    datatypes and language tags on some stores, and is refused, as its
    `@context` could make kg fetch a URL or read a local file the server names.

    Raises:
        StoreError: as for `select`, or when the answer is JSON-LD or not parseable RDF.
    """
    wrapper = _wrapper(endpoint, query, CONSTRUCT, timeout, user_agent, credentials)
    wrapper.setReturnFormat(TURTLE)
    result = _run(wrapper, endpoint, timeout)
    content_type = (result.info().get("content-type") or "text/turtle").split(";")[0].strip()
    if content_type.lower() in ("application/ld+json", "application/json"):
        raise StoreError(
            f"SPARQL endpoint {endpoint} answered with {content_type}, though kg asked for Turtle; kg "
            "reads no JSON-LD from a server (its context could name files and URLs to fetch): "
            "configure the endpoint to answer CONSTRUCT queries with text/turtle"
        )
    rdf_format = {"application/rdf+xml": "xml", "application/n-triples": "nt"}.get(content_type.lower(), "turtle")
    graph = rdflib.Graph()
    try:
        graph.parse(data=_read(result, endpoint, timeout), format=rdf_format)
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        raise StoreError(
            f"SPARQL endpoint {endpoint} sent {content_type} that does not parse as RDF: "
            f"{_first_line(str(exc))}"
        ) from None
    return graph


def _json(
    endpoint: str,
    query: str,
    form: str,
    *,
    timeout: float,
    user_agent: str | None,
    credentials: tuple[str, str] | None,
) -> dict[str, Any]:
    """Run a SELECT or ASK query and return the decoded JSON results."""
    wrapper = _wrapper(endpoint, query, form, timeout, user_agent, credentials)
    wrapper.setReturnFormat(JSON)
    result = _run(wrapper, endpoint, timeout)
    body = _read(result, endpoint, timeout)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise StoreError(
            f"SPARQL endpoint {endpoint} did not answer with SPARQL JSON results: "
            f"{_first_line(body.decode('utf-8', 'replace'))!r}"
        ) from None
    if not isinstance(data, dict):
        raise StoreError(f"SPARQL endpoint {endpoint} sent JSON that is not a SPARQL result")
    return data


def _wrapper(
    endpoint: str,
    query: str,
    form: str,
    timeout: float,
    user_agent: str | None,
    credentials: tuple[str, str] | None,
) -> SPARQLWrapper:
    """Configure a SPARQLWrapper for one POSTed query (long queries do not fit a URL)."""
    parts = urlsplit(endpoint)
    if parts.username is not None or parts.password is not None:  # never repeat such a URL: it holds them
        raise EndpointAuthError(
            "the SPARQL endpoint URL carries credentials (user:password@host): remove them; kg takes "
            "a password only from --password-env VARIABLE or a prompt (kg push), never from a URL"
        )
    wrapper = SPARQLWrapper(endpoint, agent=user_agent or _default_user_agent())
    wrapper.setMethod(POST)
    # setTimeout() truncates to int, and a 0 would mean no timeout at all.
    wrapper.timeout = timeout  # type: ignore[assignment]
    wrapper.setQuery(query)
    # SPARQLWrapper guesses the form from the text and gets fooled by words in comments or
    # string literals ("add up to" -> ADD; a bound value "… DROP ALL" -> DROP), and sends
    # what it takes for an update as `update=`. The caller knows the form: set it.
    wrapper.queryType = form
    if credentials is not None:
        wrapper.setCredentials(*credentials)
    return wrapper


def _run(wrapper: SPARQLWrapper, endpoint: str, timeout: float) -> Any:
    """Send the query and map every failure to one StoreError line."""
    sent = getattr(wrapper, "user", None) is not None  # credentials went with the request
    try:
        return wrapper.query()
    except SPARQLWrapperException as exc:
        status = {
            "QueryBadFormed": 400,
            "Unauthorized": 401,
            "EndPointNotFound": 404,
            "URITooLong": 414,
            "EndPointInternalError": 500,
        }.get(type(exc).__name__)
        raise _http_error(endpoint, status, _wrapped_body(exc), sent=sent) from None
    except urllib.error.HTTPError as exc:
        raise _http_error(endpoint, exc.code, _safe_body(exc), sent=sent) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _timeout(endpoint, timeout) from None
        raise StoreError(
            f"cannot reach SPARQL endpoint {endpoint} ({_reason(exc.reason)}): "
            "is the server running and the URL right?"
        ) from None
    except TimeoutError:
        raise _timeout(endpoint, timeout) from None
    except OSError as exc:
        raise StoreError(f"cannot reach SPARQL endpoint {endpoint} ({_reason(exc)})") from None


def _read(result: Any, endpoint: str, timeout: float) -> bytes:
    """Read the response body; a stalled body is a timeout like any other."""
    try:
        return result.response.read()
    except TimeoutError:
        raise _timeout(endpoint, timeout) from None
    except OSError as exc:
        raise StoreError(
            f"SPARQL endpoint {endpoint} broke off its answer ({_reason(exc)})"
        ) from None


def _http_error(endpoint: str, status: int | None, body: bytes | None, *, sent: bool) -> StoreError:
    """Describe an HTTP error status, quoting the server's reason when it gave one."""
    if status in (401, 403) and sent:
        return EndpointAuthError(
            f"SPARQL endpoint {endpoint} refused the credentials (HTTP {status}): an authentication "
            "problem; check --user and the password in the --password-env variable, and that the "
            "account may read graphs"
        )
    if status in (401, 403):
        return EndpointAuthError(
            f"SPARQL endpoint {endpoint} requires authentication (HTTP {status}) and kg sent no "
            "credentials: query an endpoint open to anonymous reads (kg query --endpoint sends "
            "none; kg push sends --user NAME with the password in --password-env VARIABLE)"
        )
    reason = _first_line(body.decode("utf-8", "replace")) if body else ""
    if status == 400:
        what = "rejected the query as malformed"
    elif status == 404:
        what = "was not found (check the endpoint URL)"
    elif status is not None and status >= 500:
        what = "failed with a server error"
    else:
        what = "refused the request"
    suffix = f": {reason}" if reason else ""
    return StoreError(f"SPARQL endpoint {endpoint} {what} (HTTP {status}){suffix}")


def _timeout(endpoint: str, timeout: float) -> StoreError:
    return StoreError(
        f"SPARQL endpoint {endpoint} did not answer within {timeout:g} s: "
        "raise the timeout or simplify the query"
    )


def _wrapped_body(exc: SPARQLWrapperException) -> bytes | None:
    """Recover the server's answer, which SPARQLWrapper keeps only inside its message."""
    _, marker, body = str(exc).partition("\n\nResponse:\n")
    if not marker:
        return None
    try:
        value = ast.literal_eval(body)
    except (ValueError, SyntaxError):
        return body.encode("utf-8")
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _safe_body(exc: urllib.error.HTTPError) -> bytes | None:
    try:
        return exc.read()
    except OSError:
        return None


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__


def _first_line(text: str) -> str:
    """Return the first informative line of a server message, shortened."""
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("<"):
            return line[:_REASON_CHARS]
    return text.strip()[:_REASON_CHARS]


def _term(value: dict[str, str]) -> Node:
    """Convert one SPARQL JSON result binding into an rdflib term."""
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        lang = value.get("xml:lang")
        if lang:
            return Literal(value["value"], lang=lang)
        datatype = value.get("datatype")
        return Literal(value["value"], datatype=URIRef(datatype) if datatype else None)
    raise ValueError(f"unsupported binding type {kind!r}")
