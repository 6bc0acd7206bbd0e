"""Faults and security: nothing is lost, nothing from an article is ever executed or fetched.

A full disk and a read-only output folder are real (a tmpfs in a private mount namespace), Ctrl-C is
a real SIGINT to a running `kg build`, pushes go to the real Oxigraph server of tests/servers.py. The
one fake (a disk that fills up exactly at the second file) is marked where it is used. The bad inputs
themselves are in tests/test_hostile.py.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import XSD, Dataset, Graph, Literal

from kg import engines, queries, rdf, remote
from kg.articles import Problem, load
from kg.cli import main
from kg.config import Settings
from kg.errors import OutputError, StoreError
from kg.htmltext import read_html
from kg.nlp import Extractor
from kg.pipeline import assemble
from tests import servers
from tests.conftest import ROOT, SEEDS

HOSTILE = Path(__file__).parent / "hostile"
SECRET = (HOSTILE / "secret.dat").read_text("utf-8").strip()
HOSTILE_OUTLET = json.loads((HOSTILE / "metadata.json").read_text("utf-8"))["hostile-labels.txt"]["outlet"]
# parameter values that would end a SPARQL string or IRI and run an update, were they pasted
INJECTIONS = ['"} ; DROP ALL ; #', "<http://example.org/x> } ; DROP ALL", HOSTILE_OUTLET]
oxigraph = servers.oxigraph  # the real Oxigraph server of tests/test_store.py, started once per session


# --- the previous output survives, nothing half-written is left ---------------------------------

def graph_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output of an earlier build (one article), which a failed build must leave as it was."""
    out = tmp_path_factory.mktemp("previous")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["build", str(HOSTILE / "good-kunduz.txt"), "--out", str(out), "--no-cache", "--quiet"]) == 0
    return out


