# protattn: `make demo` runs the offline demo, `make test` runs every test.
# Both create what they need on a fresh machine (virtual environments, pinned packages).

PYTHON  ?= python3
VENV    ?= .venv
CXVENV  ?= .venv-chimerax
SHARED  ?= ../shared
OUT     ?= demo-output
BIN      = $(VENV)/bin
export HF_HUB_OFFLINE = 1
export TRANSFORMERS_OFFLINE = 1

.PHONY: venv chimerax-venv demo test test-core test-chimerax lint bench plugin-zip clean

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

test: test-core test-chimerax

test-core: venv
	$(BIN)/python -m pytest tests --ignore=tests/chimerax

test-chimerax: chimerax-venv
	cd tests/chimerax && ../../$(CXVENV)/bin/python -m pytest .

lint: venv
	$(BIN)/ruff check core plugin chimerax_bundle tests benchmarks

bench: venv
	$(BIN)/python benchmarks/bench_attention_cache.py
	$(BIN)/python benchmarks/bench_pymol_drawing.py

# the PyMOL plugin with the core inside, for PyMOL's Plugin Manager (Install New Plugin)
plugin-zip: venv
	$(BIN)/python plugin/build_zip.py --output dist/protattn_pymol.zip

clean:
	rm -rf $(VENV) $(CXVENV) $(OUT) build dist *.egg-info chimerax_bundle/*.egg-info
