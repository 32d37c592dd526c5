#!/usr/bin/env bash
# OpenSSL's command line, the independent oracle for certificates (identity) and CMS envelopes.
# Present on the project's machines; installed from Debian's packages where it is not.
set -euo pipefail
if command -v openssl >/dev/null 2>&1; then
  echo "openssl: $(openssl version)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "openssl is missing and this user cannot install it: apt-get install openssl" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
echo "openssl: installed $(openssl version)"
