# protattn: `make demo` runs the offline demo, `make test` runs every test.
# Both create what they need on a fresh machine (virtual environments, pinned packages).

PYTHON  ?= python3
VENV    ?= .venv
CXVENV  ?= .venv-chimerax
# hosts' Pythons without torch, whose models run in a worker in $(VENV) (tests/*_worker)
PYLITE  ?= .venv-pymol-lite
CXLITE  ?= .venv-chimerax-lite
SHARED  ?= ../shared
OUT     ?= demo-output
BIN      = $(VENV)/bin
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1

.PHONY: help venv chimerax-venv pymol-lite-venv chimerax-lite-venv demo test test-core \
	test-chimerax test-worker check lint format typecheck bench plugin-zip pictures clean

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

venv: $(VENV)/.installed  ## .venv: the core's pinned packages, protattn installed editable

$(VENV)/.installed: requirements.txt pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

chimerax-venv: $(CXVENV)/.installed  ## .venv-chimerax: headless ChimeraX with the bundle

$(CXVENV)/.installed: requirements.txt pyproject.toml setup.py chimerax_bundle/setup-test-env.sh \
		$(shell find chimerax_bundle core -name '*.py' -o -name '*.toml' 2>/dev/null)
	SHARED=$(SHARED) bash chimerax_bundle/setup-test-env.sh $(CXVENV)
	touch $@

# PyMOL with numpy, Biopython and matplotlib but no torch; the checkout's core and plugin
# are on its path (a .pth file), as the plugin zip would put them.
pymol-lite-venv: $(PYLITE)/.installed  ## .venv-pymol-lite: PyMOL without torch

$(PYLITE)/.installed: requirements.txt
	test -x $(PYLITE)/bin/python || $(PYTHON) -m venv $(PYLITE)
	$(PYLITE)/bin/pip install --quiet $$(grep -E '^(pymol-open-source|numpy|biopython|matplotlib|pytest)==' requirements.txt)
	$(PYLITE)/bin/python -c "import site; open(site.getsitepackages()[0] + '/protattn-checkout.pth', 'w').write('$(CURDIR)/core\n$(CURDIR)/plugin\n')"
	touch $@

# headless ChimeraX with the bundle and the core but no torch (its models run in a worker)
chimerax-lite-venv: $(CXLITE)/.installed  ## .venv-chimerax-lite: ChimeraX without torch

$(CXLITE)/.installed: requirements.txt pyproject.toml setup.py chimerax_bundle/setup-test-env.sh \
		$(shell find chimerax_bundle core -name '*.py' -o -name '*.toml' 2>/dev/null)
	SHARED=$(SHARED) bash chimerax_bundle/setup-test-env.sh $(CXLITE) --no-torch
	touch $@

# AntiBERTy on the HIV-1 protease PyMOL ships: a pairs table and a ray-traced picture.
DEMO_PDB  = $$($(BIN)/python -c "from pymol import cmd; print(cmd.exp_path('\$$PYMOL_DATA/tut/1hpv.pdb'))")
DEMO_HEAD = 6-3
demo: venv  ## the offline demo: pairs table and picture of AntiBERTy head 6-3 on 1HPV
	mkdir -p $(OUT)
	$(BIN)/protattn pairs $(DEMO_PDB) --layer-head $(DEMO_HEAD) --min-separation 6 \
		--format csv -o $(OUT)/1hpv_pairs_$(DEMO_HEAD).csv
	$(BIN)/protattn render $(DEMO_PDB) --layer-head $(DEMO_HEAD) --min-separation 6 \
		--png $(OUT)/1hpv_pairs_$(DEMO_HEAD).png
	@echo "demo: wrote $(OUT)/1hpv_pairs_$(DEMO_HEAD).csv and $(OUT)/1hpv_pairs_$(DEMO_HEAD).png"

test: check test-core test-chimerax test-worker  ## everything CI runs: checks, then every test

