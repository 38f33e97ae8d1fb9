#!/bin/bash
# cli_test.sh BINARY: amt-mps-certs as an operator runs it, every result
# checked with the openssl command line rather than with our own code.
# Ends with TLS handshakes between openssl s_server (our chain) and
# s_client (trusting only our root, sending no SNI, like AMT).
set -u

BIN=${1:?usage: cli_test.sh path/to/amt-mps-certs}
T=$(mktemp -d /tmp/certs_cli.XXXXXX)
SERVER_PID=
failures=0

cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
ok() {
	echo "ok: $*"
}

# expect_rc WANT DESCRIPTION CMD...: run, keep stdout/stderr in $T/out,err
expect_rc() {
	local want=$1 what=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$what: exit $rc, want $want"
		sed 's/^/    /' "$T/err" >&2
		return 1
	fi
	ok "$what (exit $rc)"
}

grep_in() {	# FILE PATTERN DESCRIPTION
	if grep -qF -- "$2" "$1"; then ok "$3"; else fail "$3: no '$2' in $(basename "$1")"; fi
}

# check DESCRIPTION CMD...: CMD must succeed; check_not: it must fail.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
check_not() {
	local what=$1
	shift
	if "$@"; then fail "$what"; else ok "$what"; fi
}
# same A B: two strings are equal (prints both when they are not).
same() {
	[ "$1" = "$2" ] && return 0
	echo "    '$1' != '$2'" >&2
	return 1
}
# verifies ROOT CERT: openssl verify accepts the chain.
verifies() {
	openssl verify -CAfile "$1" "$2" >/dev/null 2>&1
}
# valid_for SECONDS CERT: still valid after SECONDS.
valid_for() {
	openssl x509 -noout -checkend "$1" -in "$2" >/dev/null
}

sums() {	# DIR: checksums of the four files
	(cd "$1" && sha256sum root.crt root.key server.crt server.key)
}

mode_of() {
	stat -c %a "$1"
}

# openssl's own fingerprint of a certificate, colon form.
ossl_fp() {
	openssl x509 -fingerprint -sha256 -noout -in "$1" | sed 's/^.*=//'
}

# The value of one labelled line of our output.
label() {	# FILE LABEL-PREFIX
	grep -F -- "$2" "$1" | sed 's/^.*: //'
}

D=$T/certs

# --- help, version, usage errors (exit 2, nothing written) ---------------
expect_rc 0 "--help" "$BIN" --help && grep_in "$T/out" "amt-mps-certs init --dir DIR --cn NAME" "help shows init"
expect_rc 0 "init --help" "$BIN" init --help
expect_rc 0 "--version" "$BIN" --version
check "version line" grep -Eq '^amt-mps-certs [0-9]+\.[0-9]+' "$T/out"
expect_rc 2 "no arguments" "$BIN"
expect_rc 2 "unknown command" "$BIN" frobnicate --dir "$D"
expect_rc 2 "init without --dir" "$BIN" init --cn mps.example.com
expect_rc 2 "init without --cn" "$BIN" init --dir "$D"
expect_rc 2 "--dir without value" "$BIN" init --cn x --dir
expect_rc 2 "unknown option" "$BIN" init --dir "$D" --cn x --bogus
expect_rc 2 "bad --key-type" "$BIN" init --dir "$D" --cn x --key-type rsa1024
expect_rc 2 "bad --san kind" "$BIN" init --dir "$D" --cn x --san URI:http://x
expect_rc 2 "bad --san IP" "$BIN" init --dir "$D" --cn x --san IP:300.1.1.1
expect_rc 2 "bad --cn" "$BIN" init --dir "$D" --cn "my server"
expect_rc 2 "bad --days" "$BIN" init --dir "$D" --cn x --days 0
expect_rc 2 "non-numeric --days" "$BIN" init --dir "$D" --cn x --days 12x
expect_rc 2 "extra argument" "$BIN" init --dir "$D" --cn x extra
expect_rc 2 "fingerprint with --cn" "$BIN" fingerprint --dir "$D" --cn x
check_not "usage errors wrote nothing" [ -e "$D" ]

# --- init -----------------------------------------------------------------
expect_rc 0 "init" "$BIN" init --dir "$D" --cn mps.example.com \
	--san IP:127.0.0.1 --san DNS:alt.example.com --san IP:::1
cp "$T/out" "$T/init.out"
for f in root.crt root.key server.crt server.key; do
	check "$f written" [ -f "$D/$f" ]
done
check "root.key mode 600" same "$(mode_of "$D/root.key")" 600
check "server.key mode 600" same "$(mode_of "$D/server.key")" 600
check "server.crt mode 644" same "$(mode_of "$D/server.crt")" 644
check "no temporary files left" same "$(find "$D" -mindepth 1 | wc -l)" 4