def test_an_output_folder_behind_a_file_is_one_clear_error(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    code = main(["build", str(HOSTILE / "good-kunduz.txt"), "--out", str(blocker / "out"), "--quiet", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"kg: cannot write {blocker / 'out' / 'graph.trig'} (Not a directory); a file is in the way")
    assert blocker.read_text(encoding="utf-8") == "a file where the output folder should be"


def test_a_failure_at_the_second_file_replaces_none_of_them(tmp_path, monkeypatch):
    (tmp_path / "graph.trig").write_text("old trig", encoding="utf-8")
    (tmp_path / "graph.ttl").write_text("old ttl", encoding="utf-8")
    real_stage = rdf._stage

    # The one fake of this module: a disk that fills up exactly at the second file cannot be
    # arranged for real in-process (the real full disk is the tmpfs test below), so writing
    # the second file raises the ENOSPC the kernel would give, after the first was written.
    def stage(path: Path, text: str) -> Path:
        if path.name == "graph.ttl":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_stage(path, text)

    monkeypatch.setattr(rdf, "_stage", stage)
    with pytest.raises(OutputError, match=r"No space left on device\); the disk is full.*previous output .* unchanged"):
        rdf.write_files({tmp_path / "graph.trig": "new trig", tmp_path / "graph.ttl": "new ttl"})
    assert graph_files(tmp_path) == {"graph.trig": b"old trig", "graph.ttl": b"old ttl"}


def test_ctrl_c_during_the_renames_waits_until_every_file_is_in_place(tmp_path, monkeypatch):
    for name in ("graph.trig", "graph.ttl"):
        (tmp_path / name).write_text("old", encoding="utf-8")
    real_replace = os.replace

    def replace(source: Path, target: Path) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, delivered while the files are swapped in
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        rdf.write_files({tmp_path / "graph.trig": "new", tmp_path / "graph.ttl": "new"})
    assert graph_files(tmp_path) == {"graph.trig": b"new", "graph.ttl": b"new"}


def private_mounts() -> bool:
    """Say whether this machine lets a process mount a tmpfs in its own namespace (no root needed)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=64k kgprobe /mnt || mount -t tmpfs -o size=64k kgprobe /tmp"],
                           capture_output=True, timeout=30, check=False)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not private_mounts(), reason="cannot mount a tmpfs in a private namespace here")
MOUNTED_BUILD = """
mount -t tmpfs -o size="$SIZE" kg-hostile "$OUT"
cp "$PREVIOUS"/graph.trig "$PREVIOUS"/graph.ttl "$OUT"/
[ -z "$READ_ONLY" ] || mount -o remount,ro "$OUT"
set +e
"$PYTHON" -m kg build "$INPUT" --out "$OUT" --quiet $OPTIONS 2>"$RESULT/err"
echo $? > "$RESULT/code"
set -e
cp "$OUT"/graph.trig "$OUT"/graph.ttl "$RESULT"/
ls -A "$OUT" > "$RESULT/listing"
"""


def build_on_tmpfs(tmp_path: Path, previous: Path, *, size: str, read_only: bool, options: str = "") -> tuple[int, str, Path]:
    """Run `kg build` of the seeds into a fresh tmpfs holding the previous output; return code, stderr, results."""
    result, out = tmp_path / "result", tmp_path / "mnt"
    result.mkdir()
    out.mkdir()
    env = {**os.environ, "SIZE": size, "OUT": str(out), "PREVIOUS": str(previous), "RESULT": str(result),
           "PYTHON": sys.executable, "INPUT": str(SEEDS), "OPTIONS": options, "READ_ONLY": "1" if read_only else ""}
    subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-euc", MOUNTED_BUILD],
                   env=env, cwd=ROOT, check=True, timeout=600)
    return int((result / "code").read_text()), (result / "err").read_text(), result


@needs_mounts
def test_a_full_disk_leaves_the_previous_output_and_says_so(tmp_path, previous):
    code, err, result = build_on_tmpfs(tmp_path, previous, size="96k", read_only=False, options="--no-cache")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "No space left on device" in err and "the disk is full" in err and "unchanged" in err
    for name in ("graph.trig", "graph.ttl"):
        assert (result / name).read_bytes() == (previous / name).read_bytes()
    assert (result / "listing").read_text().split() == ["graph.trig", "graph.ttl"]  # no temporary file left


@needs_mounts
def test_a_read_only_output_folder_leaves_the_previous_output_and_says_so(tmp_path, previous):
    code, err, result = build_on_tmpfs(tmp_path, previous, size="1m", read_only=True, options="--no-cache")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert "(Read-only file system); the file system is read-only" in err and "unchanged" in err
    for name in ("graph.trig", "graph.ttl"):
        assert (result / name).read_bytes() == (previous / name).read_bytes()
    assert (result / "listing").read_text().split() == ["graph.trig", "graph.ttl"]


def test_ctrl_c_stops_a_build_with_130_and_leaves_nothing_half_written(tmp_path, previous):
    corpus, out, scratch = tmp_path / "corpus", tmp_path / "out", tmp_path / "tmp"
    corpus.mkdir()
    scratch.mkdir()
    seeds = [a for a in load([SEEDS]) if not isinstance(a, Problem)]
    for i in range(60):  # distinct texts, so none is skipped as a duplicate
        (corpus / f"a{i:02d}.txt").write_text(f"{seeds[i % len(seeds)].text}\n\nOfficials said on day {i} that the "
                                              "roads to the city were closed.", encoding="utf-8")
    shutil.copytree(previous, out)
    before = graph_files(out)
    process = subprocess.Popen([sys.executable, "-m", "kg", "build", str(corpus), "--out", str(out), "--no-cache"],
                               cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    seen = b""
    deadline = time.monotonic() + 300
    os.set_blocking(process.stderr.fileno(), False)
    while b"extracting" not in seen and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        seen += process.stderr.read() or b""
    assert b"extracting" in seen, seen  # the build is running: the progress bar is up
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C goes to the whole foreground process group
    out_text, rest = process.communicate(timeout=120)
    err = (seen + rest).decode()
    assert process.returncode == 130, err
    assert "kg: interrupted" in err and "Traceback" not in err
    assert graph_files(out) == before  # the previous output, byte for byte
    assert sorted(p.name for p in out.iterdir()) == sorted(before)  # and nothing else: no temporary file
    assert not list(scratch.iterdir())  # no temporary file left elsewhere either
    assert b"built" not in out_text


# --- security ------------------------------------------------------------------------------------

def answer(result: queries.Result) -> object:
    """A comparable form of a query result: the set of rows, the set of triples, or the boolean."""
    if result.form == "SELECT":
        return {tuple(sorted((k, str(v)) for k, v in row.items() if v is not None)) for row in result.rows}
    if result.graph is not None:
        return {tuple(str(term) for term in triple) for triple in result.graph}
    return result.answer


@pytest.fixture(scope="module")
def hostile_graph() -> Dataset:
    """The graph of the article whose names and metadata are SPARQL and Turtle injections."""
    articles = [a for a in load([HOSTILE]) if not isinstance(a, Problem) and a.source == "hostile-labels.txt"]
    dataset, _ = assemble(list(Extractor().extract(articles)), settings=Settings(link=False))
    dataset.default_union = True  # as `kg.rdf.load` gives it: queries see the union of the named graphs
    return dataset


def test_stored_queries_bind_article_values_and_never_run_them(hostile_graph):
    dataset = hostile_graph
    size, runs = len(dataset), 0
    for query in queries.stored().values():
        if query.network:
            continue  # calls a remote service
        for param in query.params:
            for value in INJECTIONS:  # through a VALUES block of n3() terms, as remote endpoints get them
                given = {p.name: value for p in query.params if p.required} | {param.name: value}
                got = answer(queries.run(query, data=dataset, given=given, engine="pyoxigraph"))
                if value == HOSTILE_OUTLET:  # and through rdflib's initBindings: the same answer
                    assert answer(queries.run(query, data=dataset, given=given, engine="rdflib")) == got, query.name
                runs += 1
    assert runs >= 60 and len(dataset) == size  # no DROP, no INSERT: the graph is as built
    card = queries.run(queries.find("entity-card"), data=dataset, given={"entity": HOSTILE_OUTLET})
    assert Literal(HOSTILE_OUTLET) in set(card.graph.objects())  # the value was matched as one literal


def test_an_html_entity_pointing_at_a_local_file_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    page = read_html(f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]><html><body><p>Fighting near Herat '
                     f'&xxe; continued on Sunday, officials said.</p><iframe src="{secret.as_uri()}"></iframe></body></html>')
    assert "Fighting near Herat" in " ".join(page.lines) and SECRET not in " ".join(page.lines)


def rdfxml(tmp_path: Path, doctype: str) -> Path:
    path = tmp_path / "graph.rdf"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n{doctype}\n]>\n<rdf:RDF xmlns:rdf="http://www.w3.org/'
                    '1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"><rdf:Description '
                    'rdf:about="http://example.org/a"><rdfs:label>before &e; after</rdfs:label></rdf:Description>'
                    "</rdf:RDF>\n", encoding="utf-8")
    return path


def test_rdfxml_with_an_external_entity_is_refused_and_the_file_never_read(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    path = rdfxml(tmp_path, f'<!ENTITY e SYSTEM "{secret.as_uri()}">')
    assert SECRET not in Graph().parse(path, format="xml").serialize(format="nt")  # rdflib and expat alone: skipped
    with pytest.raises(OutputError, match="declares an external entity .* never resolves external entities"):
        rdf.load(path)
    assert main(["query", "entities", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and SECRET not in err and "Traceback" not in err


def test_an_xml_bomb_is_refused_before_any_parser_expands_it(tmp_path):
    levels = "\n".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path = rdfxml(tmp_path, f'<!ENTITY l0 "lol">\n{levels}\n<!ENTITY e "&l9;">')
    started = time.perf_counter()
    with pytest.raises(OutputError, match="entity built from other entities"):
        rdf.load(path)
    assert time.perf_counter() - started < 5
    plain = rdfxml(tmp_path, '<!ENTITY e "http://example.org/">')  # entities as namespace shorthands are fine
    assert Literal("before http://example.org/ after") in set(rdf.load(plain).objects())


def test_the_fast_query_engine_refuses_an_xml_bomb_before_loading_it(tmp_path, capsys):
    levels = "\n".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 7))
    path = rdfxml(tmp_path, f'<!ENTITY l0 "lol">\n{levels}\n<!ENTITY e "&l6;">')  # 3 MB once expanded
    started = time.perf_counter()
    with pytest.raises(OutputError, match="entity built from other entities"):  # pyoxigraph would expand it
        queries.run(queries.find("entities"), data=path, engine="pyoxigraph")
    assert main(["query", "entities", "--data", str(path)]) == 2  # "auto" tries pyoxigraph on a file first
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "shape of an XML bomb" in err and "lollol" not in err
    assert time.perf_counter() - started < 5
    plain = rdfxml(tmp_path, '<!ENTITY e "http://example.org/">')  # an entity as a shorthand still loads
    got = engines.evaluate("SELECT ?o WHERE { ?s ?p ?o }", plain, {}, where="test", engine="pyoxigraph")
    assert got.engine == "pyoxigraph" and got.rows == [{"o": Literal("before http://example.org/ after")}]


def test_jsonld_with_a_remote_context_is_refused(tmp_path):
    context = tmp_path / "context.jsonld"
    context.write_text(json.dumps({"@context": {"label": f"http://example.org/{SECRET}"}}), encoding="utf-8")
    path = tmp_path / "graph.jsonld"
    path.write_text(json.dumps({"@context": context.as_uri(), "@id": "http://example.org/a", "label": "x"}), encoding="utf-8")
    with pytest.raises(OutputError, match="remote JSON-LD context .* does not fetch contexts") as refused:
        rdf.load(path)
    assert SECRET not in str(refused.value)


PUSH = ["push", "--data", "out", "--store", "oxigraph", "--url", "http://127.0.0.1:9", "--user", "dba"]


@pytest.mark.parametrize("typed", [["--password", SECRET], [f"--password={SECRET}"], ["--pass", SECRET],
                                   ["--passwd", SECRET], ["--api-token", SECRET], ["--secret", SECRET]])
def test_a_password_typed_on_the_command_line_is_refused_and_never_shown(capsys, typed):
    for argv in (PUSH + typed, ["link", *typed], ["wikidata", "refresh", *typed], ["buidl", *typed]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert SECRET not in out + err and err.count("\n") == 1, argv  # argparse would repeat it
        assert f"kg: {typed[0].split('=')[0]}: kg takes no password or token on the command line" in err
        assert "pass --password-env VARIABLE (kg push), or leave it out to be asked at a prompt" in err


def test_an_endpoint_answering_jsonld_cannot_make_kg_read_a_local_file(tmp_path):
    context = tmp_path / "context.jsonld"
    context.write_text(json.dumps({"@context": {"label": f"http://example.org/{SECRET}"}}), encoding="utf-8")
    body = json.dumps({"@context": context.as_uri(), "@id": "http://example.org/a", "label": "x"}).encode()
    refused = pytest.raises(StoreError, match="answered with application/ld[+]json, though kg asked for Turtle")
    with servers.answering(200, body, {"Content-Type": "application/ld+json"}) as (_, url), refused as got:
        remote.construct(url, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")  # rdflib would read the file
    assert SECRET not in str(got.value)


def test_passwords_never_go_on_the_command_line(capsys, monkeypatch):
    assert main(["push", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "--password-env" in help_text and re.search(r"--password(?!-env)\b", help_text) is None
    monkeypatch.delenv("KG_TEST_PASSWORD", raising=False)
    assert main([*PUSH, "--password-env", "KG_TEST_PASSWORD"]) == 2  # no terminal to prompt on under pytest
    assert "environment variable KG_TEST_PASSWORD is not set" in capsys.readouterr().err
    assert main([*PUSH, "--password-env", SECRET]) == 2  # the password itself where its variable's name goes
    err = capsys.readouterr().err
    assert SECRET not in err and "environment variable named by --password-env is not set" in err
    readme = (ROOT / "README.md").read_text("utf-8")
    examples = [m.group().strip("` ") for m in re.finditer(r"^\s*kg \w.*$|`kg \w[^`]*`", readme, flags=re.MULTILINE)]
    assert len(examples) > 20 and any("--password-env" in line for line in examples)
    secret = re.compile(r"--(?!password-env\b)[\w-]*(?:password|passwd|secret|token)|--pass\b")
    assert [line for line in examples if secret.search(line)] == []
    assert re.search(r"://[^/\s:@]+:[^/\s@]+@", readme) is None



def same_values(graph: Graph) -> set[tuple]:
    """The triples with numbers compared by value (a store may write 1.0 as 1)."""
    return {(s, p, o.toPython() if isinstance(o, Literal) and o.datatype == XSD.decimal else o) for s, p, o in graph}


def test_pushed_labels_arrive_as_they_are_through_sparql_update(tmp_path, oxigraph):
    from kg.store import push

    out = tmp_path / "out"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["build", str(HOSTILE / "hostile-labels.txt"), "--out", str(out), "--no-cache", "--quiet"]) == 0
    report = push(out, store="generic", update=f"{oxigraph.url}/update", query=oxigraph.query)
    assert {g.method for g in report.graphs} == {"update"}  # INSERT DATA text, the path where escaping matters
    for graph in Dataset().parse(out / "graph.trig", format="trig").graphs():
        if len(graph):
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph.identifier}> {{ ?s ?p ?o }} }}"
            assert same_values(remote.construct(oxigraph.query, query)) == same_values(graph), graph.identifier
    everything = remote.select(oxigraph.query, "SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }")
    assert HOSTILE_OUTLET in {str(row["label"]) for row in everything[1]}


@pytest.mark.parametrize("status, what", [(401, "wants credentials (HTTP 401 Unauthorized)"),
                                          (403, "refused access (HTTP 403 Forbidden")])
def test_a_linking_endpoint_that_wants_credentials_is_asked_once_and_named(tmp_path, monkeypatch, capsys,
                                                                           status, what):
    monkeypatch.setenv("KG_CACHE", str(tmp_path / "cache"))
    with servers.answering(status) as (server, url):
        code = main(["build", str(HOSTILE / "good-kunduz.txt"), "--out", str(tmp_path / "out"), "--endpoint", url])
    err = capsys.readouterr().err
    assert code == 2 and server.hits == 1  # a refusal is not retried
    assert err.count("\n") == 1 and f"SPARQL endpoint {url} {what}" in err and "Traceback" not in err
    assert "kg sends no credentials to a linking endpoint" in err and "--offline" in err and "kg bug" not in err
    assert not (tmp_path / "out" / "graph.trig").exists()  # nothing half-built was written


def test_link_and_query_name_an_authentication_problem_and_its_fix(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KG_CACHE", str(tmp_path / "cache"))
    with servers.answering(401) as (_, url):
        assert main(["link", str(HOSTILE / "good-kunduz.txt"), "--endpoint", url]) == 2
        linked = capsys.readouterr()
        assert main(["query", "entities", "--endpoint", url]) == 2
        queried = capsys.readouterr().err
    assert linked.out == "" and f"{url} wants credentials (HTTP 401 Unauthorized)" in linked.err
    assert "run with --offline to link from the bundled snapshot" in linked.err
    assert f"{url} requires authentication (HTTP 401) and kg sent no credentials" in queried
    assert queried.count("\n") == 1 and "check the user name" not in queried


def test_credentials_written_into_an_endpoint_url_are_refused_and_never_shown(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KG_CACHE", str(tmp_path / "cache"))
    url = f"http://reader:{SECRET}@127.0.0.1:9/sparql"
    assert main(["link", str(HOSTILE / "good-kunduz.txt"), "--endpoint", url]) == 2
    assert main(["query", "entities", "--endpoint", url]) == 2
    err = capsys.readouterr().err
    assert err.count("the SPARQL endpoint URL carries credentials") == 2 and SECRET not in err
