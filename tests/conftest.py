"""Shared fixtures: one real build of the seeds per test session (real spaCy model)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory):
    """Build the bundled seeds once, with every output format."""
    from kg.pipeline import build

    out = tmp_path_factory.mktemp("seed-build")
    return build(inputs=[SEEDS], out=out, formats=["nt", "nq", "jsonld", "xml"])


@pytest.fixture(scope="session")
def seed_dataset(seed_build):
    """The seed graph loaded back from graph.trig."""
    from kg.rdf import load

    return load(seed_build.out)
