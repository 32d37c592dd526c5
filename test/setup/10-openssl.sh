#!/usr/bin/env bash
# OpenSSL's command line, the independent oracle for certificates (identity) and CMS envelopes.
# Present on the project's machines; installed from Debian's packages where it is not.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-command.sh" openssl openssl
