#!/usr/bin/env bash
# Checks of the cluster/ scripts that need no cluster: shellcheck (when installed), the ssh
# launcher's --dry-run and hosts-file errors, the Slurm script run against stand-ins for srun,
# scontrol, twossp and twossp-worker (real TCP on loopback), and, as root, netns-hosts.sh for real
# (up, TCP between hosts, converge, down). Needs python3. Prints one line per check; exits 1 if
# any failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
failures=0
netns_up=no
cleanup() {
    if [[ ${netns_up} == yes ]]; then "${here}/netns-hosts.sh" down --kill >/dev/null 2>&1 || true; fi
    rm -rf "${work}"
}
trap cleanup EXIT

pass() { echo "ok    $*"; }
fail() {
    echo "FAIL  $*"
    failures=$((failures + 1))
}
check() { # description command...: passes when the command succeeds
    local what=$1
    shift
    if "$@" >"${work}/out" 2>&1; then pass "${what}"; else
        fail "${what}"
        sed 's/^/      /' "${work}/out"
    fi
}
fails_with() { # description expected-stderr-text command...: must fail, saying that text
    local what=$1 text=$2
    shift 2
    if "$@" >"${work}/out" 2>&1; then
        fail "${what} (succeeded)"
    elif grep -qF -- "${text}" "${work}/out"; then
        pass "${what}"
    else
        fail "${what} (message: $(head -n 1 "${work}/out"))"
    fi
}