openssl verify -CAfile "$D/root.crt" "$D/server.crt" >"$T/v" 2>&1
check "openssl verify -CAfile root.crt server.crt" grep -q ': OK$' "$T/v"
openssl x509 -noout -text -in "$D/server.crt" >"$T/text"
grep_in "$T/text" "Subject: CN = mps.example.com" "server CN"
grep_in "$T/text" "DNS:mps.example.com" "CN repeated as DNS SAN"
grep_in "$T/text" "IP Address:127.0.0.1" "IP SAN"
grep_in "$T/text" "IP Address:0:0:0:0:0:0:0:1" "IPv6 SAN"
grep_in "$T/text" "DNS:alt.example.com" "DNS SAN"
grep_in "$T/text" "TLS Web Server Authentication" "EKU serverAuth"
grep_in "$T/text" "Public-Key: (2048 bit)" "RSA-2048 server key by default"
grep_in "$T/text" "CA:FALSE" "server is not a CA"
grep_in "$T/text" "Digital Signature, Key Encipherment" "server key usage"
openssl x509 -noout -text -in "$D/root.crt" >"$T/roottext"
grep_in "$T/roottext" "CA:TRUE" "root is a CA"
grep_in "$T/roottext" "Certificate Sign, CRL Sign" "root key usage"
check "server valid for 700 days" valid_for $((700 * 86400)) "$D/server.crt"
check_not "server not valid beyond 740 days" valid_for $((740 * 86400)) "$D/server.crt"

FP=$(ossl_fp "$D/root.crt")
HEX=$(openssl x509 -in "$D/root.crt" -outform DER | sha256sum | cut -d' ' -f1)
check "printed fingerprint = openssl x509 -fingerprint -sha256" \
	same "$(label "$T/init.out" "SHA-256 fingerprint")" "$FP"
