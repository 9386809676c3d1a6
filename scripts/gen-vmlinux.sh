#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF.
# Usage: scripts/gen-vmlinux.sh [x86|arm64] [BTF file]
# The header is committed so that builds do not depend on the build host's kernel;
# CO-RE relocations adapt the compiled BPF object to the running kernel at load time.
set -euo pipefail
arch=${1:-}
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64) arch=x86 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "gen-vmlinux: unsupported machine $(uname -m)" >&2; exit 2 ;;
  esac
fi
btf=${2:-/sys/kernel/btf/vmlinux}
[ -r "$btf" ] || { echo "gen-vmlinux: cannot read BTF at $btf (kernel built without CONFIG_DEBUG_INFO_BTF?)" >&2; exit 1; }
out="$(dirname "$0")/../vmlinux/$arch/vmlinux.h"
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out ($(wc -l < "$out") lines) from $btf"
