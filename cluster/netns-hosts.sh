#!/usr/bin/env bash
# Several "hosts" on one Linux machine, for tests and benchmarks of the distributed run:
# network namespaces twossp-h0..h{N-1}, each joined by a veth pair to the bridge twossp-br0 in the
# root namespace, addressed in the RFC 2544 benchmarking range 198.18.0.0/24 (never routed on the
# internet): the root namespace is 198.18.0.254, host i is 198.18.0.(i+1). There is no default
# route and no NAT, so traffic from a host reaches only the other hosts and the root namespace.
#
#   netns-hosts.sh up N [--rate RATE] [--delay DELAY] [--require-netem]
#   netns-hosts.sh down [--kill]
#   netns-hosts.sh exec I CMD [ARG...]
#   netns-hosts.sh addr I|root
#   netns-hosts.sh status
#
# `up` converges to exactly N hosts (running it again is fine; hosts beyond N are removed).
# Shaping: host i's uplink gets `netem rate RATE delay DELAY` and its downlink `netem rate RATE`,
# so two hosts see DELAY one way (2*DELAY round trip) and each host sends and receives at most RATE
# (like a switch port). Without netem in the kernel, RATE falls back to tbf and DELAY is dropped,
# with a warning on stderr (exit 1 instead with --require-netem).
# Only objects named twossp-* are ever created, changed or deleted. Needs root.
set -euo pipefail

readonly PREFIX=twossp
readonly BRIDGE=${PREFIX}-br0
readonly SUBNET=198.18.0
readonly ROOT_ADDR=${SUBNET}.254
readonly MAX_HOSTS=253 # .1 .. .253; .254 is the root namespace
readonly LOCK_FILE=/run/lock/${PREFIX}-netns-hosts.lock

me=$(basename "$0")

usage() {
    cat >&2 <<EOF
usage: $me up N [--rate RATE] [--delay DELAY] [--require-netem]
       $me down [--kill]
       $me exec I CMD [ARG...]
       $me addr I|root
       $me status
EOF
    exit 2
}

die() {
    echo "$me: $*" >&2
    exit 1
}

warn() {
    echo "$me: warning: $*" >&2
}

namespace_of() { echo "${PREFIX}-h$1"; }
root_link_of() { echo "${PREFIX}-v$1"; } # veth end in the root namespace, on the bridge
host_link_of() { echo "${PREFIX}-e$1"; } # veth end inside the host's namespace

require_root() {
    [[ ${EUID} -eq 0 ]] || die "needs root to manage network namespaces (run it with sudo)"
    command -v ip >/dev/null || die "the 'ip' command (iproute2) is not installed"
}

# One caller at a time: parallel tests may bring hosts up and down concurrently.
take_lock() {
    if command -v flock >/dev/null; then
        mkdir -p "$(dirname "${LOCK_FILE}")"
        exec 9>"${LOCK_FILE}"
        flock 9
    fi
}