check "printed plain hex = sha256 of the DER" \
	same "$(label "$T/init.out" "SHA-256 hash (plain hex")" "$HEX"

expect_rc 0 "fingerprint" "$BIN" fingerprint --dir "$D/"
check "fingerprint command prints the same" \
	same "$(label "$T/out" "SHA-256 fingerprint")" "$FP"
expect_rc 1 "fingerprint of a missing dir" "$BIN" fingerprint --dir "$T/nope"

# --- never overwrite without --force --------------------------------------
sums "$D" >"$T/sums.before"
expect_rc 1 "init again without --force" "$BIN" init --dir "$D" --cn other.example.com
grep_in "$T/err" "exists; use --force to replace it" "refusal names the fix"
sums "$D" >"$T/sums.after"
check "files unchanged (checksums)" cmp -s "$T/sums.before" "$T/sums.after"
rm "$D/root.crt"
expect_rc 1 "init with one file still there" "$BIN" init --dir "$D" --cn other.example.com
grep_in "$T/err" "$D/root.key exists; use --force to replace it" "message names the file"
check_not "refused init wrote nothing" [ -e "$D/root.crt" ]

expect_rc 0 "init --force" "$BIN" init --dir "$D" --cn mps.example.com \
	--san IP:127.0.0.1 --force
check_not "--force made a new root" same "$(ossl_fp "$D/root.crt")" "$FP"
FP=$(ossl_fp "$D/root.crt")
check "verify after --force" verifies "$D/root.crt" "$D/server.crt"

# --- renew ------------------------------------------------------------------
sums "$D" >"$T/sums.before"
cp "$D/server.crt" "$T/server.crt.prev"
expect_rc 0 "renew" "$BIN" renew --dir "$D"
grep -E '^[0-9a-f]+  root\.(crt|key)$' "$T/sums.before" >"$T/r1"
sums "$D" | grep -E '  root\.(crt|key)$' >"$T/r2"
check "renew keeps the root (checksums)" cmp -s "$T/r1" "$T/r2"
check "renew prints the same root fingerprint" \
	same "$(label "$T/out" "SHA-256 fingerprint")" "$FP"
check_not "renew replaced server.crt" cmp -s "$D/server.crt" "$T/server.crt.prev"
check "previous server.crt kept as .old" cmp -s "$D/server.crt.old" "$T/server.crt.prev"
check "server.key.old mode 600" same "$(mode_of "$D/server.key.old")" 600
check "renewed server.key mode 600" same "$(mode_of "$D/server.key")" 600
check "renewed cert verifies" verifies "$D/root.crt" "$D/server.crt"
openssl x509 -noout -text -in "$D/server.crt" >"$T/text"
grep_in "$T/text" "Subject: CN = mps.example.com" "renew keeps the CN"
grep_in "$T/text" "IP Address:127.0.0.1" "renew keeps the SANs"
check "renewed key matches certificate" \
	same "$(openssl x509 -noout -modulus -in "$D/server.crt")" \
	"$(openssl rsa -noout -modulus -in "$D/server.key" 2>/dev/null)"

expect_rc 0 "renew --cn IP --key-type rsa3072" "$BIN" renew --dir "$D" --cn 127.0.0.2 --key-type rsa3072
openssl x509 -noout -text -in "$D/server.crt" >"$T/text"
grep_in "$T/text" "Subject: CN = 127.0.0.2" "renew --cn"
grep_in "$T/text" "IP Address:127.0.0.2" "IP CN added as IP SAN"
grep_in "$T/text" "Public-Key: (3072 bit)" "renew --key-type rsa3072"
check "root still the same" same "$(ossl_fp "$D/root.crt")" "$FP"

# A server certificate from elsewhere is not replaced without --force.
expect_rc 0 "second set" "$BIN" init --dir "$T/other" --cn z.example.com
cp "$T/other/server.crt" "$D/server.crt"
expect_rc 1 "renew over a foreign server.crt" "$BIN" renew --dir "$D"
grep_in "$T/err" "was not issued by" "foreign certificate named"
check "foreign server.crt left alone" cmp -s "$D/server.crt" "$T/other/server.crt"
expect_rc 0 "renew --force over it" "$BIN" renew --dir "$D" --force
check "verify after renew --force" verifies "$D/root.crt" "$D/server.crt"

# --- key types ----------------------------------------------------------------
expect_rc 0 "init ec384" "$BIN" init --dir "$T/ec" --cn mps.example.com --san IP:127.0.0.1 --key-type ec384 --days 90
openssl x509 -noout -text -in "$T/ec/server.crt" >"$T/text"
grep_in "$T/text" "NIST CURVE: P-384" "ec384 server key"
grep_in "$T/text" "ecdsa-with-SHA384" "ec384 signed with SHA-384"
check "ec384 chain verifies" verifies "$T/ec/root.crt" "$T/ec/server.crt"
check "--days 90 honoured" valid_for $((89 * 86400)) "$T/ec/server.crt"
check_not "--days 90 not exceeded" valid_for $((92 * 86400)) "$T/ec/server.crt"

# --- TLS handshakes -------------------------------------------------------------
# start_server DIR EXTRA...: openssl s_server on a free loopback port.
start_server() {
	local dir=$1
	shift
	for _ in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + RANDOM % 10000))
		timeout 30 openssl s_server -accept "127.0.0.1:$PORT" \
			-cert "$dir/server.crt" -key "$dir/server.key" \
			-www "$@" </dev/null >"$T/srv.out" 2>&1 &
		SERVER_PID=$!
		for _ in $(seq 50); do
			grep -q '^ACCEPT' "$T/srv.out" 2>/dev/null && return 0
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	done
	return 1
}
stop_server() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	SERVER_PID=
}
# handshake WANT DESCRIPTION ROOT S_CLIENT-ARGS...: AMT sends no SNI.
handshake() {
	local want=$1 what=$2 root=$3 rc
	shift 3
	timeout 15 openssl s_client -connect "127.0.0.1:$PORT" -noservername \
		-CAfile "$root" -verify_return_error -brief "$@" \
		</dev/null >"$T/cli.out" 2>&1
	rc=$?
	if { [ "$want" = ok ] && [ $rc -eq 0 ] && grep -q 'Verification: OK' "$T/cli.out"; } ||
	   { [ "$want" = fail ] && [ $rc -ne 0 ]; }; then
		ok "handshake: $what"
	else
		fail "handshake: $what (exit $rc)"
		sed 's/^/    /' "$T/cli.out" >&2
	fi
}

# renew --force kept the names of the certificate it replaced.
if start_server "$D"; then
	handshake ok "TLS 1.3, name kept by renew --force" "$D/root.crt" -verify_hostname z.example.com
	stop_server
else
	fail "s_server did not start"
fi
expect_rc 0 "renew to rsa3072 with an IP CN" "$BIN" renew --dir "$D" --cn 127.0.0.2 --key-type rsa3072
if start_server "$D"; then
	handshake ok "TLS 1.3, RSA-3072 (AMT 22), IP name" "$D/root.crt" -verify_ip 127.0.0.2
	stop_server
else
	fail "s_server did not start"
fi
expect_rc 0 "renew back to rsa2048" "$BIN" renew --dir "$D" --cn mps.example.com --san IP:127.0.0.1 --key-type rsa2048
if start_server "$D"; then
	handshake ok "TLS 1.2, RSA-2048 (AMT 12-19), DNS name" "$D/root.crt" -tls1_2 -verify_hostname mps.example.com
	stop_server
else
	fail "s_server did not start"
fi
if start_server "$D"; then
	handshake fail "name not in the certificate is refused" "$D/root.crt" -verify_hostname other.example.com
	stop_server
fi
if start_server "$D"; then
	handshake fail "another root is not trusted" "$T/other/root.crt"
	stop_server
fi
if start_server "$T/ec"; then
	handshake ok "TLS 1.2, EC P-384 (AMT 22)" "$T/ec/root.crt" -tls1_2 -verify_ip 127.0.0.1
	stop_server
else
	fail "s_server did not start"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed" >&2
	exit 1
fi
echo "all checks passed"
