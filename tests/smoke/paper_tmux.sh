#!/usr/bin/env bash
# Smoke test of paper mode, by hand (not in CI): `alp-tui sim` plays the live exchange in one
# tmux session, `alp-tui --paper` runs against it in another; a paper BUY is placed with the
# keys, the paper balances change, and the upstream's request log holds public GETs only.
# Usage: tests/smoke/paper_tmux.sh   (needs tmux and `make .venv/.installed`)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tmux >/dev/null || { echo "tmux is not installed" >&2; exit 1; }
bin="$PWD/.venv/bin"
[ -x "$bin/alp-tui" ] || { echo "no $bin/alp-tui: run make .venv/.installed first" >&2; exit 1; }
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
up="alp-paper-up-$$"
app="alp-paper-$$"
trap 'tmux kill-session -t "$app" 2>/dev/null || true; tmux kill-session -t "$up" 2>/dev/null || true; rm -rf "$work"' EXIT

fail() { echo "FAIL: $1" >&2; echo "--- screen ---" >&2; echo "$screen" >&2; exit 1; }

wait_for() {  # wait_for PATTERN: poll the dashboard's screen up to 30 s
    for _ in $(seq 1 60); do
        screen="$(tmux capture-pane -p -t "$app" 2>/dev/null)" || fail "the dashboard exited"
        if grep -q -- "$1" <<<"$screen"; then return 0; fi
        sleep 0.5
    done
    fail "never saw: $1"
}

cat >"$work/config.toml" <<TOML
[exchange]
base_url = "http://127.0.0.1:$port/api/v3"
[paper]
balances = {USDT = "10000", BTC = "0.1"}
TOML

tmux new-session -d -s "$up" -x 120 -y 20 "$bin/alp-tui sim --port $port -v >'$work/upstream.log' 2>&1"
for _ in $(seq 1 40); do
    grep -q "serving" "$work/upstream.log" 2>/dev/null && break
    sleep 0.25
done
# keys in the environment must not reach the exchange in paper mode
tmux new-session -d -s "$app" -x 160 -y 48 \
    "env XDG_CONFIG_HOME='$work/cfg' XDG_DATA_HOME='$work/data' ALP_API_KEY=k ALP_API_SECRET=s \
     $bin/alp-tui --paper --config '$work/config.toml'"
screen=""
wait_for "PAPER"
wait_for "Order book BTC_USDT"
wait_for "10,000.00"
grep -q "Traceback" <<<"$screen" && fail "a traceback is on screen"
# a BUY of 0.01 BTC at the last price (the form prefills it once its context has loaded)
tmux send-keys -t "$app" 3
sleep 0.5
tmux send-keys -t "$app" b
wait_for "paper order"
wait_for "Limit price  *▊  [0-9][0-9]*\\.[0-9]"  # prefilled with the last price, the amount focused
tmux send-keys -t "$app" "0.01" Enter
wait_for "Confirm BUY"
tmux send-keys -t "$app" Enter
wait_for "placed"
# filled or resting, 0.01 BTC's worth of USDT has left the available column
wait_for "SPOT    USDT  .*  9,0[0-9][0-9]\.[0-9][0-9] "
private="$(grep -E '"(POST|DELETE|PUT) |/accounts|/orders|/margin|/deposit|/withdraw' "$work/upstream.log" || true)"
[ -z "$private" ] || { screen="$private"; fail "a private request went upstream"; }
tmux send-keys -t "$app" C-q
echo "ok paper: a paper BUY placed against the upstream book; the upstream saw public GETs only"
