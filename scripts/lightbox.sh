#!/usr/bin/env bash
# One entry point behind the npm scripts: set up whatever is missing, then act.
#   start  build if needed, serve build/ on http://127.0.0.1:${PORT:-8000}/
#   build  rebuild build/
#   prepare  set up and build if needed, as start does, without serving (scripts/kiosk.sh)
#   test   build, then every suite: ruff, mypy, tsc, node --test, pytest (unit + browser)
#   bench  build, then the benchmark (prints a table, writes bench-results/)
#   fuzz   a fuzzing campaign over the native paths: -- --count N --seconds S [--seed K]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
VENV=$ROOT/.venv

say() { printf '\033[1m[lightbox]\033[0m %s\n' "$*"; }

ensure_npm() {
  if [ ! -d node_modules/pyodide ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund
  fi
}

ensure_venv() {
  local stamp=$VENV/.requirements
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating the Python environment in .venv"
    "$PY" -m venv "$VENV"
  fi
  if ! cmp -s requirements-dev.txt "$stamp"; then
    say "installing Python packages (requirements-dev.txt) and lightbox itself (editable)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    # The package itself, so `lightbox render|deid` and the bench import it from py/.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
    cp requirements-dev.txt "$stamp"
  fi
}

build_inputs_newer() {
  [ ! -f build/build-info.json ] && return 0
  [ -n "$(find web py tools package-lock.json -newer build/build-info.json -print -quit)" ]
}

ensure_build() {
  if [ "${1:-}" = force ] || build_inputs_newer; then
    "$VENV/bin/python" -m tools.build
  fi
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "the browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install -y chromium'"
    exit 1
  fi
}

# The video tests and the bench encode H.264, HEVC and MPEG-2 clips with Debian's ffmpeg and
# decode the reference frames with it (tests/support/video.py).
ensure_ffmpeg() {
  if command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's ffmpeg for the video tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null
  else
    say "the video tests need ffmpeg: run 'sudo apt-get install -y ffmpeg'"
    exit 1
  fi
}

case "${1:-}" in
  start)
    ensure_npm; ensure_venv; ensure_build
    exec "$VENV/bin/python" -m tools.serve --port "${PORT:-8000}"
    ;;
  build)
    ensure_npm; ensure_venv; ensure_build force
    ;;
  prepare)
    ensure_npm; ensure_venv; ensure_build
    ;;
  test)
    ensure_npm; ensure_venv; ensure_build force; ensure_chromium; ensure_ffmpeg
    say "lint: ruff"
    "$VENV/bin/ruff" check py tools tests
    "$VENV/bin/ruff" format --check py tools tests
    say "types: mypy (strict) and tsc (checkJs, strict)"
    "$VENV/bin/mypy"
    say "layers: import-linter (pyproject.toml [tool.importlinter])"
    "$VENV/bin/lint-imports"
    npx --no-install tsc -p jsconfig.json
    say "lint and format: eslint, prettier --check"
    npx --no-install eslint web tests/js
    npx --no-install prettier --check web tests/js
    say "JavaScript unit tests: node --test"
    node --test tests/js/
    say "Python unit and browser tests: pytest"
    "$VENV/bin/python" -m pytest tests "${@:2}"
    ;;
  bench)
    ensure_npm; ensure_venv; ensure_build; ensure_chromium; ensure_ffmpeg
    exec "$VENV/bin/python" -m tools.bench "${@:2}"
    ;;
  fuzz)
    ensure_venv
    exec "$VENV/bin/python" -W ignore -m tests.fuzz "${@:2}"
    ;;
  *)
    echo "usage: scripts/lightbox.sh start|build|prepare|test|bench|fuzz" >&2
    exit 2
    ;;
esac