parse_index() {
    local value=$1
    [[ ${value} =~ ^[0-9]+$ ]] || die "host index must be a number, got '${value}'"
    ((10#${value} < MAX_HOSTS)) || die "host index ${value} out of range 0..$((MAX_HOSTS - 1))"
    echo $((10#${value}))
}

link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
namespace_exists() { [[ -e /run/netns/$1 ]]; }

# Our namespaces, by index, in numeric order.
existing_indices() {
    local path name
    for path in /run/netns/"${PREFIX}"-h*; do
        [[ -e ${path} ]] || continue
        name=${path##*/}
        if [[ ${name} =~ ^${PREFIX}-h([0-9]+)$ ]]; then echo "${BASH_REMATCH[1]}"; fi
    done | sort -n
}

# Refuse to shadow a network that is already in use on this machine.
check_subnet_free() {
    local line
    while read -r line; do
        [[ -z ${line} ]] && continue
        [[ ${line} == *" dev ${BRIDGE} "* || ${line} == *" dev ${BRIDGE}" ]] && continue
        die "${SUBNET}.0/24 is already routed here (${line}); not touching it"
    done < <(ip -4 route show to match "${SUBNET}.1/32" | grep -v '^default' || true)
}

disable_ipv6_on() { # link [namespace]: keeps DAD and router solicitations off the test links
    local link=$1 ns=${2:-}
    local knob=/proc/sys/net/ipv6/conf/${link}/disable_ipv6
    if [[ -n ${ns} ]]; then
        ip netns exec "${ns}" sh -c "[ -w '${knob}' ] && echo 1 > '${knob}'" 2>/dev/null || true
    else
        if [[ -w ${knob} ]]; then echo 1 >"${knob}"; fi
    fi
}

ensure_bridge() {
    if ! link_exists "${BRIDGE}"; then
        check_subnet_free
        ip link add "${BRIDGE}" type bridge
    fi
    disable_ipv6_on "${BRIDGE}"
    ip addr replace "${ROOT_ADDR}/24" dev "${BRIDGE}"
    ip link set "${BRIDGE}" up
}

ensure_host() {
    local i=$1
    local ns root_link host_link
    ns=$(namespace_of "$i")
    root_link=$(root_link_of "$i")
    host_link=$(host_link_of "$i")

    namespace_exists "${ns}" || ip netns add "${ns}"
    # A veth whose other end is not in the namespace is a leftover from an interrupted run.
    if link_exists "${root_link}" && ! ip -n "${ns}" link show dev "${host_link}" >/dev/null 2>&1; then
        ip link del "${root_link}"
    fi
    if ! link_exists "${root_link}"; then
        ip link add "${root_link}" type veth peer name "${host_link}" netns "${ns}"
    fi
    disable_ipv6_on "${root_link}"
    ip link set "${root_link}" master "${BRIDGE}"
    ip link set "${root_link}" up

    disable_ipv6_on "${host_link}" "${ns}"
    ip -n "${ns}" link set lo up
    ip -n "${ns}" addr replace "${SUBNET}.$((i + 1))/24" dev "${host_link}"
    ip -n "${ns}" link set "${host_link}" up
}

remove_host() {
    local i=$1 kill_processes=$2
    local ns pids
    ns=$(namespace_of "$i")
    if namespace_exists "${ns}"; then
        pids=$(ip netns pids "${ns}" 2>/dev/null | tr '\n' ' ' || true)
        pids=${pids% }
        if [[ -n ${pids} ]]; then
            if [[ ${kill_processes} == yes ]]; then
                end_processes "${ns}" "${pids}"
            else
                warn "${ns} still has processes (pids ${pids}); they keep running in a detached" \
                    "namespace (use 'down --kill' to end them)"
            fi
        fi
        ip netns del "${ns}"
    fi
    # Deleting the namespace normally takes the veth pair with it, unless a process keeps the
    # namespace alive: then cut the pair here so the host is really gone from the bridge.
    if link_exists "$(root_link_of "$i")"; then
        ip link del "$(root_link_of "$i")"
    fi
}

end_processes() { # namespace "pid pid ...": TERM, a grace period, then KILL, each by pid
    local ns=$1 pids=$2 pid
    echo "$me: ending processes in ${ns}: ${pids}" >&2
    for pid in ${pids}; do kill -TERM "${pid}" 2>/dev/null || true; done
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        [[ -z $(ip netns pids "${ns}" 2>/dev/null) ]] && return 0
        sleep 0.2
    done
    for pid in $(ip netns pids "${ns}" 2>/dev/null); do kill -KILL "${pid}" 2>/dev/null || true; done
}

# --- shaping ---------------------------------------------------------------------------------

# Whether this kernel has the netem qdisc, tried once on our own bridge.
netem_available() {
    if tc qdisc add dev "${BRIDGE}" root handle 1: netem delay 0ms >/dev/null 2>&1; then
        tc qdisc del dev "${BRIDGE}" root >/dev/null 2>&1 || true
        return 0
    fi
    return 1
}

tbf_available() {
    if tc qdisc add dev "${BRIDGE}" root handle 1: tbf rate 1gbit burst 64kb latency 50ms \
        >/dev/null 2>&1; then
        tc qdisc del dev "${BRIDGE}" root >/dev/null 2>&1 || true
        return 0
    fi
    return 1
}

# A tc rate ("1gbit", "100mbit", "10mbps" = bytes/s, ...) in bytes per second; empty if unknown.
rate_bytes_per_second() {
    local rate=$1
    [[ ${rate,,} =~ ^([0-9]+(\.[0-9]+)?)([a-z]*)$ ]] || return 0
    local number=${BASH_REMATCH[1]} unit=${BASH_REMATCH[3]} scale
    case ${unit} in
    bit) scale=0.125 ;;
    kbit) scale=125 ;;
    mbit) scale=125000 ;;
    gbit) scale=125000000 ;;
    tbit) scale=125000000000 ;;
    kibit) scale=128 ;;
    mibit) scale=131072 ;;
    gibit) scale=134217728 ;;
    "" | bps) scale=1 ;;
    kbps) scale=1000 ;;
    mbps) scale=1000000 ;;
    gbps) scale=1000000000 ;;
    *) return 0 ;;
    esac
    awk -v n="${number}" -v s="${scale}" 'BEGIN { printf "%d\n", n * s }'
}

