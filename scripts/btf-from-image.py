#!/usr/bin/env python3
"""Cut a kernel's BTF blob out of whatever the kernel was shipped as.

Usage: scripts/btf-from-image.py [--arch x86|arm64] [--quiet] INPUT OUTPUT

INPUT may be
  - a raw BTF blob (/sys/kernel/btf/vmlinux, or one cut out earlier),
  - an ELF vmlinux (its .BTF section is taken),
  - a kernel image as installed in /boot: a raw arm64 Image / EFI PE (what
    Debian's signed linux-image-*-arm64 ships), a gzip/xz/bzip2/lzma-compressed
    Image (vmlinuz, Image.gz), an EFI zboot image, or an x86 bzImage (its
    payload gzip/xz/bzip2/lzma, or lz4/zstd through Debian's lz4/zstd tools:
    Debian's amd64 kernels are lz4).
Kernel images carry no section table, but the .BTF section is copied into
them verbatim, so the blob is found by its header (magic 0xeB9F, version 1,
hdr_len 24) and its length comes from the header's type/string offsets.

Every candidate is validated by walking the whole type section (each type's
kind and length must be known and the walk must end exactly at the end of the
section, every name offset must fall in the string section) and requiring
the types vigil's BPF code uses; with --arch, struct pt_regs must also be the
requested architecture's.  OUTPUT receives the blob, byte for byte.
Only the Python 3 standard library is used.
"""
import bz2
import gzip
import hashlib
import lzma
import struct
import sys
import zlib

BTF_MAGIC = 0xEB9F
HDR_LEN = 24

# extra bytes after the 12-byte common type header, per BTF kind
KIND_NAMES = {
    1: "INT", 2: "PTR", 3: "ARRAY", 4: "STRUCT", 5: "UNION", 6: "ENUM", 7: "FWD",
    8: "TYPEDEF", 9: "VOLATILE", 10: "CONST", 11: "RESTRICT", 12: "FUNC",
    13: "FUNC_PROTO", 14: "VAR", 15: "DATASEC", 16: "FLOAT", 17: "DECL_TAG",
    18: "TYPE_TAG", 19: "ENUM64",
}


def extra_len(kind, vlen):
    if kind in (2, 7, 8, 9, 10, 11, 12, 16, 18):
        return 0
    if kind in (1, 14, 17):
        return 4
    if kind == 3:
        return 12
    if kind in (4, 5, 15, 19):
        return 12 * vlen
    if kind in (6, 13):
        return 8 * vlen
    return None


# structs vigil's BPF program reads through CO-RE; a BTF without them is
# not a usable kernel BTF (or not the one we were looking for)
REQUIRED_STRUCTS = ("task_struct", "mm_struct", "trace_event_raw_sched_switch",
                    "trace_event_raw_sched_process_template", "trace_event_raw_sys_enter",
                    "percpu_counter", "pt_regs")
# members of struct pt_regs that only one architecture has
ARCH_PT_REGS = {"x86": "r15", "arm64": "orig_x0"}
MIN_TYPES = 10000  # a real vmlinux BTF has ~100k types; modules' split BTF far fewer


class Invalid(Exception):
    pass


