#!/usr/bin/env bash
# Start (or stop) twossp workers on other hosts over ssh, from a hosts file.
#
#   launch-workers.sh --hosts FILE --coordinator tcp://HOST:PORT [--repo DIR] [--threads N]
#                     [--model PATH] [--secret-key FILE] [--server-key FILE] [--ssh-opts "..."]
#                     [--dry-run]
#   launch-workers.sh --hosts FILE --stop [--ssh-opts "..."] [--dry-run]
#
# Hosts file: one host per line, `host [workers=N] [threads=N]`, `#` starts a comment. `host` is
# anything ssh accepts (name, user@name, an alias from ~/.ssh/config). workers defaults to 1;
# threads defaults to --threads, else to the host's core count divided by its workers, so workers
# sharing a host do not oversubscribe its cores.
#
# On each host the workers run under nohup, detached from the ssh session, each with its log in
# ~/.cache/twossp/logs/worker-HOSTNAME-K.log and its pid in ~/.cache/twossp/run/worker-HOSTNAME-K.pid
# (HOSTNAME is the host's short name, so a home directory shared over NFS is fine). A worker that
# is already running is left alone. --stop ends the workers recorded in the pid files.
# Paths given for --repo, --model and the keys are paths on the remote hosts. --repo defaults to
# this checkout's path (the usual shared-filesystem layout); the worker is DIR/.build/release/
# twossp-worker, or twossp-worker on the remote PATH.
# --dry-run prints, for each host, the ssh command with the script it would run, ready to paste.
set -euo pipefail

me=$(basename "$0")
script_dir=$(cd "$(dirname "$0")" && pwd)

die() {
    echo "$me: $*" >&2
    exit 1
}

usage() {
    cat >&2 <<EOF
usage: $me --hosts FILE --coordinator tcp://HOST:PORT [--repo DIR] [--threads N] [--model PATH]
          [--secret-key FILE] [--server-key FILE] [--ssh-opts "..."] [--dry-run]
       $me --hosts FILE --stop [--ssh-opts "..."] [--dry-run]
EOF
    exit 2
}

hosts_file="" coordinator="" repo="" threads="" model="" secret_key="" server_key=""
user_ssh_opts="" dry_run=no action=start

need_value() { [[ $2 -ge 2 ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
    case $1 in
    --hosts) need_value "$1" $#; hosts_file=$2; shift 2 ;;
    --coordinator) need_value "$1" $#; coordinator=$2; shift 2 ;;
    --repo) need_value "$1" $#; repo=$2; shift 2 ;;
    --threads) need_value "$1" $#; threads=$2; shift 2 ;;
    --model) need_value "$1" $#; model=$2; shift 2 ;;
    --secret-key) need_value "$1" $#; secret_key=$2; shift 2 ;;
    --server-key) need_value "$1" $#; server_key=$2; shift 2 ;;
    --ssh-opts) need_value "$1" $#; user_ssh_opts=$2; shift 2 ;;
    --dry-run) dry_run=yes; shift ;;
    --stop) action=stop; shift ;;
    -h | --help) usage ;;
    *) die "unknown option: $1 (see --help)" ;;
    esac
done

[[ -n ${hosts_file} ]] || die "--hosts FILE is required"
[[ -r ${hosts_file} ]] || die "cannot read hosts file ${hosts_file}"
if [[ ${action} == start ]]; then
    [[ -n ${coordinator} ]] || die "--coordinator tcp://HOST:PORT is required"
    [[ ${coordinator} != tcp://\** ]] || die "--coordinator needs the address workers connect" \
        "to, not the coordinator's listen address '${coordinator}'"
    [[ ${coordinator} =~ ^tcp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]+)$ ]] ||
        die "--coordinator must look like tcp://HOST:PORT, got '${coordinator}'"
    case ${BASH_REMATCH[1]} in
    127.* | localhost | "[::1]")
        echo "$me: warning: ${coordinator} is a loopback address: workers on other hosts" \
            "cannot reach it; give the coordinator's name or address on the network" >&2
        ;;
    esac
    if [[ -n ${threads} && ! ${threads} =~ ^[1-9][0-9]*$ ]]; then
        die "--threads must be a positive number, got '${threads}'"
    fi
    [[ -n ${repo} ]] || repo=$(cd "${script_dir}/.." && pwd)
