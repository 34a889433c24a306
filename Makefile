# The two commands of the README: `make render` (a walk video, headless) and `make test`.
# Each has a -newest twin that runs on the newest ComfyUI tree in ../shared/comfyui/ (scripts/setup.sh newest).
PY := .venv/bin/python
NEWEST := COMFYUI_DIR=$(CURDIR)/.newest/ComfyUI .newest/venv/bin/python
RENDER_ARGS ?=

.PHONY: setup setup-newest test test-newest render render-newest workflows docs registry

setup:
	bash scripts/setup.sh

setup-newest:
	bash scripts/setup.sh newest

test: setup
	$(PY) -m pytest

test-newest: setup-newest
	$(NEWEST) -m pytest

render: setup
	$(PY) -m scripts.render $(RENDER_ARGS)

render-newest: setup-newest
	$(NEWEST) -m scripts.render $(RENDER_ARGS)

workflows: setup
	$(PY) -m scripts.build_workflows

docs: setup
	$(PY) -m scripts.node_reference

registry:
	bash scripts/check_registry.sh