# tbf's bucket: 10 ms of traffic, at least 64 KiB (one GSO packet) so large sends are not dropped.
tbf_burst_bytes() {
    local bytes
    bytes=$(rate_bytes_per_second "$1")
    [[ -n ${bytes} ]] || bytes=0
    local burst=$((bytes / 100))
    ((burst >= 65536)) || burst=65536
    echo "${burst}"
}

clear_shaping() {
    local i=$1
    tc qdisc del dev "$(root_link_of "$i")" root >/dev/null 2>&1 || true
    ip netns exec "$(namespace_of "$i")" tc qdisc del dev "$(host_link_of "$i")" root \
        >/dev/null 2>&1 || true
}

apply_shaping() { # index mode(netem|tbf|none) rate delay
    local i=$1 mode=$2 rate=$3 delay=$4
    local ns root_link host_link
    ns=$(namespace_of "$i")
    root_link=$(root_link_of "$i")
    host_link=$(host_link_of "$i")
    clear_shaping "$i"
    case ${mode} in
    netem)
        local uplink=()
        [[ -n ${rate} ]] && uplink+=(rate "${rate}")
        [[ -n ${delay} ]] && uplink+=(delay "${delay}")
        ip netns exec "${ns}" tc qdisc replace dev "${host_link}" root netem "${uplink[@]}"
        if [[ -n ${rate} ]]; then
            tc qdisc replace dev "${root_link}" root netem rate "${rate}"
        fi
        ;;
    tbf)
        local burst
        burst=$(tbf_burst_bytes "${rate}")
        ip netns exec "${ns}" tc qdisc replace dev "${host_link}" root \
            tbf rate "${rate}" burst "${burst}" latency 50ms
        tc qdisc replace dev "${root_link}" root tbf rate "${rate}" burst "${burst}" latency 50ms
        ;;
    none) ;;
    esac
}

# Decide how RATE/DELAY can be honoured here; prints the mode, warns on stderr when degraded.
choose_shaping_mode() {
    local rate=$1 delay=$2 require_netem=$3
    if [[ -z ${rate} && -z ${delay} ]]; then
        echo none
        return 0
    fi
    command -v tc >/dev/null || die "the 'tc' command (iproute2) is not installed"
    if netem_available; then
        echo netem
        return 0
    fi
    local missing="this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM is off or its module"
    missing+=" sch_netem cannot be loaded)"
    [[ ${require_netem} == yes ]] && die "${missing}; --require-netem was given"
    if [[ -n ${rate} ]] && tbf_available; then
        warn "${missing}: limiting each link to ${rate} with tbf instead${delay:+; delay ${delay} is NOT emulated}"
        echo tbf
    else
        warn "${missing}: links are NOT shaped (no rate limit, no delay)"
        echo none
    fi
}

# --- commands --------------------------------------------------------------------------------

