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

.PHONY: venv chimerax-venv pymol-lite-venv chimerax-lite-venv demo test test-core test-chimerax \
	test-worker lint bench plugin-zip clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

chimerax-venv: $(CXVENV)/.installed

$(CXVENV)/.installed: requirements.txt setup.py chimerax_bundle/setup-test-env.sh \
		$(shell find chimerax_bundle core -name '*.py' -o -name '*.toml' 2>/dev/null)
	SHARED=$(SHARED) bash chimerax_bundle/setup-test-env.sh $(CXVENV)
	touch $@

# PyMOL with numpy, Biopython and matplotlib but no torch; the checkout's core and plugin
# are on its path (a .pth file), as the plugin zip would put them.
pymol-lite-venv: $(PYLITE)/.installed

$(PYLITE)/.installed: requirements.txt
	test -x $(PYLITE)/bin/python || $(PYTHON) -m venv $(PYLITE)
	$(PYLITE)/bin/pip install --quiet $$(grep -E '^(pymol-open-source|numpy|biopython|matplotlib|pytest)==' requirements.txt)
	$(PYLITE)/bin/python -c "import site; open(site.getsitepackages()[0] + '/protattn-checkout.pth', 'w').write('$(CURDIR)/core\n$(CURDIR)/plugin\n')"
	touch $@

# headless ChimeraX with the bundle and the core but no torch (its models run in a worker)
chimerax-lite-venv: $(CXLITE)/.installed

$(CXLITE)/.installed: requirements.txt setup.py chimerax_bundle/setup-test-env.sh \
		$(shell find chimerax_bundle core -name '*.py' -o -name '*.toml' 2>/dev/null)
	SHARED=$(SHARED) bash chimerax_bundle/setup-test-env.sh $(CXLITE) --no-torch
	touch $@

# AntiBERTy on the HIV-1 protease PyMOL ships: a pairs table and a ray-traced picture.
DEMO_PDB  = $$($(BIN)/python -c "from pymol import cmd; print(cmd.exp_path('\$$PYMOL_DATA/tut/1hpv.pdb'))")
DEMO_HEAD = 6-3
demo: venv
	mkdir -p $(OUT)
	$(BIN)/protattn pairs $(DEMO_PDB) --layer-head $(DEMO_HEAD) --min-separation 6 \
		--format csv -o $(OUT)/1hpv_pairs_$(DEMO_HEAD).csv
	$(BIN)/protattn render $(DEMO_PDB) --layer-head $(DEMO_HEAD) --min-separation 6 \
		--png $(OUT)/1hpv_pairs_$(DEMO_HEAD).png
	@echo "demo: wrote $(OUT)/1hpv_pairs_$(DEMO_HEAD).csv and $(OUT)/1hpv_pairs_$(DEMO_HEAD).png"

test: test-core test-chimerax test-worker

test-core: venv
	$(BIN)/python -m pytest tests --ignore=tests/chimerax --ignore=tests/pymol_worker \
		--ignore=tests/chimerax_worker

test-chimerax: chimerax-venv
	cd tests/chimerax && ../../$(CXVENV)/bin/python -m pytest .

# PyMOL's and ChimeraX's Pythons without torch drive a worker in $(VENV)
test-worker: venv pymol-lite-venv chimerax-lite-venv
	PROTATTN_TEST_WORKER_PYTHON=$(CURDIR)/$(BIN)/python $(PYLITE)/bin/python -m pytest tests/pymol_worker
	cd tests/chimerax_worker && PROTATTN_TEST_WORKER_PYTHON=$(CURDIR)/$(BIN)/python \
		../../$(CXLITE)/bin/python -m pytest .

lint: venv
	$(BIN)/ruff check core plugin chimerax_bundle tests benchmarks

bench: venv
	$(BIN)/python benchmarks/bench_attention_cache.py
	$(BIN)/python benchmarks/bench_pymol_drawing.py

# the PyMOL plugin with the core inside, for PyMOL's Plugin Manager (Install New Plugin)
plugin-zip: venv
	$(BIN)/python plugin/build_zip.py --output dist/protattn_pymol.zip

clean:
	rm -rf $(VENV) $(CXVENV) $(PYLITE) $(CXLITE) $(OUT) build dist *.egg-info chimerax_bundle/*.egg-info
