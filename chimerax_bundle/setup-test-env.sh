#!/usr/bin/env bash
# Usage: chimerax_bundle/setup-test-env.sh VENV
#
# Makes VENV a headless ChimeraX 1.7.1 (from shared/chimerax beside the checkout) with
# what the bundle's tests need, and installs the bundle built from this checkout:
#
#   chimerax_bundle/setup-test-env.sh /tmp/cxvenv
#   /tmp/cxvenv/bin/python -m pytest tests/chimerax
#
# Safe to re-run (it rebuilds and reinstalls the bundle: re-run it after editing src/).
# ChimeraX pins numpy 1.26.4, so this venv is separate from the project's (numpy 2).
# SHARED (default: shared/ beside the checkout) holds the headless ChimeraX recipe.
set -euo pipefail

VENV=${1:?usage: setup-test-env.sh VENV}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
SHARED=${SHARED:-$ROOT/../shared}
if [ ! -f "$SHARED/chimerax/setup-venv.sh" ]; then
  echo "error: $SHARED/chimerax/setup-venv.sh not found; set SHARED or put shared/ beside" \
       "the checkout" >&2
  exit 1
fi

# 1. headless ChimeraX with what atomic structures, commands and offscreen images need
bash "$SHARED/chimerax/setup-venv.sh" "$VENV" slim
PIP=("$VENV/bin/pip" install --quiet)

# 2. the core's dependencies; numpy stays at ChimeraX's pin. torch 2.13.0 resolves to the
#    CPU build on this machine's disk (+cpu, no CUDA packages).
"${PIP[@]}" "numpy==1.26.4" "torch==2.13.0" "transformers==5.24.0" "tokenizers==0.23.3" \
  "huggingface_hub==2.4.0" "safetensors==0.8.0" "biopython==1.88" "pytest==9.2.0" \
  "matplotlib==3.8.2"  # ChimeraX 1.7.1's own pin, for `attention stats` figures
# 0.1.3 ships AntiBERTy's weights; its declared dependencies would change torch
"${PIP[@]}" --no-deps "antiberty==0.1.3"

# 3. the protattn core (tests/chimerax/conftest.py puts this checkout's core/ first on
#    sys.path all the same, so the tests never run a stale copy)
"${PIP[@]}" --no-deps --force-reinstall "$ROOT"

# 4. the bundle, built with ChimeraX's bundle builder. ChimeraX 1.7 reads bundle metadata
#    with pkginfo 1.9.6, which knows Metadata-Version up to 2.2: setuptools >= 77 writes 2.4
#    and the toolshed would not see the bundle, so the wheel is built with setuptools 76.
WHEELS=$(mktemp -d)
trap 'rm -rf "$WHEELS"' EXIT
"${PIP[@]}" --no-warn-conflicts "setuptools==76.1.0"  # for this build only
"$VENV/bin/pip" wheel --quiet --no-build-isolation --no-deps -w "$WHEELS" "$HERE"
rm -rf "$HERE"/*.egg-info "$HERE/build"  # else the toolshed may read these instead
"${PIP[@]}" --no-deps --force-reinstall "$WHEELS"/chimerax_protattn-*.whl

# 5. the toolshed imports pkg_resources (setuptools < 81); torch wants setuptools >= 77.0.3
"${PIP[@]}" "setuptools>=77.0.3,<81"

"$VENV/bin/python" - <<'EOF'
import numpy
if numpy.__version__ != "1.26.4":
    raise SystemExit(f"numpy {numpy.__version__} in the venv; ChimeraX 1.7 needs 1.26.4")
EOF
echo "OK: $VENV (ChimeraX with the ProtAttn bundle; run: $VENV/bin/python -m pytest tests/chimerax)"
