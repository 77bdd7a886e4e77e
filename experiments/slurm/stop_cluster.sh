#!/usr/bin/env bash
# Stop the cluster started by start_cluster.sh and delete its folder (no state left behind).
#   experiments/slurm/stop_cluster.sh [folder]     # default $INCUMBENT_SLURM_DIR
set -uo pipefail
dir="${1:-${INCUMBENT_SLURM_DIR:-}}"
[ -n "$dir" ] && [ -f "$dir/slurm.conf" ] || { echo "slurm: no cluster folder given" >&2; exit 2; }
export SLURM_CONF="$dir/slurm.conf"
scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
for _ in $(seq 30); do  # let cancelled jobs finish their clean-up before slurmd stops
    [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 1
done
stop() {  # stop the daemon whose pid file is $1, waiting for it to exit
    [ -f "$1" ] || return 0
    pid="$(cat "$1")"
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
}
stop "$dir/slurmd.pid"
stop "$dir/slurmctld.pid"
stop "$dir/munge/munged.pid"
rm -rf "$dir"
echo "slurm: cluster stopped, $dir removed" >&2
