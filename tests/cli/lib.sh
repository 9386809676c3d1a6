# Shared by the command-line tests (sourced): no root, no BPF, only the
# built binaries.  Tests print "PASS name", "FAIL name: why" or "SKIP name: why".
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VIGIL=$ROOT/vigil
MK=$ROOT/.output/tests/test_hostile # also writes crafted dumps: --make-dump KIND PATH
TMP=$(mktemp -d /tmp/vigil-cli.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# exits with a SKIP line unless every given file is executable
need() { # name, files...
	local name=$1 f; shift
	for f in "$@"; do
		[ -x "$f" ] || { echo "SKIP $name: $f is not built"; exit 0; }
	done
}

# runs vigil ARGS...; passes when it exits with WANT and stderr matches RE
expect() { # name, want, re, args...
	local name=$1 want=$2 re=$3; shift 3
	local err rc
	err=$("$VIGIL" "$@" 2>&1 >/dev/null </dev/null); rc=$?
	if [ $rc = "$want" ] && grep -Eq -e "$re" <<<"$err"; then
		pass "$name"
	else
		fail "$name" "exit $rc (want $want): $err"
	fi
}
