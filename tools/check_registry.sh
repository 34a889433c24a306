#!/usr/bin/env bash
# Registry readiness, as `comfy node publish` would see the pack: comfy-cli's own validation passes,
# and the archive it packs holds the pack (nodes, web, workflows, the render CLI in scripts/ and its
# requirements-ray.txt) and none of the development folders: tools/, tests/, benchmarks/, .ci/.
# comfy-cli lives in its own venv (.cache/comfy-cli), never in the test bed's.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
venv=.cache/comfy-cli
if [ ! -x "$venv/bin/comfy" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check comfy-cli==1.23.0
fi
comfy=("$venv/bin/comfy" --skip-prompt --no-enable-telemetry)
"${comfy[@]}" node validate
work=$(mktemp -d)
trap 'rm -rf "$work" node.zip' EXIT
"${comfy[@]}" node pack >/dev/null
mv node.zip "$work/"
python3 - "$work/node.zip" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
tops = {name.split("/")[0] for name in names}
missing = {"__init__.py", "pyproject.toml", "nodes", "latent_ops", "video_ops", "web", "workflows", "scripts",
           "requirements-ray.txt", "README.md"} - tops
unwanted = tops & {"tools", "tests", "benchmarks", ".ci"}
if missing or unwanted:
    sys.exit(f"registry archive: missing {sorted(missing)}, should not hold {sorted(unwanted)}")
print(f"registry archive: {len(names)} files, top level {sorted(tops)}")
PY
