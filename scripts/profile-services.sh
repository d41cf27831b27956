#!/usr/bin/env bash
# Where each service's CPU goes under load (issue 10, item 6): CPU profiles of ingest and pseudonymise in
# their benchmarks (the service's part only), and of the three services as separate processes in
# bench:pipeline (deliver included), each summarised by scripts/cpu-profile-top.ts.
#   bash scripts/profile-services.sh [out-dir] [events]     (default .local/profile, 20000)
# The profiler costs CPU of its own: take figures from the benchmarks run without it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
out="${1:-.local/profile}"
events="${2:-20000}"
rm -rf "$out" && mkdir -p "$out/ingest" "$out/pseudonymise" "$out/pipeline"

BENCH_CPU_PROF_DIR="$out/ingest" node bench/ingest.bench.ts --events "$events" >"$out/ingest.txt"
BENCH_CPU_PROF_DIR="$out/pseudonymise" node bench/pseudonymise.bench.ts --events "$events" >"$out/pseudonymise.txt"
# every node process of the run writes a profile when it exits: the bench itself and the three services
NODE_OPTIONS="--cpu-prof --cpu-prof-dir=$out/pipeline --cpu-prof-interval=250" \
  node bench/pipeline.bench.ts --events "$events" --skip-broker --skip-latency --commit-interval 100 >"$out/pipeline.txt"

{
  echo "## CPU profiles, $events events ($(date -u +%FT%TZ), $(nproc) cores, Node $(node --version))"
  echo
  for f in "$out"/ingest/*.cpuprofile "$out"/pseudonymise/*.cpuprofile "$out"/pipeline/*.cpuprofile; do
    node scripts/cpu-profile-top.ts "$f" --events "$events" --top 20
  done
} >"$out/summary.md"
echo "profiles and summaries in $out (summary.md)"
