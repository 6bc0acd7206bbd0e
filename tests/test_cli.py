"""The command line through main([...]): exit codes, summary, queries, bad input."""

from __future__ import annotations

import json

from kg.cli import main
from tests.conftest import SEEDS


def test_build_prints_a_summary(tmp_path, capsys):
    assert main(["build", str(SEEDS), "--out", str(tmp_path), "--format", "nq"]) == 0
    out = capsys.readouterr().out
    assert "built 5 articles (0 skipped)" in out and "Person" in out and "triples" in out
    assert (tmp_path / "graph.trig").exists() and (tmp_path / "graph.nq").exists()


def test_query_entities_and_aliases(seed_build, capsys):
    assert main(["query", "entities", "--data", str(seed_build.out), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]["bindings"]
    by_label = {r["label"]["value"]: r["type"]["value"] for r in rows}
    assert by_label["Badghis"] == "Province" and by_label["Taliban"] == "ArmedGroup"
    assert main(["query", "entities", "--data", str(seed_build.out), "--param", "kind=Person", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "entity,label,type,wikidata" and all(",Person," in line for line in lines[1:])
    assert main(["query", "aliases", "--data", str(seed_build.out), "--format", "tsv"]) == 0
    aliases = capsys.readouterr().out
    assert "Qala-e-Naw" in aliases and "Qala-e Naw" in aliases


def test_query_errors_are_one_line(seed_build, capsys):
    assert main(["query", "no-such-query", "--data", str(seed_build.out)]) == 2
    assert main(["query", "entities", "--data", str(seed_build.out), "--param", "bogus=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "unknown query" in err[0] and "no parameter bogus" in err[1]
    assert "Traceback" not in "".join(err)


def test_bad_inputs_are_skipped_and_nothing_built_is_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("", encoding="utf-8")
    assert main(["build", str(bad), "--out", str(tmp_path / "o1")]) == 1
    err = capsys.readouterr().err
    assert "empty.txt: empty file" in err and "no article could be read" in err
    assert not (tmp_path / "o1").exists()
    (bad / "good.txt").write_text("Taliban fighters attacked Kunduz city on Monday, officials said.", encoding="utf-8")
    assert main(["build", str(bad), "--out", str(tmp_path / "o2")]) == 0
    assert main(["build", str(bad), "--out", str(tmp_path / "o3"), "--strict"]) == 1
    assert not (tmp_path / "o3").exists()


def test_help_and_usage(capsys):
    assert main(["--help"]) == 0
    assert "build" in capsys.readouterr().out
    assert main(["frobnicate"]) == 2
