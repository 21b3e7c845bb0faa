#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, from Debian's slurm-wlm and munge, for testing
# pipelines/slurm/submit.sh against a real scheduler (Tests/Slurm/slurm-e2e.sh).
#
#   scripts/local-slurm.sh start     bring it up (as root); a no-op when it is already up
#   scripts/local-slurm.sh stop      stop the daemons it started (by their pid files)
#   scripts/local-slurm.sh status    exit 0 when the controller answers
#   scripts/local-slurm.sh env       print the line that points Slurm's commands at it
#
# Everything lives in HMIL_SLURM_DIR (default /var/tmp/hmil-local-slurm): a munge key made with dd,
# munged run as the munge user on its own socket, slurm.conf (this host as controller and only node,
# proctrack/linuxproc, task/none, select/cons_tres with CR_Core_Memory, SlurmUser=root), the daemons'
# state, pid and log files, and the job completion log that `sacct -c` reads (there is no slurmdbd).
# Slurm's commands find it through SLURM_CONF; when /etc/slurm/slurm.conf does not exist, start also
# links it there (and stop removes the link), so that plain `srun hostname` works.
# Variables: HMIL_SLURM_CPUS (default: all cores), HMIL_SLURM_MEMORY (MB; default: 8000, at most 90% of
# the machine's), HMIL_SLURM_PORT (the controller's port, default 6817; slurmd uses the next one).
set -euo pipefail

dir=${HMIL_SLURM_DIR:-/var/tmp/hmil-local-slurm}
conf=$dir/etc/slurm.conf
host=$(hostname -s)
port=${HMIL_SLURM_PORT:-6817}
export SLURM_CONF=$conf

say() { printf 'local-slurm: %s\n' "$*" >&2; }
die() { printf 'local-slurm: error: %s\n' "$*" >&2; exit 1; }

running() { [ -f "$conf" ] && timeout 10 scontrol ping 2> /dev/null | grep -q 'is UP'; }

