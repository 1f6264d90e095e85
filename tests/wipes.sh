#!/bin/sh
# Secrets are wiped with calls the compiler keeps. A memset() of a buffer that is freed
# or goes out of scope right after is a dead store: the optimiser removes it (the form
# that holds a typed passphrase and the CA passphrase of desk_signing were left unwiped
# that way, seen in the disassembly). So this reads the disassembly of the binary under
# test ($CERTDESK_BIN, release or sanitizer build) and checks that each function holding
# a secret calls OPENSSL_cleanse or cd_secret_free (which calls it) itself. A static
# function the compiler inlined is checked in the function it was inlined into.
# Needs objdump (binutils, which gcc brings).
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh

bin=${CERTDESK_BIN:-./certdesk}
dis=$(mktemp "${TMPDIR:-/tmp}/certdesk-wipes.XXXXXX") || exit 1
trap 'rm -f "$dis"' EXIT
objdump -d --no-show-raw-insn "$bin" >"$dis" || { echo "objdump failed on $bin"; exit 1; }

# The body of function $1 (with GCC's .isra.0/.part.0/.constprop.0 copies), or nothing.
body() {
	awk -v f="$1" '
		/^[0-9a-f]+ <.*>:$/ {
			name = $2; sub(/^</, "", name); sub(/>:$/, "", name)
			base = name; sub(/\..*/, "", base)
			inside = base == f
		}
		/^$/ { inside = 0 }
		inside' "$dis"
}

# wipes NAME[|INLINED-INTO...]: the first of the names that exists as a function calls
# (or tail-calls) a wipe.
wipes() {
	for f in $(echo "$1" | tr '|' ' '); do
		b=$(body "$f")
		[ -n "$b" ] || continue
		printf '%s\n' "$b" | grep -Eq '(call|jmp) +[0-9a-f]+ <(OPENSSL_cleanse@plt|cd_secret_free)>'
		return
	done
	echo "none of $1 is a function of $bin"
	return 1
}

ok "a secret read from a file (cd_secret_free)" wipes cd_secret_free
# Cancelled, submitted or left open at the end, a form leaves the stack through its close
# hook (ui/screen.c runs it on every pop and replace).
ok "a form, which may hold a typed passphrase, when closed" wipes "ui_form_wipe|ui_form_close"
ok "the CA passphrase asked to load the key" wipes "load_key|ca_load_key"
ok "the CA passphrase read from CERTDESK_PASSPHRASE_FILE" wipes "read_first_line|desk_passphrase"
ok "the passphrase of a new CA (init)" wipes desk_init
ok "the CA passphrase a rollover gives the new key" wipes "desk_ca_rollover|rollover_keys"
ok "a .pw file shown in the dashboard" wipes ui_do_password
ok "the passphrase of an imported CA key" wipes "check_key|read_source|import_run"
ok "the token PIN of a signing command" wipes desk_token_signing
ok "the token PIN of a rollover on a token home" wipes desk_token_rollover
ok "the token PIN of ca move-to-token" wipes desk_move_to_token
finish
