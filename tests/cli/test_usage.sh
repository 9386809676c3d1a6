#!/usr/bin/env bash
# Option checks that need no BPF (issue 11, item 6): a ring buffer the
# kernel cannot make is refused up front, exit 2, naming the limit.
. "$(dirname "$0")/lib.sh"
need usage "$VIGIL"
expect usage.ringbuf_4GiB 2 "not a number in \[4, 2097152\]" record --ringbuf-kb 4194304 -o /tmp/vigil-never.vgl
expect usage.ringbuf_fraction 2 "whole number" live --ringbuf-kb 5.5
expect usage.ringbuf_small 2 "ringbuf-kb" record --ringbuf-kb 2 -o /tmp/vigil-never.vgl
[ ! -e /tmp/vigil-never.vgl ] && echo "PASS usage.no_file_left" || echo "FAIL usage.no_file_left: /tmp/vigil-never.vgl"
