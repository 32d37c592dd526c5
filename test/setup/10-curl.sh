#!/usr/bin/env bash
# curl, to run the commands `qshield demo` prints exactly as a user would.
# Present on the project's machines; installed from Debian's packages where it is not.
set -euo pipefail
exec bash "$(dirname "$0")/ensure-command.sh" curl curl
