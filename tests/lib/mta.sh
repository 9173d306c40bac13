# shellcheck shell=bash
# tests/lib/mta.sh - start and drive real Postfix instances on loopback.
#
# Source this file from a bash test script or from the demo:
#
#     . "$X400_SOURCE/tests/lib/mta.sh"
#     trap mta_stop_all EXIT
#     mta_start b "$work" 2526 b.example "" ""
#     mta_start a "$work" 2525 a.example "unix:$work/milter.sock" 127.0.0.1:2526
#     mta_send a alice@a.example bob@b.example < message.eml
#     mta_wait_mail b bob@b.example 1 20
#
# Every instance NAME lives entirely under WORKDIR/NAME:
#     etc/      main.cf, master.cf, virtual_mailbox.regexp
#     queue/    queue_directory (also holds the unix sockets and master.pid)
#     data/     data_directory
#     mail/     Maildirs: mail/DOMAIN/LOCALPART/{new,cur,tmp}
#     maillog   Postfix log (postlogd), readable without syslog
#
# The milter is a parameter of mta_start ("" for none); it is attached to
# both smtpd_milters and non_smtpd_milters with milter_default_action =
# tempfail, so an unreachable milter keeps mail queued instead of passing it.
#
# Functions print their errors to stderr and return non-zero on failure.
# The code is safe under `set -euo pipefail` in the caller.
#
# Requirements: Debian's postfix package (see mta_require_packages), root
# (Postfix's master must start as root), python3 for mta_send_smtp.
#
# Environment knobs (optional):
#     MTA_MAIL_USER   owner of delivered mail (default: nobody, else postfix)
#     MTA_START_TIMEOUT  seconds to wait for an instance to listen (default 20)
#     MTA_PYTHON      python3 to run (default: Debian's /usr/bin/python3, which
#                     starts much faster than a pyenv shim, else python3)

# Guard against double sourcing (keeps the registry of started instances).
if [[ -n "${_MTA_SH_LOADED:-}" ]]; then
    return 0
fi
_MTA_SH_LOADED=1

# name -> WORKDIR/NAME of every instance this shell started (for mta_stop_all).
declare -gA _MTA_DIR=()
# name -> SMTP port of every instance this shell started.
declare -gA _MTA_PORT=()
# name -> domain of every instance this shell started.
declare -gA _MTA_DOMAIN=()

# The python3 used by mta_send_smtp (tests may reuse it).
if [[ -z "${MTA_PYTHON:-}" ]]; then
    if [[ -x /usr/bin/python3 ]]; then MTA_PYTHON=/usr/bin/python3; else MTA_PYTHON=python3; fi
fi

# The default configuration directory that Postfix consults for the list of
# permitted alternate configuration directories.
_MTA_DEFAULT_CONF=/etc/postfix

# Print an error message prefixed with the library name to stderr.
_mta_err() {
    printf 'mta.sh: %s\n' "$*" >&2
}

# Succeed if NAME is a started (registered) instance, else complain.
_mta_known() {
    local name=$1
    if [[ -z "${_MTA_DIR[$name]:-}" ]]; then
        _mta_err "unknown instance '$name' (not started by mta_start in this shell)"
        return 1
    fi
}