fi

ssh_opts=(-o BatchMode=yes -o ConnectTimeout=10)
if [[ -n ${user_ssh_opts} ]]; then
    read -r -a extra_ssh_opts <<<"${user_ssh_opts}"
    ssh_opts+=("${extra_ssh_opts[@]}")
fi

# The script each host runs, read by `bash -s` from stdin: the values are assigned at the top,
# quoted for bash, so nothing passes through the remote login shell's word splitting.
remote_script() {
    local workers=$1 host_threads=$2
    echo "set -euo pipefail"
    printf 'action=%q\n' "${action}"
    printf 'workers=%q threads=%q\n' "${workers}" "${host_threads}"
    printf 'repo=%q coordinator=%q\n' "${repo}" "${coordinator}"
    printf 'model=%q secret_key=%q server_key=%q\n' "${model}" "${secret_key}" "${server_key}"
    cat <<'REMOTE_BODY'
log_dir=$HOME/.cache/twossp/logs
run_dir=$HOME/.cache/twossp/run
host=$(hostname -s 2>/dev/null || hostname)
mkdir -p "$log_dir" "$run_dir"

expand_home() { # a leading ~/ in a path given on the launching host means this host's home
    # shellcheck disable=SC2088 # the tilde is meant literally: it came quoted from afar
    if [[ $1 == "~/"* ]]; then echo "$HOME/${1#"~/"}"; else echo "$1"; fi
}

is_worker() { # pid: alive and really a twossp-worker (pids get reused)
    [[ $1 =~ ^[0-9]+$ ]] && [[ -r /proc/$1/cmdline ]] &&
        tr '\0' ' ' <"/proc/$1/cmdline" | grep -q twossp-worker
}

start_workers() {
    local worker
    repo=$(expand_home "$repo")
    model=$(expand_home "$model")
    secret_key=$(expand_home "$secret_key")
    server_key=$(expand_home "$server_key")
    if [[ -x $repo/.build/release/twossp-worker ]]; then
        worker=$repo/.build/release/twossp-worker
    elif worker=$(command -v twossp-worker); then
        :
    else
        echo "$host: no twossp-worker in $repo/.build/release or on PATH" \
            "(build it there with: swift build -c release)" >&2
        return 1
    fi
    if [[ -z $threads ]]; then
        local cores
        cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
        threads=$((cores / workers))
        ((threads >= 1)) || threads=1
    fi
    local k pid pid_file log name started=() failed=0
    for ((k = 0; k < workers; k++)); do
        name=$host-w$k
        pid_file=$run_dir/worker-$host-$k.pid
        log=$log_dir/worker-$host-$k.log
        if [[ -f $pid_file ]] && pid=$(<"$pid_file") && is_worker "$pid"; then
            echo "$host: $name already running (pid $pid, log $log); --stop first to restart it"
            continue
        fi
        local args=(--connect "$coordinator" --threads "$threads" --name "$name")
        [[ -z $model ]] || args+=(--model "$model")
        [[ -z $secret_key ]] || args+=(--secret-key "$secret_key")
        [[ -z $server_key ]] || args+=(--server-key "$server_key")
        echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) starting: $worker ${args[*]}" >>"$log"
        # Own session and no tie to the ssh channel: the worker outlives this connection.
        OPENBLAS_NUM_THREADS=$threads nohup setsid "$worker" "${args[@]}" \
            </dev/null >>"$log" 2>&1 &
        echo $! >"$pid_file"
        started+=("$k")
    done
    ((${#started[@]} > 0)) || return 0
    sleep 1 # a worker with bad arguments or a missing file exits at once: say so here
    for k in "${started[@]}"; do
        pid=$(<"$run_dir/worker-$host-$k.pid")
        log=$log_dir/worker-$host-$k.log
        if is_worker "$pid"; then
            echo "$host: started $host-w$k (pid $pid, $threads thread(s), log $log)"
        else
            echo "$host: $host-w$k exited at once; last lines of $log:" >&2
            tail -n 5 "$log" | sed 's/^/    /' >&2
            rm -f "$run_dir/worker-$host-$k.pid"
            failed=1
        fi
    done
    return "$failed"
}

stop_workers() {
    local pid_file pid pids=() names=()
    for pid_file in "$run_dir/worker-$host-"*.pid; do
        [[ -e $pid_file ]] || continue
        pid=$(<"$pid_file")
        if is_worker "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("$(basename "$pid_file" .pid)")
        fi
        rm -f "$pid_file"
    done
    if ((${#pids[@]} == 0)); then
        echo "$host: no workers running"
        return 0
    fi
    local tries=0 alive
    while ((tries < 50)); do
        alive=0
        for pid in "${pids[@]}"; do if is_worker "$pid"; then alive=1; fi; done
        ((alive)) || break
        sleep 0.1
        tries=$((tries + 1))
    done
    for pid in "${pids[@]}"; do
        if is_worker "$pid"; then
            echo "$host: pid $pid ignored SIGTERM for 5 s, sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    echo "$host: stopped ${names[*]} (pids ${pids[*]})"
}

if [[ $action == start ]]; then start_workers; else stop_workers; fi
REMOTE_BODY
}

# One line of the hosts file -> "host workers threads"; errors name the file and line.
parse_host_line() {
    local line=$1 number=$2
    local fields field host workers=1 host_threads=${threads}
    read -r -a fields <<<"${line}"
    host=${fields[0]}
    for field in "${fields[@]:1}"; do
        case ${field} in
        workers=*) workers=${field#workers=} ;;
        threads=*) host_threads=${field#threads=} ;;
        *) die "${hosts_file}:${number}: unknown field '${field}' (expected workers=N or threads=N)" ;;
        esac
    done
    [[ ${workers} =~ ^[1-9][0-9]*$ ]] ||
        die "${hosts_file}:${number}: workers must be a positive number, got '${workers}'"
    [[ -z ${host_threads} || ${host_threads} =~ ^[1-9][0-9]*$ ]] ||
        die "${hosts_file}:${number}: threads must be a positive number, got '${host_threads}'"
    [[ ${host} != -* ]] || die "${hosts_file}:${number}: host '${host}' looks like an option"
    echo "${host} ${workers} ${host_threads:-auto}"
}

entries=()
line_number=0
while IFS= read -r raw_line || [[ -n ${raw_line} ]]; do
    line_number=$((line_number + 1))
    line=${raw_line%%#*}
    [[ ${line} =~ [^[:space:]] ]] || continue
    entries+=("$(parse_host_line "${line}" "${line_number}")")
done <"${hosts_file}"
((${#entries[@]} > 0)) || die "${hosts_file} lists no hosts"

total_workers=0 failures=0
for entry in "${entries[@]}"; do
    read -r host workers host_threads <<<"${entry}"
    [[ ${host_threads} != auto ]] || host_threads=""
    if [[ ${dry_run} == yes ]]; then
        if [[ ${action} == start ]]; then
            echo "# ${host}: ${workers} worker(s), ${host_threads:-auto} thread(s) each"
        else
            echo "# ${host}: stop workers"
        fi
        printf '%q ' ssh "${ssh_opts[@]}" "${host}" bash -s
        echo "<<'TWOSSP_REMOTE'"
        remote_script "${workers}" "${host_threads}"
        echo "TWOSSP_REMOTE"
        echo
    elif ! remote_script "${workers}" "${host_threads}" | ssh "${ssh_opts[@]}" "${host}" bash -s; then
        echo "$me: ${host}: failed (see above)" >&2
        failures=$((failures + 1))
        continue
    fi
    total_workers=$((total_workers + workers))
done

if [[ ${action} == start && ${total_workers} -gt 0 ]]; then
    verb=$([[ ${dry_run} == yes ]] && echo "would start" || echo "asked for")
    echo "$me: ${verb} ${total_workers} worker(s) on $((${#entries[@]} - failures)) host(s);" \
        "run the coordinator with --expect-workers ${total_workers}" >&2
fi
((failures == 0)) || die "${failures} host(s) failed"
