#!/usr/bin/env bash
# Installs Debian's rabbitmq-server for the integration tests when it is absent. The harness
# (test/harness/rabbitmq.ts) starts its own node under .cache/, so the packaged system service
# must not start now nor at boot: it would hold the default ports and fight the harness.
set -euo pipefail

if command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "10-rabbitmq: need root or sudo to install rabbitmq-server" >&2; exit 1; }
  sudo="sudo"
fi

export DEBIAN_FRONTEND=noninteractive

# policy-rc.d answering 101 keeps maintainer scripts from starting the service during install.
added_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod 755 /usr/sbin/policy-rc.d
  added_policy=yes
fi
cleanup() { if [ -n "$added_policy" ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

if ! apt-cache show rabbitmq-server >/dev/null 2>&1; then
  $sudo apt-get update -qq
fi
if ! $sudo apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null; then
  # Stale package lists (a security update replaced a version): refresh once and retry.
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
fi

# Where systemd runs, keep the packaged service off so that only the harness's node runs.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now rabbitmq-server >/dev/null 2>&1 || true
fi
echo "10-rabbitmq: installed $(dpkg-query -W -f='${Version}' rabbitmq-server)"