test-core: venv  ## core, PyMOL, CLI and benchmark tests, and every core module's doctests
	$(BIN)/python -m pytest tests --ignore=tests/chimerax --ignore=tests/pymol_worker \
		--ignore=tests/chimerax_worker
	$(BIN)/python -m pytest --doctest-modules core/protattn -q \
		-o doctest_optionflags="NORMALIZE_WHITESPACE ELLIPSIS"

test-chimerax: chimerax-venv  ## the ChimeraX bundle's tests in headless ChimeraX
	cd tests/chimerax && ../../$(CXVENV)/bin/python -m pytest .

# PyMOL's and ChimeraX's Pythons without torch drive a worker in $(VENV)
test-worker: venv pymol-lite-venv chimerax-lite-venv  ## hosts without torch, models in a worker
	PROTATTN_TEST_WORKER_PYTHON=$(CURDIR)/$(BIN)/python $(PYLITE)/bin/python -m pytest tests/pymol_worker
	cd tests/chimerax_worker && PROTATTN_TEST_WORKER_PYTHON=$(CURDIR)/$(BIN)/python \
		../../$(CXLITE)/bin/python -m pytest .

SOURCES = core plugin chimerax_bundle tests benchmarks docs/pictures

check: lint typecheck  ## lint, format and type checks (also run by pre-commit)

lint: venv  ## ruff: lint rules and formatting, checked
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

format: venv  ## ruff: fix what can be fixed, and format
	$(BIN)/ruff check --fix $(SOURCES)
	$(BIN)/ruff format $(SOURCES)

typecheck: venv  ## mypy on the core (configuration in pyproject.toml)
	$(BIN)/mypy

# README's pictures, each with its key: the demo, a stats figure, a ChimeraX image, the dialog
pictures: demo chimerax-venv  ## regenerate the pictures in docs/ that README shows
	cp $(OUT)/1hpv_pairs_$(DEMO_HEAD).png docs/demo_1hpv_pairs_$(DEMO_HEAD).png
	$(BIN)/protattn stats $(DEMO_PDB) --property binding_site --heatmap docs/stats_1hpv_binding_site.png \
		-o $(OUT)/stats_1hpv_binding_site.json -q
	$(CXVENV)/bin/python docs/pictures/chimerax_key.py docs/chimerax_1hpx_key.png
	xvfb-run -a $(BIN)/python docs/pictures/pymol_dialog.py docs/pymol_dialog.png
	$(BIN)/protattn probe $(SHARED)/data/structures/antibody --png docs/probe_antibodies.png -q
	$(BIN)/protattn aminoacids $(SHARED)/data/structures/antibody --png docs/aminoacids_antibodies.png -q
	$(BIN)/protattn query $(SHARED)/data/structures/antibody/1VFB.cif --residues B:99-104 \
		--layer-head 5-5 --concatenate --png docs/query_1vfb_cdrh3.png
	$(BIN)/protattn diff $(SHARED)/data/structures/antibody/1VFB.cif --chain B --mutations B:Y101A \
		--layer-head 6-3 --png docs/diff_1vfb_Y101A.png
	$(BIN)/protattn survey $(SHARED)/data/reference/provis_binding_site_valid.tsv -o $(OUT)/survey -q
	cp $(OUT)/survey/figures/top_heads_paper_binding_site.png docs/survey_antiberty_binding_site.png

bench: venv  ## the quick benchmarks (results in benchmarks/RESULTS.md)
	$(BIN)/python benchmarks/bench_attention_cache.py
	$(BIN)/python benchmarks/bench_pymol_drawing.py

# the PyMOL plugin with the core inside, for PyMOL's Plugin Manager (Install New Plugin)
plugin-zip: venv  ## dist/protattn_pymol.zip for PyMOL's Plugin Manager
	$(BIN)/python plugin/build_zip.py --output dist/protattn_pymol.zip

clean:  ## remove the environments and build outputs
	rm -rf $(VENV) $(CXVENV) $(PYLITE) $(CXLITE) $(OUT) build dist *.egg-info chimerax_bundle/*.egg-info
