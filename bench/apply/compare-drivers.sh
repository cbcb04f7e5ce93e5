#!/usr/bin/env bash
# The PostgreSQL driver, before and after: runs the apply benchmark built at
# the last commit that used diesel's libpq `PgConnection` (OLD, default
# bdcf9ce) and as checked out here (tokio-postgres under diesel-async's
# synchronous wrapper), alternately, against the same server, each reporting
# its ratios to the same hand-written SQL. Building OLD needs libpq's headers
# (Debian: libpq-dev); nothing else in the repository does.
#
#   bash bench/apply/compare-drivers.sh [ROUNDS] [-- benchmark arguments]
#   bash bench/apply/compare-drivers.sh 2 -- --scale 1
set -euo pipefail
cd "$(dirname "$0")/../.."
old="${OLD:-bdcf9ce}"
rounds="${1:-1}"
shift || true
[ "${1:-}" = "--" ] && shift
tree="$(mktemp -d)/old"
git worktree add --detach --force "$tree" "$old" >/dev/null
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
echo "== building the benchmark at $old (libpq) and here (pure Rust)"
(cd "$tree" && CARGO_TARGET_DIR="$PWD/../target" cargo build --release --quiet -p llm-lifecycle-apply-bench)
cargo build --release --quiet -p llm-lifecycle-apply-bench
for round in $(seq 1 "$rounds"); do
  echo "== round $round: libpq ($old)"
  "$tree/../target/release/llm-lifecycle-apply-bench" "$@"
  echo "== round $round: tokio-postgres ($(git rev-parse --short HEAD))"
  target/release/llm-lifecycle-apply-bench "$@"
done
