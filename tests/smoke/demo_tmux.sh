#!/usr/bin/env bash
# Smoke test, by hand (not in CI): run `make demo` in tmux and check the captured screen.
# Usage: tests/smoke/demo_tmux.sh [WIDTHxHEIGHT ...]   (default: 100x30 160x48 240x70)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tmux >/dev/null || { echo "tmux is not installed" >&2; exit 1; }

sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(100x30 160x48 240x70)
session="alp-smoke-$$"
home="$(mktemp -d)"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$home"' EXIT

fail() { echo "FAIL ($1): $2" >&2; echo "--- screen ---" >&2; echo "$screen" >&2; exit 1; }

wait_for() {  # wait_for SIZE PATTERN: poll the screen up to 30 s
    for _ in $(seq 1 60); do
        screen="$(tmux capture-pane -p -t "$session")"
        if grep -q -- "$2" <<<"$screen"; then return 0; fi
        sleep 0.5
    done
    fail "$1" "never saw: $2"
}

wait_gone() {  # wait_gone SIZE PATTERN: poll until the pattern left the screen (30 s)
    for _ in $(seq 1 60); do
        screen="$(tmux capture-pane -p -t "$session")"
        if ! grep -q -- "$2" <<<"$screen"; then return 0; fi
        sleep 0.5
    done
    fail "$1" "still on screen: $2"
}

for size in "${sizes[@]}"; do
    w="${size%x*}"; h="${size#*x}"
    # a fresh config dir so the user's config is neither read nor written
    tmux new-session -d -s "$session" -x "$w" -y "$h" \
        "env XDG_CONFIG_HOME='$home' make demo"
    screen=""
    wait_for "$size" "DEMO"
    wait_for "$size" "Markets ● fresh"
    wait_for "$size" "Order book BTC_USDT"
    wait_for "$size" "BTC_USDT"
    wait_for "$size" "Balances"
    grep -q "Traceback" <<<"$screen" && fail "$size" "a traceback is on screen"
    # keys: help opens and closes, a pair switch reaches the header
    tmux send-keys -t "$session" "?"
    wait_for "$size" "Help — keys"
    tmux send-keys -t "$session" Escape
    wait_gone "$size" "Help — keys"
    tmux send-keys -t "$session" "/" "ETH_USDT" Enter
    wait_for "$size" "Order book ETH_USDT"
    tmux send-keys -t "$session" "q"
    for _ in $(seq 1 20); do
        tmux has-session -t "$session" 2>/dev/null || break
        sleep 0.5
    done
    tmux kill-session -t "$session" 2>/dev/null || true
    echo "ok $size"
done
echo "smoke test passed"