cmd_up() {
    [[ $# -ge 1 ]] || usage
    local count=$1
    shift
    [[ ${count} =~ ^[0-9]+$ ]] || die "host count must be a number, got '${count}'"
    count=$((10#${count}))
    ((count >= 1 && count <= MAX_HOSTS)) || die "host count must be 1..${MAX_HOSTS}, got ${count}"
    local rate="" delay="" require_netem=no
    while [[ $# -gt 0 ]]; do
        case $1 in
        --rate) [[ $# -ge 2 ]] || die "--rate needs a value (e.g. 1gbit)"; rate=$2; shift 2 ;;
        --delay) [[ $# -ge 2 ]] || die "--delay needs a value (e.g. 1ms)"; delay=$2; shift 2 ;;
        --require-netem) require_netem=yes; shift ;;
        *) die "unknown option for up: $1" ;;
        esac
    done
    require_root
    take_lock

    ensure_bridge
    local mode i
    mode=$(choose_shaping_mode "${rate}" "${delay}" "${require_netem}")
    for i in $(existing_indices); do
        if ((i >= count)); then remove_host "$i" no; fi
    done
    for ((i = 0; i < count; i++)); do
        ensure_host "$i"
        apply_shaping "$i" "${mode}" "${rate}" "${delay}"
    done
    local shaping=${mode}
    [[ ${mode} != none && -n ${rate} ]] && shaping+=" rate ${rate}"
    [[ ${mode} == netem && -n ${delay} ]] && shaping+=" delay ${delay}"
    echo "$me: ${count} host(s) up on ${BRIDGE}: ${SUBNET}.1-${SUBNET}.${count}," \
        "root namespace ${ROOT_ADDR}, shaping: ${shaping}" >&2
}

cmd_down() {
    local kill_processes=no
    while [[ $# -gt 0 ]]; do
        case $1 in
        --kill) kill_processes=yes; shift ;;
        *) die "unknown option for down: $1" ;;
        esac
    done
    require_root
    take_lock
    local i link
    for i in $(existing_indices); do remove_host "$i" "${kill_processes}"; done
    # veths left by a namespace that was removed behind our back
    for link in $(ip -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
        if [[ ${link} =~ ^${PREFIX}-v[0-9]+$ ]]; then ip link del "${link}"; fi
    done
    if link_exists "${BRIDGE}"; then ip link del "${BRIDGE}"; fi
    echo "$me: all ${PREFIX} hosts down" >&2
}

cmd_exec() {
    [[ $# -ge 2 ]] || usage
    local i ns
    i=$(parse_index "$1")
    shift
    require_root
    ns=$(namespace_of "$i")
    namespace_exists "${ns}" || die "host $i does not exist (run '$me up N' first)"
    exec ip netns exec "${ns}" "$@"
}

cmd_addr() {
    [[ $# -eq 1 ]] || usage
    if [[ $1 == root ]]; then
        echo "${ROOT_ADDR}"
        return 0
    fi
    local i
    i=$(parse_index "$1")
    echo "${SUBNET}.$((i + 1))"
}

cmd_status() {
    require_root
    if ! link_exists "${BRIDGE}"; then
        echo "no ${PREFIX} hosts"
        return 0
    fi
    echo "root  ${ROOT_ADDR}  ${BRIDGE}"
    local i ns uplink downlink
    for i in $(existing_indices); do
        ns=$(namespace_of "$i")
        uplink=$(ip netns exec "${ns}" tc qdisc show dev "$(host_link_of "$i")" root 2>/dev/null |
            head -n 1)
        downlink=$(tc qdisc show dev "$(root_link_of "$i")" root 2>/dev/null | head -n 1)
        echo "h$i    ${SUBNET}.$((i + 1))  ${ns}  uplink: ${uplink:-?}  downlink: ${downlink:-?}"
    done
}

[[ $# -ge 1 ]] || usage
command=$1
shift
case ${command} in
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
exec) cmd_exec "$@" ;;
addr) cmd_addr "$@" ;;
status) cmd_status "$@" ;;
-h | --help | help) usage ;;
*) die "unknown command '${command}' (up, down, exec, addr, status)" ;;
esac
