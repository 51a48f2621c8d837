#!/usr/bin/env bash
# Usage: chimerax_bundle/setup-test-env.sh VENV [--no-torch]
#
# Makes VENV a headless ChimeraX 1.7.1 (from shared/chimerax beside the checkout) with
# what the bundle's tests need, and installs the bundle built from this checkout:
#
#   chimerax_bundle/setup-test-env.sh /tmp/cxvenv
#   /tmp/cxvenv/bin/python -m pytest tests/chimerax
#
# --no-torch leaves torch, transformers and the models out (and Qt, which only the panel's
# test needs): ChimeraX's Python as a user sets it up to run models in a worker in another
# Python (tests/chimerax_worker).
#
# Safe to re-run (it rebuilds and reinstalls the bundle: re-run it after editing src/).
# ChimeraX pins numpy 1.26.4, so this venv is separate from the project's (numpy 2).
# SHARED (default: shared/ beside the checkout) holds the headless ChimeraX recipe.
set -euo pipefail

VENV=${1:?usage: setup-test-env.sh VENV [--no-torch]}
TORCH=yes
if [ "${2:-}" = "--no-torch" ]; then
  TORCH=no
elif [ -n "${2:-}" ]; then
  echo "error: unknown option $2; the only option is --no-torch" >&2
  exit 2
fi
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

# 2. the core's dependencies; numpy stays at ChimeraX's pin; matplotlib 3.8.2 is ChimeraX
#    1.7.1's own pin, for `attention stats` figures; hypothesis (and its sortedcontainers, as
#    in requirements.txt) for the commands' fuzz tests (tests/chimerax/test_cx_fuzz_arguments.py)
"${PIP[@]}" "numpy==1.26.4" "biopython==1.88" "pytest==9.2.0" "matplotlib==3.8.2" \
  "hypothesis==6.170.17" "sortedcontainers==2.4.0"
# ChimeraX 1.7.1's own pin, left out of the slim set: `toolshed install X.whl` imports it
"${PIP[@]}" "wheel-filename==1.4.1"
if [ "$TORCH" = yes ]; then
  # torch 2.13.0 resolves to the CPU build on this machine's disk (+cpu, no CUDA packages)
  "${PIP[@]}" "torch==2.13.0" "transformers==5.24.0" "tokenizers==0.23.3" \
    "huggingface_hub==2.4.0" "safetensors==0.8.0"
  # 0.1.3 ships AntiBERTy's weights; its declared dependencies would change torch
  "${PIP[@]}" --no-deps "antiberty==0.1.3"
  # `attention probe` fits its probes with scikit-learn (requirements.txt's pins), on
  # scipy 1.12.0, ChimeraX 1.7.1's own pin
  "${PIP[@]}" "scikit-learn==1.9.1" "scipy==1.12.0" "joblib==1.6.0" "threadpoolctl==3.8.0" \
    "cloudpickle==3.1.3" "narwhals==2.29.0"
  # Qt for the panel's widgets, built offscreen by tests/chimerax/test_tool_panel.py, and
  # for text in saved images (`key true`: colour keys, 2D labels; tests/chimerax/
  # test_pictures.py and docs/pictures/chimerax_key.py, through shared/chimerax/qtshim.py).
  # This ChimeraX has no Qt of its own; offscreen images also need Debian's libosmesa6.
  "${PIP[@]}" "PyQt6==6.6.1" "PyQt6-Qt6==6.6.1" "PyQt6-sip==13.6.0"
fi

# 3. the protattn core (tests/chimerax/conftest.py puts this checkout's core/ first on
#    sys.path all the same, so the tests never run a stale copy)
"${PIP[@]}" --no-deps --force-reinstall "$ROOT"

# 4. the bundle, built with ChimeraX's bundle builder. ChimeraX 1.7 reads bundle metadata
#    with pkginfo 1.9.6, which knows Metadata-Version up to 2.2: setuptools >= 77 writes 2.4
#    and the toolshed would not see the bundle. From 75.8.1 on, setuptools also lower-cases
#    the wheel's and dist-info's names (chimerax_protattn-0.1.0.dist-info), and the toolshed,
#    which takes a bundle's name from its dist-info folder, would list "chimerax-protattn"
#    instead of "ProtAttn" (as ChimeraX's own ChimeraX_AddH-2.2.5.dist-info lists "AddH").
#    So the wheel is built with setuptools 75.8.0: ChimeraX_ProtAttn-0.1.0-py3-none-any.whl.
#    It is kept in VENV/protattn-wheel: tests/chimerax/test_toolshed_install.py installs it
#    again with ChimeraX's own `toolshed install`.
WHEELS="$VENV/protattn-wheel"
rm -rf "$WHEELS"
"${PIP[@]}" --no-warn-conflicts "setuptools==75.8.0"  # for this build only
"$VENV/bin/pip" wheel --quiet --no-build-isolation --no-deps -w "$WHEELS" "$HERE"
rm -rf "$HERE"/*.egg-info "$HERE/build"  # else the toolshed may read these instead
"${PIP[@]}" --no-deps --force-reinstall "$WHEELS"/ChimeraX_ProtAttn-*.whl

# 5. the toolshed imports pkg_resources (setuptools < 81); torch wants setuptools >= 77.0.3
"${PIP[@]}" "setuptools>=77.0.3,<81"

"$VENV/bin/python" - "$TORCH" <<'EOF'
import importlib.util, sys
import numpy
if numpy.__version__ != "1.26.4":
    raise SystemExit(f"numpy {numpy.__version__} in the venv; ChimeraX 1.7 needs 1.26.4")
if sys.argv[1] == "no" and importlib.util.find_spec("torch") is not None:
    raise SystemExit("torch is installed in the venv made with --no-torch; remove the venv")
EOF
if [ "$TORCH" = yes ]; then
  echo "OK: $VENV (ChimeraX with the ProtAttn bundle; run: $VENV/bin/python -m pytest tests/chimerax)"
else
  echo "OK: $VENV (ChimeraX with the ProtAttn bundle, no torch; run: cd tests/chimerax_worker" \
       "&& $VENV/bin/python -m pytest .)"
fi
