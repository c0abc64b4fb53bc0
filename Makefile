# cvlab: `make run` executes the course, `make test` checks it.
# Both create .venv if needed and install the pinned versions from constraints.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Kernel settings for this environment: figures inline, no C++ log in notebooks (cvhelpers/course/lab.py).
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py
BUILD  := build

# Course knobs, e.g. `make run NOTEBOOKS="03 04" PROFILE=full SEED=1`.
# DATA_DIR=~/my_images: the notebooks that take it (01 03 04 05 08) run on your folder, one subfolder
# per class, into build/folders/<folder name>/; IMAGE_SIZE (default 64) is the side its images are padded to.
NOTEBOOKS ?=
PROFILE   ?= course
SEED      ?= 0
DATA_DIR  ?=
IMAGE_SIZE ?=

export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0
export CVLAB_PROFILE := $(PROFILE)
export CVLAB_SEED := $(SEED)

.PHONY: setup data run test lint unit nbval lab bench experiment results lock clean

setup: $(STAMP) $(KERNEL_CONFIG) data

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[course]"
	touch $(STAMP)

$(KERNEL_CONFIG): $(STAMP) cvhelpers/course/lab.py
	$(BIN)/python -m cvhelpers.course.lab --install-kernel-config

# Offline data: installs the Debian packages when root (or password-less sudo),
# otherwise prints the command to run. With a network the loaders download instead.
data: $(STAMP)
	$(BIN)/python -m cvhelpers.data --install

run: setup
	$(BIN)/python -m cvhelpers.course.runner --build-dir $(BUILD) --profile $(PROFILE) --seed $(SEED) \
		$(if $(NOTEBOOKS),--notebooks $(NOTEBOOKS)) $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
		$(if $(IMAGE_SIZE),--param IMAGE_SIZE=$(IMAGE_SIZE))

test: setup lint unit nbval

# House rules ([tool.ruff] in pyproject.toml); the notebooks are not linted.
lint: $(STAMP)
	$(BIN)/ruff check cvhelpers tests benchmarks experiments

# Scripts and tests draw off-screen; notebooks' kernels draw inline whatever this says.
unit: $(STAMP) $(KERNEL_CONFIG)
	MPLBACKEND=Agg $(BIN)/python -m pytest tests -q

nbval: setup
	CVLAB_RESULTS_DIR=$(CURDIR)/$(BUILD)/nbval-results \
		$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks/ -q

# JupyterLab on notebooks/ (also as root); prints the URL to open. Extra flags: make lab LAB_ARGS="--port 8899".
lab: setup
	$(BIN)/python -m cvhelpers.course.lab $(LAB_ARGS)

bench: setup
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[course,bench]"
	MPLBACKEND=Agg $(BIN)/python benchmarks/run_all.py

# The long-tail study (hours, not a speed benchmark; experiments/README.md), results in
# build/bench/lt_methods*.json. Its flags: make experiment EXPERIMENT_ARGS="--core".
experiment: setup
	MPLBACKEND=Agg $(BIN)/python experiments/lt_methods.py $(EXPERIMENT_ARGS)

# docs/results.md and the README's results block, from the JSON records committed in docs/records/
# (cvhelpers/course/results_page.py). `make results COLLECT=build` first copies a run's records there.
RECORDS ?= docs/records
results: $(STAMP)
	$(BIN)/python -m cvhelpers.course.results_page --records $(RECORDS)/results --run-times $(RECORDS)/run_times.json \
		--bench $(RECORDS)/bench --out docs/results.md --readme README.md $(if $(COLLECT),--collect $(COLLECT))

# Re-pin: resolve the newest allowed versions and rewrite constraints.txt.
lock:
	rm -rf $(BUILD)/lock-venv && $(PYTHON) -m venv $(BUILD)/lock-venv
	$(BUILD)/lock-venv/bin/pip install -q --upgrade pip
	$(BUILD)/lock-venv/bin/pip install -q -e ".[course]"
	$(BUILD)/lock-venv/bin/pip freeze --all --exclude-editable | grep -v '^cvhelpers\|^pip==' > constraints.txt
	rm -rf $(BUILD)/lock-venv

clean:
	rm -rf $(BUILD)
