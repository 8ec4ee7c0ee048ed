#!/usr/bin/env bash
# A one-node SLURM cluster on the loopback, for the tests and CI (run as root):
#
#   bash scripts/slurm_cluster.sh install          # Debian's slurmctld, slurmd, slurm-client, munge (when missing)
#   bash scripts/slurm_cluster.sh start DIR        # munged, slurmctld and slurmd, everything under DIR
#   export SLURM_CONF=DIR/slurm.conf               # what sbatch, squeue, scancel and submitit then talk to
#   bash scripts/slurm_cluster.sh stop DIR         # stops the daemons that `start DIR` started, by their pids
#
# Its own munge key and socket, its own ports (free ones, chosen at start), state and spool folders in DIR:
# nothing of a cluster this machine may already run is used or touched. ProctrackType=proctrack/linuxproc and
# TaskPlugin=task/none need no cgroups (containers often have none); SelectType=select/cons_tres gives CPUs,
# memory and GPUs per job as on a real cluster. The node offers this machine's CPUs and 90% of its memory.
set -euo pipefail

PACKAGES=(slurmctld slurmd slurm-client munge)

install() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
        && command -v munged >/dev/null && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "slurm_cluster.sh: SLURM is not installed and cannot be (needs root and apt-get): ${PACKAGES[*]}" >&2
        return 1
    fi
    # policy-rc.d keeps the packages from starting their system-wide services (this script starts its own):
    # exit status 101 is "action forbidden" to invoke-rc.d and deb-systemd-invoke. An existing one is left as it is.
    local policy=/usr/sbin/policy-rc.d made_policy="" status=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
    fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${PACKAGES[@]}" >/dev/null || status=$?
    if [ -n "$made_policy" ]; then rm -f "$policy"; fi
    return "$status"
}

free_ports() {  # two free TCP ports on the loopback
    python3 -c 'import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])'
}

write_conf() {
    local dir=$1 node ports cpus memory
    node=$(hostname -s)
    read -r -a ports <<<"$(free_ports)"
    cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # nproc counts OMP_NUM_THREADS as a limit
    memory=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
    cat >"$dir/slurm.conf" <<EOF
ClusterName=ruqtopics-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
JobRequeue=1
MinJobAge=600
KillWait=10
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
DefMemPerCPU=$((memory / cpus))
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
    local dir
    dir=$(realpath -m "$1")
    install
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    chmod 700 "$dir/munge"
    head -c 1024 /dev/urandom >"$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
    munged --force --key-file "$dir/munge/munge.key" --socket "$dir/munge/munge.socket" \
        --pid-file "$dir/munge/munged.pid" --log-file "$dir/munge/munged.log" --seed-file "$dir/munge/munged.seed"
    write_conf "$dir"
    export SLURM_CONF=$dir/slurm.conf
    slurmctld -f "$SLURM_CONF"
    slurmd -f "$SLURM_CONF"
    for _ in $(seq 60); do  # the node answers within a few seconds
        if sinfo --noheader --format=%t 2>/dev/null | grep -qx "idle"; then
            echo "SLURM_CONF=$SLURM_CONF"
            return 0
        fi
        sleep 0.5
    done
    echo "slurm_cluster.sh: the node did not become idle in 30 s; see $dir/slurmctld.log and $dir/slurmd.log" >&2
    stop "$dir"
    return 1
}

running() {  # a live process (a daemon's zombie, left to a parent that does not reap it, counts as ended)
    [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

stop() {  # only what `start` started: the pids in its own pid files
    local dir pidfile pid pids=()
    dir=$(realpath -m "$1")
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        pid=$(cat "$pidfile" 2>/dev/null) || continue
        if running "$pid" && kill "$pid" 2>/dev/null; then
            pids+=("$pid")
        fi
        rm -f "$pidfile"
    done
    for pid in "${pids[@]}"; do  # each exits within seconds; wait at most 10 s for each
        for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
    done
}

case "${1:-}" in
    install) install ;;
    start) start "${2:?usage: slurm_cluster.sh start DIR}" ;;
    stop) stop "${2:?usage: slurm_cluster.sh stop DIR}" ;;
    *) echo "usage: slurm_cluster.sh install | start DIR | stop DIR" >&2; exit 2 ;;
esac