def parse_btf(buf, off=0):
    """Validate the BTF blob at buf[off:]; return (total_len, info dict)."""
    if len(buf) - off < HDR_LEN:
        raise Invalid("too short for a BTF header")
    magic, version, flags, hdr_len = struct.unpack_from("<HBBI", buf, off)
    if magic != BTF_MAGIC:
        raise Invalid("no little-endian BTF magic")
    if version != 1 or flags != 0 or hdr_len != HDR_LEN:
        raise Invalid("unexpected header: version %d flags %d hdr_len %d" % (version, flags, hdr_len))
    type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", buf, off + 8)
    if type_off != 0 or type_len % 4 or str_off < type_off + type_len or str_len == 0:
        raise Invalid("implausible section layout type %d+%d str %d+%d" % (type_off, type_len, str_off, str_len))
    total = hdr_len + str_off + str_len
    if off + total > len(buf):
        raise Invalid("blob of %d bytes runs past the end of the input" % total)
    base = off + hdr_len
    strs = buf[base + str_off: base + str_off + str_len]
    if strs[0] != 0 or strs[-1] != 0:
        raise Invalid("string section is not NUL-delimited")

    def name(name_off):
        if name_off >= str_len:
            raise Invalid("name offset %d outside the string section" % name_off)
        return strs[name_off: strs.index(b"\0", name_off)].decode("ascii", "replace")

    types = 0
    kinds = {}
    structs = {}  # name -> list of member names (only for the ones we check)
    want = set(REQUIRED_STRUCTS)
    p, end = base + type_off, base + type_off + type_len
    while p < end:
        if end - p < 12:
            raise Invalid("truncated type at offset %d" % (p - base))
        name_off, info, _ = struct.unpack_from("<III", buf, p)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        n = extra_len(kind, vlen)
        if n is None:
            raise Invalid("unknown BTF kind %d at type %d" % (kind, types + 1))
        if p + 12 + n > end:
            raise Invalid("type %d runs past the type section" % (types + 1))
        tname = name(name_off)
        if kind == 4 and tname in want and tname not in structs:
            structs[tname] = [name(struct.unpack_from("<I", buf, p + 12 + 12 * i)[0]) for i in range(vlen)]
        types += 1
        kinds[KIND_NAMES[kind]] = kinds.get(KIND_NAMES[kind], 0) + 1
        p += 12 + n
    if p != end:
        raise Invalid("type walk ended at %d, not at the section end %d" % (p - base, end - base))
    return total, {"types": types, "kinds": kinds, "structs": structs}


def check_contents(info, arch):
    if info["types"] < MIN_TYPES:
        raise Invalid("only %d types: not a vmlinux BTF" % info["types"])
    missing = [s for s in REQUIRED_STRUCTS if s not in info["structs"]]
    if missing:
        raise Invalid("struct(s) missing: %s" % ", ".join(missing))
    regs = info["structs"]["pt_regs"]
    found = [a for a, m in ARCH_PT_REGS.items() if m in regs]
    info["arch"] = found[0] if len(found) == 1 else "unknown"
    if arch and info["arch"] != arch:
        raise Invalid("struct pt_regs is %s's, not %s's (members: %s)" % (info["arch"], arch, ", ".join(regs[:8])))


