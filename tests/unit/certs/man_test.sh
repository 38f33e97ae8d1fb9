#!/bin/bash
# man_test.sh PAGE: the page renders with man -l and groff reports no warning.
set -u
PAGE=${1:?usage: man_test.sh page.1}
[ -s "$PAGE" ] || { echo "FAIL: $PAGE missing or empty" >&2; exit 1; }
# groff: every warning class (-ww), no output (-z); anything on stderr fails.
out=$(groff -man -Tutf8 -ww -z "$PAGE" 2>&1) || { echo "FAIL: groff: $out" >&2; exit 1; }
[ -z "$out" ] || { echo "FAIL: groff warnings:" >&2; echo "$out" >&2; exit 1; }
# man-db as a user would run it, with its own warning set.
out=$(MANWIDTH=80 man -l --warnings -E UTF-8 "$PAGE" 2>&1 >/dev/null) ||
	{ echo "FAIL: man -l: $out" >&2; exit 1; }
[ -z "$out" ] || { echo "FAIL: man warnings:" >&2; echo "$out" >&2; exit 1; }
# The contract's commands and options are documented.
text=$(MANWIDTH=80 man -l -E UTF-8 "$PAGE" 2>/dev/null | col -b)
for w in init renew fingerprint --dir --cn --san --key-type --days --force \
    rsa2048 rsa3072 rsa4096 ec384 root.crt server.key "EXIT STATUS"; do
	grep -qF -- "$w" <<<"$text" || { echo "FAIL: page does not mention $w" >&2; exit 1; }
done
echo "ok: $PAGE renders cleanly"