# Print the names of the Debian packages needed here that are not installed.
mta_require_packages() {
    local pkg missing=() needed=(postfix)
    for pkg in "${needed[@]}"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != *"ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ! command -v "$MTA_PYTHON" >/dev/null 2>&1; then
        missing+=(python3)
    fi
    if ((${#missing[@]})); then
        _mta_err "missing Debian packages: ${missing[*]} (install them with the project's scripts/)"
        printf '%s\n' "${missing[@]}"
        return 1
    fi
    return 0
}

# Print "uid gid user group" of the unprivileged owner of delivered mail.
_mta_mail_ids() {
    local user=${MTA_MAIL_USER:-} uid gid
    if [[ -z "$user" ]]; then
        if id -u nobody >/dev/null 2>&1; then user=nobody; else user=postfix; fi
    fi
    if ! uid=$(id -u "$user" 2>/dev/null) || ! gid=$(id -g "$user" 2>/dev/null); then
        _mta_err "mail owner '$user' does not exist"
        return 1
    fi
    if ((uid == 0)); then
        _mta_err "mail owner '$user' is root; Postfix's virtual(8) refuses uid 0"
        return 1
    fi
    printf '%s %s %s %s\n' "$uid" "$gid" "$(id -nu "$user")" "$(id -ng "$user")"
}

# Make sure the default /etc/postfix/main.cf (and master.cf) exist and that
# main.cf lists CONFDIR in alternate_config_directories (idempotent, locked).
_mta_register_confdir() {
    local confdir=$1 lock=/run/lock/x400-mta-postfix.lock
    local current entry kept=() words=() found=0 rc=0
    if [[ ! -d "$_MTA_DEFAULT_CONF" ]]; then
        _mta_err "$_MTA_DEFAULT_CONF does not exist: is postfix installed?"
        return 1
    fi
    [[ -d /run/lock ]] || lock=/tmp/x400-mta-postfix.lock
    (
        flock -w 30 9 || { _mta_err "cannot lock $lock"; exit 1; }
        if [[ ! -e "$_MTA_DEFAULT_CONF/main.cf" ]]; then
            # Debian's package leaves no main.cf when configured as
            # "No configuration"; Postfix commands still need one.
            printf '%s\n' \
                '# Created by x400sec tests/lib/mta.sh: the package left no main.cf.' \
                '# Test instances run from their own config directories, listed in' \
                '# alternate_config_directories below.' \
                'compatibility_level = 3.6' \
                'inet_interfaces = loopback-only' >"$_MTA_DEFAULT_CONF/main.cf" || exit 1
        fi
        if [[ ! -e "$_MTA_DEFAULT_CONF/master.cf" ]]; then
            if [[ -r /usr/share/postfix/master.cf.dist ]]; then
                cp /usr/share/postfix/master.cf.dist "$_MTA_DEFAULT_CONF/master.cf" || exit 1
            else
                _mta_err "$_MTA_DEFAULT_CONF/master.cf is missing and no master.cf.dist to copy"
                exit 1
            fi
        fi
        current=$(postconf -c "$_MTA_DEFAULT_CONF" -h alternate_config_directories 2>/dev/null) || current=""
        # Keep entries that still exist (others' and ours); drop stale ones
        # left by earlier test runs whose work directories were removed.
        read -ra words <<<"${current//,/ }"
        for entry in "${words[@]}"; do
            [[ -n "$entry" ]] || continue
            if [[ "$entry" == "$confdir" ]]; then
                found=1
                kept+=("$entry")
            elif [[ "$entry" != /* || -d "$entry" ]]; then
                kept+=("$entry")
            fi
        done
        if ((found)) && [[ "${kept[*]}" == "${words[*]}" ]]; then
            exit 0
        fi
        ((found)) || kept+=("$confdir")
        postconf -c "$_MTA_DEFAULT_CONF" -e "alternate_config_directories = ${kept[*]}" || {
            _mta_err "cannot update alternate_config_directories in $_MTA_DEFAULT_CONF/main.cf"
            exit 1
        }
    ) 9>>"$lock" || rc=1
    return $rc
}

# Write WORKDIR/NAME/etc/master.cf: only the services a test instance needs,
# no chroot (so unix: milter sockets are plain paths), smtpd on 127.0.0.1:PORT.
_mta_write_master_cf() {
    local file=$1 port=$2 user=$3 deliver=$4 mailbase=$5
    cat >"$file" <<EOF
# Generated by x400sec tests/lib/mta.sh. No service is chrooted.
# service  type  private unpriv chroot wakeup maxproc command
127.0.0.1:$port inet n - n - - smtpd
pickup     unix  n - n 60 1 pickup
cleanup    unix  n - n - 0 cleanup
qmgr       unix  n - n 300 1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n - - trivial-rewrite
bounce     unix  - - n - 0 bounce
defer      unix  - - n - 0 bounce
trace      unix  - - n - 0 bounce
verify     unix  - - n - 1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n - - proxymap
proxywrite unix  - - n - 1 proxymap
smtp       unix  - - n - - smtp
relay      unix  - - n - - smtp
showq      unix  n - n - - showq
error      unix  - - n - - error
retry      unix  - - n - - error
discard    unix  - - n - - discard
local      unix  - n n - - local
virtual    unix  - n n - - virtual
lmtp       unix  - - n - - lmtp
anvil      unix  - - n - 1 anvil
scache     unix  - - n - 1 scache
postlog    unix-dgram n - n - 1 postlogd
# Maildir delivery of any localpart@domain (script: _mta_write_deliver).
maildir    unix  - n n - - pipe
  flags=DRhu user=$user argv=/bin/sh $deliver $mailbase \${domain} \${mailbox}
EOF
}

# Write the delivery script run by the "maildir" pipe(8) service as the mail
# owner: deliver BASE DOMAIN LOCALPART stores stdin in BASE/DOMAIN/LOCALPART/new.
_mta_write_deliver() {
    cat >"$1" <<'EOF'
#!/bin/sh
# Generated by x400sec tests/lib/mta.sh. Exit codes follow sysexits.h:
# 67 (no such user) bounces, 75 (temporary failure) makes Postfix retry.
base=$1 domain=$2 user=$3
case $user in
    ''|.*|*/*) echo "bad localpart '$user'"; exit 67 ;;
esac
case $user in
    *[!a-z0-9._+=-]*) echo "bad localpart '$user'"; exit 67 ;;
esac
case $domain in
    ''|.*|*/*|*[!a-z0-9.-]*) echo "bad domain '$domain'"; exit 67 ;;
esac
umask 077
box=$base/$domain/$user
mkdir -p "$box/tmp" "$box/new" "$box/cur" || { echo "cannot create $box"; exit 75; }
now=$(date +%s.%N) || exit 75
name=${now%%.*}.M${now#*.}P$$.$(hostname 2>/dev/null || echo localhost)
cat >"$box/tmp/$name" || { rm -f "$box/tmp/$name"; echo "cannot write $box/tmp/$name"; exit 75; }
mv "$box/tmp/$name" "$box/new/$name" || { rm -f "$box/tmp/$name"; echo "cannot move into $box/new"; exit 75; }
exit 0
EOF
    chmod 755 "$1"
}

# Write WORKDIR/NAME/etc/main.cf for one instance.
_mta_write_main_cf() {
    local file=$1 dir=$2 port=$3 domain=$4 milter=$5 relay=$6 name=$7 uid=$8 gid=$9
    local relayhost="" default_transport="error:5.7.1 no relay configured for test instance $name"
    if [[ -n "$relay" ]]; then
        relayhost="[${relay%:*}]:${relay##*:}"
        default_transport=smtp
    fi
    cat >"$file" <<EOF
# Generated by x400sec tests/lib/mta.sh for test instance '$name'.
compatibility_level = 3.6
syslog_name = postfix-$name
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
smtputf8_enable = no
biff = no
append_dot_mydomain = no

# Identity and routing.
myhostname = mx.$domain
mydomain = $domain
myorigin = $domain
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks_style = host
mynetworks = 127.0.0.0/8
relay_domains =
relayhost = $relayhost
default_transport = $default_transport
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_banner = \$myhostname ESMTP x400sec-test-$name
alias_maps =
alias_database =
local_recipient_maps =

# Never consult DNS: relays are [address]:port literals, peers are loopback.
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
smtp_connect_timeout = 5s

# Delivery: any localpart@$domain into a Maildir under $dir/mail.
# virtual(8) refuses \$1 substitution from regexp tables, so the regexp
# table only says which localparts exist (smtpd rejects the others) and
# the "maildir" pipe(8) service of master.cf stores the mail.
virtual_mailbox_domains = $domain
virtual_mailbox_maps = regexp:$dir/etc/virtual_mailbox.regexp
virtual_transport = maildir
maildir_destination_recipient_limit = 1
# Used only if virtual_transport is switched back to virtual(8).
virtual_mailbox_base = $dir/mail
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid

# Retry fast; never send delay warnings.
delay_warning_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 4s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h

# Milter (empty when the test runs without one).
smtpd_milters = $milter
non_smtpd_milters = $milter
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 5s
milter_command_timeout = 20s
milter_content_timeout = 60s
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
EOF
}

# Succeed if something accepts TCP connections on 127.0.0.1:PORT.
_mta_port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Succeed if process PID exists and is not a zombie.
_mta_alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat:0:1}" != Z ]]
}

# Print the pid of the master process of instance directory DIR, if running.
_mta_master_pid() {
    local pidfile=$1/queue/pid/master.pid pid
    [[ -r "$pidfile" ]] || return 1
    pid=$(tr -dc '0-9' <"$pidfile")
    [[ -n "$pid" ]] && _mta_alive "$pid" || return 1
    printf '%s\n' "$pid"
}

# Create and start Postfix instance NAME: mta_start NAME WORKDIR PORT DOMAIN MILTER RELAY.
mta_start() {
    if (($# != 6)); then
        _mta_err "usage: mta_start NAME WORKDIR PORT DOMAIN MILTER RELAY (MILTER and RELAY may be \"\")"
        return 2
    fi
    local name=$1 workdir=$2 port=$3 domain=$4 milter=$5 relay=$6
    local dir etc ids uid gid user group d i timeout=${MTA_START_TIMEOUT:-20} out
    if [[ ! "$name" =~ ^[A-Za-z0-9_-]+$ ]]; then
        _mta_err "mta_start: bad instance name '$name' (use letters, digits, _ and -)"
        return 2
    fi
    if [[ ! "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
        _mta_err "mta_start $name: bad port '$port'"
        return 2
    fi
    if [[ ! "$domain" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
        _mta_err "mta_start $name: bad domain '$domain'"
        return 2
    fi
    if [[ -n "$relay" && ! "$relay" =~ ^[^:[:space:]]+:[0-9]+$ ]]; then
        _mta_err "mta_start $name: RELAY must be \"host:port\" or empty, got '$relay'"
        return 2
    fi
    if [[ -n "$milter" && ! "$milter" =~ ^(unix|inet|local):[^[:space:],]+$ ]]; then
        _mta_err "mta_start $name: MILTER must look like unix:/path or inet:host:port, got '$milter'"
        return 2
    fi
    if [[ ! -d "$workdir" ]]; then
        _mta_err "mta_start $name: WORKDIR '$workdir' is not a directory"
        return 1
    fi
    if [[ "$workdir" =~ [[:space:],] ]]; then
        _mta_err "mta_start $name: WORKDIR '$workdir' contains blanks or commas, which Postfix cannot use"
        return 1
    fi
    if ((EUID != 0)); then
        _mta_err "mta_start $name: must run as root (Postfix's master starts as root)"
        return 1
    fi
    if ! command -v postfix >/dev/null 2>&1 && [[ ! -x /usr/sbin/postfix ]]; then
        _mta_err "mta_start $name: postfix is not installed"
        mta_require_packages >/dev/null || true
        return 1
    fi
    if [[ -n "${_MTA_DIR[$name]:-}" ]] && _mta_master_pid "${_MTA_DIR[$name]}" >/dev/null; then
        _mta_err "mta_start $name: instance already running from ${_MTA_DIR[$name]}"
        return 1
    fi
    workdir=$(cd "$workdir" && pwd -P) || return 1
    dir=$workdir/$name
    etc=$dir/etc
    if _mta_master_pid "$dir" >/dev/null; then
        _mta_err "mta_start $name: a master is already running for $dir (pid $(_mta_master_pid "$dir"))"
        return 1
    fi
    if _mta_port_open "$port"; then
        _mta_err "mta_start $name: port 127.0.0.1:$port is already in use"
        return 1
    fi
    ids=$(_mta_mail_ids) || return 1
    read -r uid gid user group <<<"$ids"

    mkdir -p "$etc" "$dir/queue" "$dir/data" "$dir/mail" || {
        _mta_err "mta_start $name: cannot create directories under $dir"
        return 1
    }
    # The queue must be root-owned, the data directory postfix-owned, the
    # mail base owned by the mail owner; every ancestor must be searchable by
    # the unprivileged delivery agents.
    chown root:root "$dir/queue" "$etc" && chmod 755 "$dir/queue" "$etc" "$dir" || return 1
    chown postfix: "$dir/data" && chmod 700 "$dir/data" || return 1
    chown "$uid:$gid" "$dir/mail" && chmod 755 "$dir/mail" || return 1
    chmod a+x "$workdir" || return 1
    d=$workdir
    while [[ "$d" != / ]]; do
        if ! setpriv --reuid="$uid" --regid="$gid" --clear-groups -- test -x "$d" 2>/dev/null; then
            _mta_err "mta_start $name: uid $uid cannot search $d; choose a WORKDIR whose parents are world-searchable"
            return 1
        fi
        d=$(dirname "$d")
    done

    rm -f "$dir/maillog"
    _mta_write_main_cf "$etc/main.cf" "$dir" "$port" "$domain" "$milter" "$relay" "$name" "$uid" "$gid" || return 1
    _mta_write_master_cf "$etc/master.cf" "$port" "$user:$group" "$etc/deliver" "$dir/mail" || return 1
    _mta_write_deliver "$etc/deliver" || return 1
    printf '/^[a-z0-9_+=-][a-z0-9._+=-]*@%s$/\tOK\n' \
        "${domain//./\\.}" >"$etc/virtual_mailbox.regexp" || return 1

    _mta_register_confdir "$etc" || return 1

    # Registered before starting so that mta_stop_all cleans up a half start.
    _MTA_DIR[$name]=$dir
    _MTA_PORT[$name]=$port
    _MTA_DOMAIN[$name]=${domain,,}

    # `postfix check` creates the missing queue subdirectories and fixes
    # their ownership (post-install create-missing), then checks the config.
    if ! out=$(postfix -c "$etc" check 2>&1 </dev/null); then
        _mta_err "mta_start $name: 'postfix -c $etc check' failed:"
        printf '%s\n' "$out" >&2
        return 1
    fi
    if [[ -n "$out" ]]; then
        _mta_err "mta_start $name: 'postfix -c $etc check' warned:"
        printf '%s\n' "$out" >&2
    fi
    if ! out=$(postfix -c "$etc" start 2>&1 </dev/null); then
        _mta_err "mta_start $name: 'postfix -c $etc start' failed:"
        printf '%s\n' "$out" >&2
        [[ -r "$dir/maillog" ]] && tail -n 20 "$dir/maillog" >&2
        return 1
    fi
    for ((i = 0; i < timeout * 10; i++)); do
        if _mta_master_pid "$dir" >/dev/null && _mta_port_open "$port"; then
            return 0
        fi
        sleep 0.1
    done
    _mta_err "mta_start $name: instance did not listen on 127.0.0.1:$port within ${timeout}s"
    [[ -r "$dir/maillog" ]] && tail -n 20 "$dir/maillog" >&2
    return 1
}

# Print the config directory of instance NAME.
mta_confdir() {
    _mta_known "$1" || return 1
    printf '%s\n' "${_MTA_DIR[$1]}/etc"
}

# Print the maillog path of instance NAME.
mta_log() {
    if (($# != 1)); then _mta_err "usage: mta_log NAME"; return 2; fi
    _mta_known "$1" || return 1
    printf '%s\n' "${_MTA_DIR[$1]}/maillog"
}

# Inject stdin with the instance's sendmail(1): mta_send NAME FROM RCPT...
mta_send() {
    if (($# < 3)); then _mta_err "usage: mta_send NAME FROM RCPT... <message"; return 2; fi
    local name=$1 from=$2
    shift 2
    _mta_known "$name" || return 1
    if ! sendmail -C "${_MTA_DIR[$name]}/etc" -i -f "$from" -- "$@"; then
        _mta_err "mta_send $name: sendmail failed (from $from to $*)"
        return 1
    fi
}

# Send stdin over SMTP to the instance's port: mta_send_smtp NAME FROM RCPT...
mta_send_smtp() {
    if (($# < 3)); then _mta_err "usage: mta_send_smtp NAME FROM RCPT... <message"; return 2; fi
    local name=$1
    shift
    _mta_known "$name" || return 1
    # Bare LF line ends are turned into CRLF (SMTP's line end); everything
    # else, including lone CR and 8-bit bytes, is sent as it is.
    # (The program is passed with -c: stdin is the message.)
    "$MTA_PYTHON" -c '
import re, smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
data = re.sub(rb"(?<!\r)\n", b"\r\n", sys.stdin.buffer.read())
try:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=30) as s:
        refused = s.sendmail(sender, rcpts, data)
except (smtplib.SMTPException, OSError) as e:
    print("mta_send_smtp: %s" % (e,), file=sys.stderr)
    sys.exit(1)
if refused:
    print("mta_send_smtp: refused recipients: %r" % (refused,), file=sys.stderr)
    sys.exit(1)
' "${_MTA_PORT[$name]}" "$@" || { _mta_err "mta_send_smtp $name: SMTP transaction failed"; return 1; }
}

# Print the Maildir (without trailing /new) of ADDRESS in instance NAME.
_mta_maildir() {
    local name=$1 address=${2,,}
    local local_part=${address%@*} domain=${address##*@}
    if [[ "$address" != *@* || -z "$local_part" || -z "$domain" ]]; then
        _mta_err "bad address '$2' (need localpart@domain)"
        return 1
    fi
    printf '%s\n' "${_MTA_DIR[$name]}/mail/$domain/$local_part"
}

# Print the delivered message files of ADDRESS in NAME, in delivery order.
mta_mail_files() {
    if (($# != 2)); then _mta_err "usage: mta_mail_files NAME ADDRESS"; return 2; fi
    local name=$1 maildir f base
    _mta_known "$name" || return 1
    maildir=$(_mta_maildir "$name" "$2") || return 1
    [[ -d "$maildir/new" ]] || return 0
    # Maildir names are SECONDS.M<fraction>P<pid>.host (our deliver script;
    # virtual(8) uses SECONDS.V<dev>I<inode>M<usec>.host): sort on seconds,
    # then the fraction, then the name.
    for f in "$maildir"/new/* "$maildir"/cur/*; do
        [[ -f "$f" ]] || continue
        base=${f##*/}
        local sec=${base%%.*} usec=0
        [[ "$base" =~ ^[0-9]+\.([^.]*)M([0-9]+) ]] && usec=${BASH_REMATCH[2]}
        [[ "$sec" =~ ^[0-9]+$ ]] || sec=0
        printf '%s %s %s\n' "$sec" "$usec" "$f"
    done | sort -k1,1n -k2,2n -k3,3 | cut -d' ' -f3-
}

# Print why mail has not arrived: tail of the maillog and the queue of NAME.
_mta_explain() {
    local name=$1 dir=${_MTA_DIR[$1]}
    {
        echo "---- last 30 lines of $dir/maillog ----"
        tail -n 30 "$dir/maillog" 2>/dev/null || echo "(no maillog)"
        echo "---- postqueue -c $dir/etc -p ----"
        postqueue -c "$dir/etc" -p 2>&1 || true
    } >&2
}

# Wait until ADDRESS has COUNT messages in new/: mta_wait_mail NAME ADDRESS COUNT TIMEOUT_S.
mta_wait_mail() {
    if (($# != 4)); then _mta_err "usage: mta_wait_mail NAME ADDRESS COUNT TIMEOUT_S"; return 2; fi
    local name=$1 address=$2 count=$3 timeout=$4 maildir n i other
    _mta_known "$name" || return 1
    maildir=$(_mta_maildir "$name" "$address") || return 1
    if [[ ! "$count" =~ ^[0-9]+$ || ! "$timeout" =~ ^[0-9]+$ ]]; then
        _mta_err "mta_wait_mail: COUNT and TIMEOUT_S must be whole numbers"
        return 2
    fi
    for ((i = 0; ; i++)); do
        n=0
        if [[ -d "$maildir/new" ]]; then
            n=$(find "$maildir/new" -maxdepth 1 -type f | wc -l)
        fi
        ((n >= count)) && return 0
        ((i >= timeout * 5)) && break
        sleep 0.2
    done
    _mta_err "mta_wait_mail $name: $address has $n message(s) in $maildir/new, wanted $count, after ${timeout}s"
    _mta_explain "$name"
    # Mail for another instance's domain is usually stuck there instead.
    for other in "${!_MTA_DIR[@]}"; do
        [[ "$other" != "$name" ]] || continue
        _mta_err "---- also instance '$other' ----"
        _mta_explain "$other"
    done
    return 1
}

# Ask instance NAME to retry deferred mail now (postqueue -f).
mta_flush() {
    if (($# != 1)); then _mta_err "usage: mta_flush NAME"; return 2; fi
    _mta_known "$1" || return 1
    postqueue -c "${_MTA_DIR[$1]}/etc" -f || {
        _mta_err "mta_flush $1: postqueue -f failed"
        return 1
    }
}

# Stop instance NAME and wait until its master has exited (safe to repeat).
mta_stop() {
    if (($# != 1)); then _mta_err "usage: mta_stop NAME"; return 2; fi
    local name=$1 dir pid i
    _mta_known "$name" || return 1
    dir=${_MTA_DIR[$name]}
    pid=$(_mta_master_pid "$dir") || return 0
    postfix -c "$dir/etc" stop >/dev/null 2>&1 </dev/null || true
    for ((i = 0; i < 150; i++)); do
        _mta_alive "$pid" || return 0
        sleep 0.1
    done
    _mta_err "mta_stop $name: master (pid $pid) still running after 15s; sending SIGKILL to it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
    ! _mta_alive "$pid"
}

# Stop every instance started by this shell (use as: trap mta_stop_all EXIT).
mta_stop_all() {
    local name rc=0
    for name in "${!_MTA_DIR[@]}"; do
        mta_stop "$name" || rc=1
    done
    return $rc
}