def elf_btf(buf):
    """The .BTF section of a little-endian ELF64 file, or None."""
    if buf[:4] != b"\x7fELF" or buf[4] != 2 or buf[5] != 1:
        return None
    e_shoff, = struct.unpack_from("<Q", buf, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", buf, 0x3A)

    def sh(i):
        return struct.unpack_from("<IIQQQQ", buf, e_shoff + i * e_shentsize)  # name type flags addr off size

    _, _, _, _, stroff, strsize = sh(e_shstrndx)
    for i in range(e_shnum):
        nm, _, _, _, o, sz = sh(i)
        if buf[stroff + nm: buf.index(b"\0", stroff + nm)] == b".BTF":
            return o, sz
    raise Invalid("ELF file without a .BTF section (kernel built without CONFIG_DEBUG_INFO_BTF?)")


def external(tool, payload, name):
    """payload decompressed by a Debian tool (lz4, zstd): the standard library has neither"""
    import shutil
    import subprocess
    if not shutil.which(tool):
        raise Invalid("%s-compressed image: install Debian's %s package, or decompress it first" % (name, tool))
    # the stream may be followed by padding the tool complains about; what it
    # wrote is still the whole kernel, and the BTF walk validates it
    return subprocess.run([tool, "-dc"], input=payload, capture_output=True).stdout


def decompress(buf):
    """The kernel Image inside buf, and how it was packed."""
    if len(buf) > 0x250 and buf[0x202:0x206] == b"HdrS":  # x86 bzImage: the payload follows the setup
        setup_sects = buf[0x1F1] or 4
        poff, plen = struct.unpack_from("<II", buf, 0x248)
        start = (setup_sects + 1) * 512 + poff
        payload = buf[start: start + plen]
        if payload[:4] == b"\x02\x21\x4c\x18":  # lz4 legacy frame (Debian's amd64 kernels)
            return external("lz4", payload, "lz4"), "bzImage-lz4"
        if payload[:4] == b"\x28\xb5\x2f\xfd":
            return external("zstd", payload, "zstd"), "bzImage-zstd"
        inner, how = decompress(payload)
        if how != "raw":
            return inner, "bzImage-" + how
        raise Invalid("x86 bzImage with a payload this script cannot unpack")
    if buf[:2] == b"\x1f\x8b":
        return gzip.decompress(buf), "gzip"
    if buf[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(buf), "xz"
    if buf[:3] == b"BZh":
        return bz2.decompress(buf), "bzip2"
    if buf[:3] == b"\x5d\x00\x00":
        return lzma.decompress(buf, format=lzma.FORMAT_ALONE), "lzma"
    if buf[:2] == b"MZ" and buf[4:8] == b"zimg":  # EFI zboot (CONFIG_EFI_ZBOOT)
        poff, psize = struct.unpack_from("<II", buf, 8)
        comp = buf[24:32].split(b"\0")[0].decode("ascii", "replace")
        payload = buf[poff: poff + psize]
        if comp == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload), "zboot-gzip"
        if comp in ("lzma", "xzkern"):
            return lzma.decompress(payload), "zboot-" + comp
        raise Invalid("EFI zboot image compressed with %s: decompress it first" % comp)
    if buf[:4] == b"\x28\xb5\x2f\xfd":
        raise Invalid("zstd-compressed image: decompress it first (zstd -d)")
    return buf, "raw"


def find_btf(buf, arch):
    """(offset, length, info) of the one valid vmlinux BTF blob in an image."""
    good, errors = [], []
    needle = struct.pack("<HBBI", BTF_MAGIC, 1, 0, HDR_LEN)
    i = buf.find(needle)
    while i >= 0:
        try:
            total, info = parse_btf(buf, i)
            check_contents(info, arch)
            good.append((i, total, info))
        except Invalid as e:
            errors.append("at %#x: %s" % (i, e))
        i = buf.find(needle, i + 1)
    if not good:
        raise Invalid("no valid vmlinux BTF found in the image" + ("".join("\n  candidate " + e for e in errors)))
    if len(good) > 1:
        raise Invalid("%d valid BTF blobs in the image (at %s): ambiguous"
                      % (len(good), ", ".join("%#x" % g[0] for g in good)))
    return good[0]


def main(argv):
    arch, quiet, args = None, False, []
    it = iter(argv)
    for a in it:
        if a == "--arch":
            arch = next(it, None)
            if arch not in ARCH_PT_REGS:
                sys.exit("btf-from-image: --arch takes one of %s" % ", ".join(ARCH_PT_REGS))
        elif a == "--quiet":
            quiet = True
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            args.append(a)
    if len(args) != 2:
        sys.exit("usage: btf-from-image.py [--arch x86|arm64] [--quiet] INPUT OUTPUT")
    src, dst = args
    with open(src, "rb") as f:
        data = f.read()
    try:
        if data[:2] == struct.pack("<H", BTF_MAGIC):
            total, info = parse_btf(data)
            check_contents(info, arch)
            off, how = 0, "raw BTF"
        elif data[:4] == b"\x7fELF":
            sec = elf_btf(data)
            if sec is None:
                raise Invalid("not a little-endian 64-bit ELF file")
            o, sz = sec
            total, info = parse_btf(data, o)
            if total != sz:
                raise Invalid(".BTF section is %d bytes, its header says %d" % (sz, total))
            check_contents(info, arch)
            off, how = o, "ELF .BTF section"
        else:
            data, packing = decompress(data)
            off, total, info = find_btf(data, arch)
            how = "%s kernel image" % packing
    except Invalid as e:
        sys.exit("btf-from-image: %s: %s" % (src, e))
    blob = data[off: off + total]
    with open(dst, "wb") as f:
        f.write(blob)
    if not quiet:
        top = ", ".join("%s %d" % kv for kv in sorted(info["kinds"].items(), key=lambda kv: -kv[1])[:5])
        print("btf-from-image: %s: %s, BTF at offset %#x, %d bytes, %d types (%s...), arch %s, sha256 %s"
              % (src, how, off, total, info["types"], top, info["arch"], hashlib.sha256(blob).hexdigest()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
