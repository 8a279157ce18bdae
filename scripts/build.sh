#!/usr/bin/env bash
# `make build`: `sam build` of the seven functions (arm64, provided.al2023, cargo-lambda + zig from PyPI),
# then each function's zipped size, as Lambda would receive it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
install_venv .venv scripts/requirements.txt
install_venv .venv-sam scripts/requirements-sam.txt
AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1} .venv-sam/bin/sam build
python3 - <<'PY'
import io, os, zipfile
root = ".aws-sam/build"
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name, "bootstrap")
    if not os.path.isfile(path):
        continue
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(path, "bootstrap")
    print(f"{name:16} bootstrap {os.path.getsize(path) / 2**20:5.2f} MiB   zip {len(buffer.getvalue()) / 2**20:5.2f} MiB")
PY
