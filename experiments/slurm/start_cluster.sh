#!/usr/bin/env bash
# A real one-node SLURM cluster on this machine (slurmctld + slurmd + munge), for testing
# the kit's `hydra/launcher=slurm` sweeps end to end.
#
#   eval "$(experiments/slurm/start_cluster.sh)"     # prints: export SLURM_CONF=... INCUMBENT_SLURM_DIR=...
#   sinfo; python run.py -m hydra/launcher=slurm hydra.launcher.partition=debug ...
#   experiments/slurm/stop_cluster.sh                # stops the daemons, deletes the folder
#
# Needs root (the daemons run as root) and Debian/Ubuntu apt: installs slurm-wlm and munge
# when missing. Everything the cluster writes (slurm.conf, cgroup.conf, munge key and socket,
# controller state, spool, logs, job-completion log) lives in one temporary folder
# ($INCUMBENT_SLURM_DIR, default a new mktemp -d) that stop_cluster.sh removes. The node is
# this machine, addressed as localhost / 127.0.0.1. Environment knobs:
#   SLURM_CPUS (default: nproc)  SLURM_MEM_MB (default 4096)  SLURM_PORT (default 6817;
#   slurmd uses SLURM_PORT+1)  INCUMBENT_SLURM_DIR (folder to use)
# Progress goes to stderr; stdout is only the export line, for eval.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
say() { echo "slurm: $*" >&2; }

[ "$(id -u)" = 0 ] || { say "needs root (slurmd runs jobs as their user)"; exit 2; }
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || { say "slurm-wlm/munge missing and no apt-get to install them"; exit 2; }
    say "installing slurm-wlm and munge (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >&2
fi

dir="${INCUMBENT_SLURM_DIR:-$(mktemp -d /tmp/incumbent-slurm.XXXXXX)}"
mkdir -p "$dir"/{state,spool,log,munge,bin}
chmod 700 "$dir/munge"
cpus="${SLURM_CPUS:-$(nproc)}"
mem="${SLURM_MEM_MB:-4096}"
port="${SLURM_PORT:-6817}"

# munge: a fresh key and socket of our own (the system's munged, if any, is left alone)
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munge/munge.seed"

cat > "$dir/slurm.conf" <<CONF
# written by experiments/slurm/start_cluster.sh: one node, this machine, loopback addresses
ClusterName=incumbent
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups: containers often cannot delegate them; processes are tracked by parent pid
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# no accounting database (slurmdbd needs MySQL): finished jobs go to a text log instead,
# which the sacct in $dir/bin answers from (submitit polls sacct for job states)
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
KillWait=5
MinJobAge=3600
MaxArraySize=10000
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
cat > "$dir/cgroup.conf" <<CONF
# not used (ProctrackType=proctrack/linuxproc, TaskPlugin=task/none); present so slurmd
# finds no system-wide file with other settings
CgroupPlugin=autodetect
IgnoreSystemd=yes
CONF
install -m 755 "$here/sacct_from_jobcomp.py" "$dir/bin/sacct"

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N localhost
for _ in $(seq 60); do
    state="$(sinfo -h -n localhost -o %T 2>/dev/null || true)"
    [ "$state" = idle ] && break
    sleep 1
done
if [ "$state" != idle ]; then
    say "node not idle after 60 s (state: ${state:-none}); logs in $dir/log"
    tail -5 "$dir"/log/*.log >&2 || true
    exit 1
fi
say "cluster up: partition debug, node localhost ($cpus CPUs, $mem MB), folder $dir"
echo "export SLURM_CONF=$SLURM_CONF INCUMBENT_SLURM_DIR=$dir PATH=$dir/bin:\$PATH"