# --- shellcheck --------------------------------------------------------------------------------
if command -v shellcheck >/dev/null; then
    check "shellcheck cluster/*.sh cluster/*.sbatch" shellcheck "${here}"/*.sh "${here}"/*.sbatch
else
    echo "skip  shellcheck (not installed: apt-get install shellcheck)"
fi

# --- launch-workers.sh --dry-run -----------------------------------------------------------------
launch=${here}/launch-workers.sh
cat >"${work}/hosts" <<'EOF'
# comment line
node1 workers=2 threads=4
alice@node2            # defaults
EOF
check "launch --dry-run" "${launch}" --hosts "${work}/hosts" --coordinator tcp://head:5555 \
    --model "/m/my model.gguf" --dry-run
dry=$("${launch}" --hosts "${work}/hosts" --coordinator tcp://head:5555 --model "/m/my model.gguf" \
    --dry-run 2>&1)
check "dry run: one ssh per host" test "$(grep -c '^ssh ' <<<"${dry}")" -eq 2
check "dry run: worker total" grep -q 'expect-workers 3' <<<"${dry}"
check "dry run: path with a space quoted" grep -qF 'model=/m/my\ model.gguf' <<<"${dry}"
printf 'node1 workers=x\n' >"${work}/bad-workers"
fails_with "hosts file: bad workers=" "bad-workers:1: workers must be a positive number" \
    "${launch}" --hosts "${work}/bad-workers" --coordinator tcp://h:1 --dry-run
printf 'node1 cores=2\n' >"${work}/bad-field"
fails_with "hosts file: unknown field" "unknown field 'cores=2'" \
    "${launch}" --hosts "${work}/bad-field" --coordinator tcp://h:1 --dry-run
fails_with "coordinator must be connectable" "not the coordinator's listen address" \
    "${launch}" --hosts "${work}/hosts" --coordinator 'tcp://*:5555' --dry-run
fails_with "coordinator required" "--coordinator tcp://HOST:PORT is required" \
    "${launch}" --hosts "${work}/hosts" --dry-run

# --- slurm-2ssp.sbatch against stand-ins -------------------------------------------------------
fake=${work}/fake
mkdir -p "${fake}/bin" "${fake}/repo/.build/release" "${fake}/submit"
cat >"${fake}/bin/scontrol" <<'EOF'
#!/usr/bin/env bash
tr ',' '\n' <<<"${FAKE_NODES}"
EOF
cat >"${fake}/bin/srun" <<'EOF'
#!/usr/bin/env bash
ntasks=1 per_node=1
while [[ $1 == --* ]]; do
    case $1 in --ntasks=*) ntasks=${1#*=} ;; --ntasks-per-node=*) per_node=${1#*=} ;; esac
    shift
done
pids=()
for ((i = 0; i < ntasks; i++)); do SLURM_LOCALID=$((i % per_node)) "$@" & pids+=($!); done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
exit "$rc"
EOF
cat >"${fake}/repo/.build/release/twossp" <<'EOF'
#!/usr/bin/env python3
# stand-in coordinator: accepts --expect-workers TCP connections, writes the report
import json, os, secrets, socket, sys
a = sys.argv[1:]
if a[0] == "keygen":
    p = a[a.index("--out") + 1]
    fd = os.open(p + ".key", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, secrets.token_hex(20).encode()); os.close(fd)
    open(p + ".pub", "w").write(secrets.token_hex(20) + "\n"); sys.exit(0)
opt, i = {}, 1
while i < len(a):
    if a[i] == "--insecure": opt[a[i]] = True; i += 1
    else: opt[a[i]] = a[i + 1]; i += 2
if "--insecure" not in opt:
    for k in ("--secret-key", "--allowed-keys"):
        if not os.path.isfile(opt.get(k, "")): sys.exit(f"stand-in coordinator: {k} missing")
host, port = opt["--listen"][6:].rsplit(":", 1)
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1" if host == "*" else host, int(port))); srv.listen(); srv.settimeout(20)
names = []
conns = []
for _ in range(int(opt["--expect-workers"])):
    c, _ = srv.accept(); names.append(c.makefile().readline().strip()); conns.append(c)
json.dump({"workers": sorted(names), "sparsity": opt["--sparsity"]}, open(opt["--report"], "w"))
for c in conns: c.close()
EOF
cat >"${fake}/repo/.build/release/twossp-worker" <<'EOF'
#!/usr/bin/env python3
# stand-in worker: checks its files, connects (retrying, like ZeroMQ), waits for the close
import os, socket, sys, time
a = sys.argv[1:]
opt = {a[i]: a[i + 1] for i in range(0, len(a) - 1, 2)}
for k in ("--secret-key", "--server-key", "--model"):
    if k in opt and not os.path.exists(opt[k]): sys.exit(f"stand-in worker: {k} {opt[k]} missing")
host, port = opt["--connect"][6:].rsplit(":", 1)
for _ in range(100):
    try: s = socket.create_connection((host, int(port)), timeout=10); break
    except ConnectionRefusedError: time.sleep(0.1)
else: sys.exit("stand-in worker: nobody listens")
s.sendall(f"{opt['--name']} threads={opt['--threads']}\n".encode())
s.settimeout(None)
while s.recv(100): pass
EOF
chmod +x "${fake}/bin/"* "${fake}/repo/.build/release/"*
slurm_env=(env PATH="${fake}/bin:${PATH}" SLURM_JOB_NODELIST="n1,n2" FAKE_NODES="localhost,localhost"
    SLURM_JOB_NUM_NODES=2 SLURM_CPUS_ON_NODE=4 SLURM_SUBMIT_DIR="${fake}/submit"
    TWOSSP_REPO="${fake}/repo")
port=$((30000 + $$ % 20000))
check "sbatch: 2 nodes x 2 workers, keys" "${slurm_env[@]}" SLURM_JOB_ID=101 PORT="${port}" \
    WORKERS_PER_NODE=2 SPARSITY=0.25,0.5 bash "${here}/slurm-2ssp.sbatch"
check "sbatch: report lists 4 workers with 2 threads" python3 -c "
import json, sys
r = json.load(open('${fake}/submit/twossp-101/report.json'))
sys.exit(not (len(r['workers']) == 4 and all(w.endswith('threads=2') for w in r['workers'])
              and r['sparsity'] == '0.25,0.5'))"
check "sbatch: per-job keys deleted" test ! -e "${fake}/submit/twossp-101/keys"
fails_with "sbatch: a worker that cannot start fails the job" "the workers' step ended first" \
    "${slurm_env[@]}" SLURM_JOB_ID=102 PORT="$((port + 1))" WORKER_MODEL=/nonexistent \
    bash "${here}/slurm-2ssp.sbatch"
fails_with "sbatch: outside Slurm" "run this through sbatch" \
    env -u SLURM_JOB_ID bash "${here}/slurm-2ssp.sbatch"

# --- netns-hosts.sh (root only) -------------------------------------------------------------
netns=${here}/netns-hosts.sh
check "netns addr" test "$("${netns}" addr 2)" = 198.18.0.3
if [[ ${EUID} -ne 0 ]]; then
    echo "skip  netns-hosts.sh up/down (needs root)"
elif ! "${netns}" up 3 >"${work}/up.log" 2>&1; then
    echo "skip  netns-hosts.sh up/down (up failed here: $(tail -n 1 "${work}/up.log"))"
else
    netns_up=yes
    pass "netns up 3"
    check "netns up 3 again (idempotent)" "${netns}" up 3
    check "netns loopback up in every host" bash -c \
        "for i in 0 1 2; do ip -n twossp-h\$i -br link show lo | grep -q UNKNOWN || exit 1; done"
    "${netns}" exec 0 python3 -c "
import socket
s = socket.socket(); s.bind(('198.18.0.1', 7000)); s.listen()
c, addr = s.accept(); c.sendall(addr[0].encode()); c.close()" &
    server=$!
    check "netns TCP host 2 -> host 0 (peer address seen: 198.18.0.3)" "${netns}" exec 2 python3 -c "
import socket, sys, time
for _ in range(50):
    try: s = socket.create_connection(('198.18.0.1', 7000), timeout=5); break
    except ConnectionRefusedError: time.sleep(0.1)
sys.exit(s.recv(100) != b'198.18.0.3')"
    wait "${server}" || true
    "${netns}" exec 1 python3 -c "
import socket
s = socket.socket(); s.bind(('198.18.0.2', 7001)); s.listen()
c, addr = s.accept(); c.sendall(addr[0].encode()); c.close()" &
    server=$!
    check "netns TCP root namespace -> host 1 (peer address seen: 198.18.0.254)" python3 -c "
import socket, sys, time
for _ in range(50):
    try: s = socket.create_connection(('198.18.0.2', 7001), timeout=5); break
    except ConnectionRefusedError: time.sleep(0.1)
sys.exit(s.recv(100) != b'198.18.0.254')"
    wait "${server}" || true
    check "netns host has no route off the bridge" bash -c \
        "! '${netns}' exec 1 ip route get 192.0.2.1 >/dev/null 2>&1"
    check "netns up 2 removes host 2" bash -c \
        "'${netns}' up 2 && ! ip netns list | grep -qw twossp-h2"
    check "netns down" "${netns}" down --kill
    netns_up=no
    check "netns down again (nothing left)" bash -c \
        "'${netns}' down && ! ip -br link | grep -q twossp- && ! ip netns list | grep -q twossp-"
fi

if ((failures > 0)); then
    echo "${failures} check(s) failed"
    exit 1
fi
echo "all checks passed"
