# shellcheck shell=bash
# tests/lib/e2e.sh - the main job end to end, shared by scripts/demo and
# the integration tests.
#
#     . "$X400_SOURCE/tests/lib/e2e.sh"
#     e2e_setup "$work"          # PKI, slapd, two milters, two Postfix
#     e2e_send "$work" FILE      # one message, alice@a.example -> bob, carol
#     e2e_teardown               # stops everything e2e_setup started
#
# Domain a.example originates: its Postfix (127.0.0.1:2525) runs the milter
# in the originating role with confidentiality required.  Domain b.example
# receives: its Postfix (127.0.0.1:2526) runs the milter in the receiving
# role and holds bob's and carol's keys.  Both look certificates up in one
# slapd (127.0.0.1:3890) loaded with the generated PKI; each trusts only its
# own CA, so each path runs through a cross-certificate.
#
# Needs X400_SOURCE (the source tree) and X400_BUILD (the build tree).

. "$X400_SOURCE/tests/lib/mta.sh"
. "$X400_SOURCE/tests/lib/slapd.sh"

# A test stopped by a signal (CTest's time limit, ^C, timeout(1)) must still
# run its EXIT trap, or slapd and Postfix outlive it and hold their ports.
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

E2E_LDAP_PORT=${E2E_LDAP_PORT:-3890}
E2E_PORT_A=${E2E_PORT_A:-2525}
E2E_PORT_B=${E2E_PORT_B:-2526}
E2E_CONFIDENTIALITY=${E2E_CONFIDENTIALITY:-required}
E2E_ON_REPLAY=${E2E_ON_REPLAY:-reject}
_E2E_MILTER_PIDS=()
_E2E_SLAPD_DIR=""

_e2e_err() { printf 'e2e: %s\n' "$*" >&2; }

# e2e_milter_conf WORK NAME ROLE DOMAIN writes WORK/NAME.conf.
e2e_milter_conf() {
    local work=$1 name=$2 role=$3 domain=$4
    cat >"$work/$name.conf" <<CONF
# x400sec-milter for $domain ($role role), written by tests/lib/e2e.sh
role = $role
socket = unix:$work/$name.sock
socket_mode = 0666
authserv_id = mx.$domain
local_domains = $domain
key_dir = $work/keys-$name
ldap_uri = ldap://127.0.0.1:$E2E_LDAP_PORT/
ldap_base = dc=example
trust_anchors = $work/pki/anchors/$domain.pem
confidentiality = $E2E_CONFIDENTIALITY
# The test Postfix takes mail only from loopback and sendmail(1) run by
# the test itself, so it may sign for any sender it hands over.
sign_for = any
state_dir = $work/state-$name
on_replay = $E2E_ON_REPLAY
log_level = 2
CONF
}

# e2e_start_milter WORK NAME starts one milter in the foreground, logging to
# WORK/NAME.milter.log, and waits for its socket.
e2e_start_milter() {
    local work=$1 name=$2 i
    rm -f "$work/$name.sock"
    "$X400_BUILD/milter/x400sec-milter" -f -c "$work/$name.conf" \
        >>"$work/$name.milter.log" 2>&1 &
    _E2E_MILTER_PIDS+=($!)
    for i in $(seq 1 50); do
        [ -S "$work/$name.sock" ] && return 0
        sleep 0.1
    done
    _e2e_err "milter $name did not open its socket; its log says:"
    tail -n 20 "$work/$name.milter.log" >&2
    return 1
}

# e2e_keys WORK NAME ADDRESS... copies users' private keys into WORK/keys-NAME.
e2e_keys() {
    local work=$1 name=$2 a
    shift 2
    install -d -m 700 "$work/keys-$name"
    for a in "$@"; do
        install -m 600 "$work/pki/users/$a.key" "$work/keys-$name/$a.key"
    done
}

# e2e_setup WORK starts the whole world under WORK.
e2e_setup() {
    local work=$1 x400sec="$X400_BUILD/tools/x400sec"
    "$x400sec" pki create --dir "$work/pki" --suffix dc=example \
        --domain a.example --domain b.example \
        --user alice@a.example --user bob@b.example --user carol@b.example \
        --expired dave@b.example --untrusted mallory@b.example >/dev/null || return 1
    "$x400sec" pki ldif --dir "$work/pki" --suffix dc=example -o "$work/directory.ldif" ||
        return 1
    _E2E_SLAPD_DIR="$work/slapd"
    slapd_start "$_E2E_SLAPD_DIR" "$E2E_LDAP_PORT" dc=example || return 1
    slapd_load "$_E2E_SLAPD_DIR" "$work/directory.ldif" >/dev/null || return 1

    e2e_keys "$work" a alice@a.example
    e2e_keys "$work" b bob@b.example carol@b.example
    e2e_milter_conf "$work" a originate a.example
    e2e_milter_conf "$work" b receive b.example
    e2e_start_milter "$work" a || return 1
    e2e_start_milter "$work" b || return 1

    mta_start b "$work" "$E2E_PORT_B" b.example "unix:$work/b.sock" "" || return 1
    mta_start a "$work" "$E2E_PORT_A" a.example "unix:$work/a.sock" \
        "127.0.0.1:$E2E_PORT_B" || return 1
}

# e2e_teardown stops the MTAs, the milters and slapd.  It runs from EXIT
# traps of `set -e` scripts, so no step may fail: a milter already killed by
# a test, or wait reporting its signal, must not end the teardown early.
e2e_teardown() {
    local pid
    mta_stop_all || true
    for pid in "${_E2E_MILTER_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    _E2E_MILTER_PIDS=()
    if [ -n "$_E2E_SLAPD_DIR" ]; then
        slapd_stop "$_E2E_SLAPD_DIR" || true
        _E2E_SLAPD_DIR=""
    fi
    return 0
}

# e2e_send WORK FILE sends FILE from alice@a.example to bob and carol at
# b.example, waits for both deliveries and prints one line of results.
# Returns non-zero if the message failed any check.
e2e_send() {
    local work=$1 file=$2 nb nc
    nb=$(mta_mail_files b bob@b.example 2>/dev/null | wc -l)
    nc=$(mta_mail_files b carol@b.example 2>/dev/null | wc -l)
    mta_send a alice@a.example bob@b.example carol@b.example <"$file" || return 1
    if ! mta_wait_mail b bob@b.example $((nb + 1)) 60 ||
        ! mta_wait_mail b carol@b.example $((nc + 1)) 60; then
        printf '%-48s NOT DELIVERED\n' "$(basename "$file")"
        return 1
    fi
    "$MTA_PYTHON" "$X400_SOURCE/tests/e2e/check_delivery.py" \
        --name "$(basename "$file")" --origin-log "$work/a.milter.log" \
        "$(mta_mail_files b bob@b.example | tail -n 1)" \
        "$(mta_mail_files b carol@b.example | tail -n 1)"
}
