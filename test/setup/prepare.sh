#!/usr/bin/env bash
# Installs and builds what the integration tests need, before they run. Each service has its
# own numbered script beside this one (NN-name.sh); they run in order and must be idempotent and
# quick when everything is already in place.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shopt -s nullglob
for script in "$here"/[0-9][0-9]-*.sh; do
  echo "prepare: $(basename "$script")"
  bash "$script"
done
