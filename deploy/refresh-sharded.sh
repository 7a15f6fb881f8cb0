#!/usr/bin/env bash
# Refresh in N shards on one machine, one process per GitHub token, then publish them all in
# one merge (deploy/README.md, "One process per token"). Run from cron or systemd like
# `./dev cli refresh`; the tokens come from the environment (an env file, chmod 600), never
# from the command line:
#   OSSAI_TOKEN_1=... OSSAI_TOKEN_2=... OSSAI_SHARDS=2 deploy/refresh-sharded.sh [refresh options]
# Each shard runs with GITHUB_TOKEN set to its own token and asks one request at a time. Exit
# status: merge's (0 all published, 3 some lane failed in part or stopped, 4 nothing merged).
#
# Scheduled form: with OSSAI_SCHEDULE set (a cron expression, UTC), the script stays running
# (a systemd service, Type=simple): each lane is `./dev cli schedule --cron "$OSSAI_SCHEDULE"
# --shard K/N` with its own token, writing its batch of the day, and one more process is
# `./dev cli schedule --merge --cron "$OSSAI_MERGE_SCHEDULE"` (default: hourly at :45), which
# publishes the batches the lanes finished. Stopping the script stops them all.
#   OSSAI_SCHEDULE="15 */6 * * *" OSSAI_TOKEN_1=... deploy/refresh-sharded.sh [refresh options]
set -u
cd "$(dirname "$0")/.." || exit 2
shards="${OSSAI_SHARDS:-4}"
schedule="${OSSAI_SCHEDULE:-}"
pids=()
if [ -n "$schedule" ]; then
  stop() {
    trap - TERM INT
    kill "${pids[@]}" 2>/dev/null
    wait
    exit 0
  }
  trap stop TERM INT
  for k in $(seq 1 "$shards"); do
    token="OSSAI_TOKEN_$k"
    GITHUB_TOKEN="${!token:-}" ./dev cli schedule --cron "$schedule" --shard "$k/$shards" "$@" &
    pids+=("$!")
  done
  ./dev cli schedule --merge --cron "${OSSAI_MERGE_SCHEDULE:-45 * * * *}" &
  pids+=("$!")
  wait  # until stopped (a lane that exits, e.g. on a bad option, has said why)
  exit 0
fi
batch="$(date -u +%Y%m%dT%H%M)"
for k in $(seq 1 "$shards"); do
  token="OSSAI_TOKEN_$k"
  GITHUB_TOKEN="${!token:-}" ./dev cli refresh --quiet --shard "$k/$shards" --batch "$batch" "$@" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do
  wait "$pid" || true  # a shard that failed says so in its batch; merge reports it
done
./dev cli merge
