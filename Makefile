# The two commands of the README: `make render` (a walk video, headless) and `make test`.
# Each has a -newest twin that runs on the newest ComfyUI tree in ../shared/comfyui/ (tools/setup.sh newest).
# `make render` runs the shipped render CLI (scripts/render.py) through tools/render_demo.py, which gives it
# the random-weight demo model where RENDER_ARGS name no --checkpoint.
PY := .venv/bin/python
NEWEST := COMFYUI_DIR=$(CURDIR)/.newest/ComfyUI .newest/venv/bin/python
RENDER_ARGS ?=

.PHONY: setup setup-newest test test-newest render render-newest workflows docs registry

setup:
	bash tools/setup.sh

setup-newest:
	bash tools/setup.sh newest

test: setup
	$(PY) -m pytest

test-newest: setup-newest
	$(NEWEST) -m pytest

render: setup
	$(PY) -m tools.render_demo $(RENDER_ARGS)

render-newest: setup-newest
	$(NEWEST) -m tools.render_demo $(RENDER_ARGS)

workflows: setup setup-newest
	$(PY) -m tools.build_workflows
	$(NEWEST) -m tools.build_workflows

docs: setup
	$(PY) -m tools.node_reference

registry:
	bash tools/check_registry.sh