# Stops the process whose pid is in file $1 (TERM, then KILL after 15 s), if it is running.
stop_pidfile() {
  local file=$1 pid
  [ -s "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2> /dev/null; then
    kill "$pid"
    for _ in $(seq 150); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2> /dev/null && kill -KILL "$pid"
  fi
  rm -f "$file"
}

start() {
  for command in munged slurmctld slurmd sbatch; do
    command -v "$command" > /dev/null || die "$command is missing — install Debian's slurm-wlm and munge (HMIL_SLURM=1 scripts/setup.sh does)"
  done
  [ "$(id -u)" = 0 ] || die "the daemons run as root here — run this as root"
  if running; then say "already up ($conf)"; return 0; fi
  stop_daemons    # leftovers of a cluster that did not answer

  rm -rf "$dir"
  mkdir -p "$dir"/{etc,munge,ctld,spool,log,run}
  chmod 755 "$dir"
  chown munge:munge "$dir/munge"
  chmod 755 "$dir/munge"    # munged wants its socket folder searchable by all
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chown munge:munge "$dir/munge/munge.key"
  chmod 400 "$dir/munge/munge.key"

  local cpus memory available
  cpus=${HMIL_SLURM_CPUS:-$(nproc)}
  available=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  memory=${HMIL_SLURM_MEMORY:-$(( available < 8000 ? available : 8000 ))}
  cat > "$conf" << EOF
# Written by scripts/local-slurm.sh: a one-node cluster on $host.
ClusterName=hmil-local
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
KillWait=5
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
EOF
  if accounting; then
    cat >> "$conf" << EOF
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$host
AccountingStoragePort=$((port + 2))
AccountingStoragePass=$dir/munge/munge.socket
EOF
    cat > "$dir/etc/slurmdbd.conf" << EOF
# Written by scripts/local-slurm.sh: accounting for the one-node cluster, in a private MariaDB.
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
DbdHost=$host
DbdPort=$((port + 2))
SlurmUser=root
PidFile=$dir/run/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$((port + 3))
StorageUser=slurm
StorageLoc=slurm_acct_db
EOF
    chmod 600 "$dir/etc/slurmdbd.conf"
  else
    echo "AccountingStorageType=accounting_storage/none" >> "$conf"
  fi
  cat >> "$conf" << EOF
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

  say "starting munged, slurmctld and slurmd on $host ($cpus CPUs, $memory MB)"
  runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    || die "munged did not start (see $dir/munge/munged.log)"
  if accounting; then start_accounting; fi
  slurmctld -f "$conf" || die "slurmctld did not start (see $dir/log/slurmctld.log)"
  slurmd -f "$conf" || die "slurmd did not start (see $dir/log/slurmd.log)"
  if [ ! -e /etc/slurm/slurm.conf ]; then
    mkdir -p /etc/slurm
    ln -s "$conf" /etc/slurm/slurm.conf
    touch "$dir/etc/linked"
  fi

  # Up when the node takes jobs: `srun hostname` answers within a minute.
  local deadline=$((SECONDS + 60))
  until [ "$(timeout 10 sinfo -h -n "$host" -o %t 2> /dev/null)" = idle ]; do
    [ $SECONDS -lt $deadline ] || die "the node did not become idle within 60 s (sinfo: $(sinfo -h -o '%t %E' 2>&1); see $dir/log/)"
    sleep 0.5
  done
  local answer
  answer=$(timeout 60 srun -t 1 -n 1 hostname) || die "srun hostname failed (see $dir/log/)"
  [ "$answer" = "$host" ] || die "srun hostname printed '$answer', not '$host'"
  say "up: srun hostname → $answer"
  say "use it with: export SLURM_CONF=$conf"
}

# Accounting (sacct) needs slurmdbd and a MariaDB server; both are used when installed (Debian
# slurmdbd and mariadb-server-core) unless HMIL_SLURM_ACCOUNTING=0. Without them, `sacct -c` reads the
# job completion log instead.
accounting() {
  [ "${HMIL_SLURM_ACCOUNTING:-1}" != 0 ] && command -v slurmdbd > /dev/null && command -v mariadbd > /dev/null \
    && command -v mariadb-install-db > /dev/null
}

# Waits up to $2 seconds for a TCP port $1 on this host to accept connections.
wait_port() {
  local deadline=$((SECONDS + $2))
  until (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# A private MariaDB (its own data folder, listening on 127.0.0.1 only), then slurmdbd on it.
start_accounting() {
  say "starting MariaDB and slurmdbd (accounting for sacct)"
  mariadb-install-db --no-defaults --datadir="$dir/mysql" --user=root --auth-root-authentication-method=normal \
    --skip-test-db > "$dir/log/mariadb-install-db.log" 2>&1 || die "mariadb-install-db failed (see $dir/log/mariadb-install-db.log)"
  printf '%s\n' "CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1';" "GRANT ALL ON *.* TO 'slurm'@'127.0.0.1';" > "$dir/etc/mariadb-init.sql"
  nohup mariadbd --no-defaults --datadir="$dir/mysql" --user=root --bind-address=127.0.0.1 --port=$((port + 3)) \
    --socket="$dir/run/mariadbd.sock" --pid-file="$dir/run/mariadbd.pid" --log-error="$dir/log/mariadbd.log" \
    --init-file="$dir/etc/mariadb-init.sql" > /dev/null 2>&1 < /dev/null &
  wait_port $((port + 3)) 60 || die "MariaDB did not start within 60 s (see $dir/log/mariadbd.log)"
  slurmdbd || die "slurmdbd did not start (see $dir/log/slurmdbd.log)"
  wait_port $((port + 2)) 60 || die "slurmdbd did not answer within 60 s (see $dir/log/slurmdbd.log)"
}

stop_daemons() {
  stop_pidfile "$dir/run/slurmd.pid"
  stop_pidfile "$dir/run/slurmctld.pid"
  stop_pidfile "$dir/run/slurmdbd.pid"
  stop_pidfile "$dir/run/mariadbd.pid"
  stop_pidfile "$dir/munge/munged.pid"
}

stop() {
  stop_daemons
  if [ -e "$dir/etc/linked" ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$conf" ]; then
    rm -f /etc/slurm/slurm.conf "$dir/etc/linked"
  fi
  say "stopped (logs stay in $dir/log/)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then say "up ($conf)"; else say "down"; exit 1; fi ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) echo "usage: scripts/local-slurm.sh start|stop|status|env" >&2; exit 2 ;;
esac
