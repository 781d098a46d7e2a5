#!/usr/bin/env bash
# Build the one-folder desktop app with PyInstaller: dist/FrontDesk/ (FrontDesk executable).
#
#   packaging/build.sh                      # into dist/ and build/ at the repository root
#   packaging/build.sh --dist D --work W    # elsewhere (the packaging test builds in a tmp dir)
#
# Uses the project's .venv (created by packaging/bootstrap.sh --test, which installs
# PyInstaller); PYTHON=/path/to/python overrides it. Always a clean build: a stale build/
# folder has shipped old modules before. Prints the folder's size and the build time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dist="$root/dist"
work="$root/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) dist="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

python="${PYTHON:-$root/.venv/bin/python}"
if [ ! -x "$python" ]; then
  echo "no $python: run packaging/bootstrap.sh --test first (or set PYTHON)" >&2
  exit 1
fi
if ! "$python" -c "import PyInstaller" 2>/dev/null; then
  echo "PyInstaller is not installed in $python: run packaging/bootstrap.sh --test" >&2
  exit 1
fi
# The version shown by `FrontDesk --version` comes from the installed package's metadata.
if ! "$python" -c "import importlib.metadata as m; m.version('frontdesk')" 2>/dev/null; then
  echo "the frontdesk package is not installed in $python: run packaging/bootstrap.sh" >&2
  exit 1
fi

start=$(date +%s)
cd "$root"
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$dist" --workpath "$work" packaging/frontdesk.spec
end=$(date +%s)

app="$dist/FrontDesk"
[ -d "$app" ] || { echo "build failed: no $app" >&2; exit 1; }
size=$(du -sh "$app" | cut -f1)
files=$(find "$app" -type f | wc -l)
echo "built $app: $size in $files files, $((end - start)) s"
