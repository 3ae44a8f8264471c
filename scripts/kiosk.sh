#!/usr/bin/env bash
# `npm run kiosk`: Lightbox as an offline demo kiosk. Builds if needed, serves build/ on
# http://127.0.0.1:${PORT:-8000}/ (file:// pages cannot load Pyodide), opens Chromium in
# kiosk mode on ?kiosk, and stops the server when Chromium exits.
#
#   PORT=8000              the loopback port
#   KIOSK_PARAMS=idle=60&reset=300   appended to the page's query (see web/js/kiosk/kiosk.js)
#   KIOSK_PROFILE=dir      Chromium's profile (default ~/.cache/lightbox-kiosk): a dedicated
#                          one, so the service worker's cache persists from run to run
#   CHROMIUM=path          the browser (default /usr/bin/chromium, else chromium on PATH)
#   KIOSK_DRY_RUN=1        print the commands (build, server, browser) and run none of them
# Extra arguments are passed to Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${PORT:-8000}
PY=$ROOT/.venv/bin/python
PROFILE=${KIOSK_PROFILE:-$HOME/.cache/lightbox-kiosk}
URL="http://127.0.0.1:$PORT/?kiosk${KIOSK_PARAMS:+&$KIOSK_PARAMS}"
DRY=${KIOSK_DRY_RUN:-}

say() { printf '\033[1m[kiosk]\033[0m %s\n' "$*" >&2; }

if ! [[ $PORT =~ ^[0-9]{1,5}$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  say "PORT must be a number from 1 to 65535, not '$PORT'"
  exit 2
fi

find_chromium() {
  if [ -n "${CHROMIUM:-}" ]; then echo "$CHROMIUM"
  elif [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium
  elif command -v chromium >/dev/null 2>&1; then command -v chromium
  else echo ""
  fi
}

BROWSER=$(find_chromium)
if [ -z "$BROWSER" ]; then
  if [ -n "$DRY" ]; then BROWSER=chromium; else
    say "Chromium is needed: install Debian's package (sudo apt-get install -y chromium) or set CHROMIUM"
    exit 1
  fi
fi

BROWSER_ARGS=(
  --kiosk "--app=$URL"
  --no-first-run --disable-background-networking --disable-component-update --disable-sync
  --noerrdialogs --disable-translate --overscroll-history-navigation=0
  "--user-data-dir=$PROFILE"
)
# Chromium refuses to run as root without this (a kiosk should not run as root anyway).
if [ "$(id -u)" = 0 ]; then BROWSER_ARGS+=(--no-sandbox); fi
BROWSER_ARGS+=("$@")

SERVER=("$PY" -m tools.serve --port "$PORT")

PREPARE=(bash scripts/lightbox.sh prepare)

# One command line as a shell would read it: plain words as they are, others in quotes.
show() {
  local out=() word
  for word in "$@"; do
    if [[ $word =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then out+=("$word")
    else out+=("'${word//\'/\'\\\'\'}'")
    fi
  done
  echo "${out[*]}"
}

if [ -n "$DRY" ]; then
  show "${PREPARE[@]}"
  echo "$(show "${SERVER[@]}") &"
  show "$BROWSER" "${BROWSER_ARGS[@]}"
  exit 0
fi

# What `npm start` does before serving: npm packages, .venv, and a build if web/, py/ or
# tools/ changed since the last one.
"${PREPARE[@]}"
if [ ! -f build/precache.json ]; then
  say "build/ has no precache.json (an older build): rebuilding"
  bash scripts/lightbox.sh build
fi

answers() {
  "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=1).close()' "$PORT" >/dev/null 2>&1
}
if answers; then
  say "something already answers on port $PORT: stop it or choose another, e.g. PORT=8001 npm run kiosk"
  exit 1
fi

"${SERVER[@]}" &
SERVER_PID=$!
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
trap stop_server EXIT
trap 'exit 130' INT TERM

# Wait until the server answers (up to about 20 s); give up if it exited.
ready=
for _ in $(seq 1 100); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    say "the server stopped: is port $PORT in use? Try PORT=8001 npm run kiosk"
    exit 1
  fi
  if answers; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  say "the server did not answer on port $PORT"
  exit 1
fi

mkdir -p "$PROFILE"
say "opening $URL"
status=0
"$BROWSER" "${BROWSER_ARGS[@]}" || status=$?
say "Chromium exited ($status); stopping the server"
exit "$status"
