#!/usr/bin/env bash
# npm run bench [-- --quick] [-- --only=pixel,post,redirect,proxy1k,proxy100k,static,tls,consumer,consumers,lag,workers,soak]
# Installs nothing: it names what is missing. Runs only on 127.0.0.1, each run bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in nginx wrk caddy nats-server taskset openssl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "bench: missing ${missing[*]}." >&2
  echo "  On Debian: apt-get install -y nginx wrk caddy nats-server util-linux openssl" >&2
  exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: needs 2 cores (the server under test on core 0, the load on core 1); this machine has $(nproc)." >&2
  exit 1
fi
if [ ! -f dist/cli.js ] || [ -n "$(find src -newer dist/cli.js -name '*.ts' -print -quit)" ]; then
  echo "bench: building dist/ (npm run build)"
  npm run build --silent
fi
# Work that just ended (a test suite, another run) leaves the 1-minute load average high for a minute or two, and
# its last processes still running: wait up to 2 minutes for it to fall below 1 before measuring, saying so.
for waited in $(seq 0 5 120); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  if awk -v l="$load" 'BEGIN { exit !(l < 1) }' || [ "$waited" -eq 120 ]; then break; fi
  echo "bench: load average $load, waiting for it to fall below 1 (${waited} s of 120)"
  sleep 5
done
echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg) (other load on this machine skews the numbers; it is recorded in the results)"
exec node bench/bench.mjs "$@"
