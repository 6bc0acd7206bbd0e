"""Find the project's bundled folders (ontology/, queries/) in a checkout or an install."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

from kg.errors import ConfigError


def project_path(name: str) -> Path:
    """Return the folder `name` ("ontology", "queries") shipped with kg.

    Looks beside the package (a checkout or editable install), then in the
    data folder a wheel installs (`<prefix>/share/kg/NAME`).

    Raises:
        ConfigError: when the folder is in neither place.
    """
    candidates = [
        Path(__file__).resolve().parent.parent / name,
        Path(sysconfig.get_path("data")) / "share" / "kg" / name,
        Path(sys.prefix) / "share" / "kg" / name,
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        f"kg's {name}/ folder is missing (looked in {', '.join(map(str, candidates))}); reinstall kg"
    )
