#!/usr/bin/env bash
# Set up a checkout on a fresh machine: the system libraries Qt needs, a virtual environment
# in .venv and FrontDesk installed into it. `--test` adds the test and lint tools.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--test" ] && extras="[test]"

# Qt's xcb/offscreen plugins load these at run time; pip cannot provide them.
apt_packages=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 libglib2.0-0 xvfb xauth)
# The tests also need: a real Secret Service to start the app under (gnome-keyring in a private
# D-Bus session), and faketime to run the suite again at another date.
[ -n "$extras" ] && apt_packages+=(gnome-keyring dbus faketime)
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "Installing system libraries for Qt: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".${extras}"

# A test generates a client from /openapi.json with openapi-python-client, which pins an older
# httpx than FrontDesk's: it gets a virtual environment of its own.
if [ -n "$extras" ]; then
  [ -x .venv-openapi-client/bin/python ] || "$python" -m venv .venv-openapi-client
  .venv-openapi-client/bin/python -m pip install -q "openapi-python-client>=0.29,<0.30"
fi
