# The two commands of the README: `make render` (a walk video, headless) and `make test`.
PY := .venv/bin/python
RENDER_ARGS ?=

.PHONY: setup test render workflows

setup:
	bash scripts/setup.sh

test: setup
	$(PY) -m pytest

render: setup
	$(PY) -m scripts.render $(RENDER_ARGS)

workflows: setup
	$(PY) -m scripts.build_workflows
