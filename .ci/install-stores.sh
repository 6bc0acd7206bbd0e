#!/usr/bin/env bash
# Install the graph stores the store tests run against (idempotent).
#   Virtuoso 7 (Debian package virtuoso-opensource-7-bin: virtuoso-t, isql-vt; starts no service)
#   Oxigraph server (PyPI package oxigraph: the `oxigraph` command)
# Safe to call on every CI run: each step is skipped when its tool is already there.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi

if ! command -v virtuoso-t >/dev/null 2>&1; then
    # Refresh the package lists only when apt cannot see the package yet.
    if ! apt-cache show virtuoso-opensource-7-bin >/dev/null 2>&1; then
        $SUDO apt-get update -qq
    fi
    $SUDO env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null
fi

if ! command -v oxigraph >/dev/null 2>&1; then
    python -m pip install --quiet oxigraph
fi

echo "install-stores: virtuoso-t at $(command -v virtuoso-t), oxigraph at $(command -v oxigraph)"
