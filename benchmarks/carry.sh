#!/usr/bin/env bash
# Packs what the GPU machine (the `device` tool) lacks into .gpu/ (git-ignored), for `carry: [".gpu"]`:
# the test bed's ComfyUI tree without what an SD1.5 benchmark never loads (the API nodes, tests, the
# tokenizers of other model families), and the wheels of ComfyUI's requirements missing from its
# image (Python 3.12), within the 64 MiB a call may carry. On the GPU machine, first:
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .gpu/whl/*.whl && export PYTHONPATH=/tmp/site
#   export COMFYUI_DIR=$PWD/.gpu/ComfyUI
set -euo pipefail
cd "$(dirname "$0")/.."
comfy=${COMFYUI_DIR:-.comfyui/ComfyUI}
rm -rf .gpu && mkdir -p .gpu/whl
mkdir -p .gpu/ComfyUI
tar -C "$comfy" --exclude ./comfy_api_nodes --exclude ./tests --exclude ./tests-unit --exclude __pycache__ \
  --exclude './comfy/text_encoders/*_tokenizer' --exclude ./custom_nodes -cf - . | tar -C .gpu/ComfyUI -xf -
mkdir -p .gpu/ComfyUI/custom_nodes .gpu/ComfyUI/comfy_api_nodes
touch .gpu/ComfyUI/comfy_api_nodes/__init__.py
av=$(.venv/bin/python -c "import av; print(av.__version__)")
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .gpu/whl \
  "av==$av" torchsde trampoline alembic sqlalchemy greenlet mako pydantic pydantic-core pydantic-settings \
  python-dotenv annotated-types typing-inspection
du -sh .gpu
