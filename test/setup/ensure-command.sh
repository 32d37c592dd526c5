#!/usr/bin/env bash
# ensure-command.sh COMMAND PACKAGE: makes sure a command line tool is there, installing its
# Debian package when it is not (as root only). Prints the tool's version either way.
set -euo pipefail
command_name="$1"
package="$2"
version() { "$command_name" --version 2>/dev/null | sed -n 1p || "$command_name" version; }
if command -v "$command_name" >/dev/null 2>&1; then
  echo "$command_name: $(version)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "$command_name is missing and this user cannot install it: apt-get install $package" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
echo "$command_name: installed $(version)"
