#!/usr/bin/env python3
"""CPython's own answer to "which line is the instruction at byte offset N on",
for real code objects, as a fixture for tests/unit/test_py_linetable.c.

Run by the interpreter under test (3.8 .. 3.13), it compiles a few stdlib
modules and a synthetic source built to reach the line tables' corners
(long functions, instructions of more than 255 bytes on one line, line
jumps over 64, 127, 4096 and 262144 lines, backward jumps, lines past
16384, comprehensions, try/except/finally, with, match), walks every nested
code object and writes, per code object, the raw table vigil reads from the
process (co_lnotab before 3.10, co_linetable after), co_firstlineno, and
two answers per offset from the interpreter itself:

  LINES      co_lines() (3.10+) or dis.findlinestarts() (3.8, 3.9), for
             every byte offset of co_code and 8 past its end
  ADDR2LINE  the C function PyCode_Addr2Line (through ctypes), for every
             byte offset of co_code (3.8, 3.9: and 8 past its end)

0 stands for "no line" (None, -1).  Output (stdout, or the path given):

  VERSION <x.y.z> KIND <1|2|3>
  CODE <qualname> <firstlineno> <len(co_code)> <table as hex, or ->
  LINES <n> <line> ...
  ADDR2LINE <n> <line> ...
  END <code objects>
"""
import ctypes
import dis
import importlib.util
import sys

MODULES = ("json.decoder", "queue", "threading")
PAST_END = 8  # offsets checked past the end of co_code


def kind_of(version):
    """The decoder kind vigil uses for this interpreter (py_linetable.h)."""
    if (3, 8) <= version < (3, 10):
        return 1  # PY_LT_LNOTAB
    if version == (3, 10):
        return 2  # PY_LT_LINETABLE
    if (3, 11) <= version < (3, 14):
        return 3  # PY_LT_LOCATIONS
    return None


def synthetic_source():
    """A module whose code objects exercise every corner of the formats."""
    s = []
    add = s.append
    add("import os, sys\n\n\n")
    # one line of far more than 255 bytes of bytecode (3.8's address step)
    add("def one_long_line(a, b):\n")
    add("    return " + " + ".join("a * %d - b" % i for i in range(200)) + "\n\n")
    add("BIG = [" + ", ".join("(%d, 'x%d')" % (i, i) for i in range(300)) + "]\n")
    # a long function: many lines, many instructions
    add("def long_function(a):\n    t = 0\n")
    for i in range(700):
        add("    t += a * %d\n" % i if i % 7 else "    if t > %d:\n        t -= %d\n" % (i, i))
    add("    return t\n\n")
    # line gaps over every encoding boundary, forwards and (loops) backwards
    for gap in (63, 64, 65, 127, 128, 129, 255, 256, 4095, 4097, 70000):
        add("def gap_%d(a):\n    x = a\n" % gap)
        add("\n" * gap)
        add("    # after %d empty lines\n" % gap)
        add("    for i in range(a):\n        x += i\n")
        add("\n" * gap)
        add("        x -= 1\n    while x > a:\n        x -= 2\n")
        add("\n" * gap)
        add("        x //= 3\n    return x\n\n")
    # a statement split over many lines, the call's own line first
    add("def spread_call(f):\n    return f(\n")
    for i in range(150):
        add("        %d,\n" % i + "\n" * (i % 3))
    add("    )\n\n")
    # decorators run after the def's line: the line goes back
    add("def deco(f):\n    return f\n\n@deco\n\n\n@deco\ndef decorated():\n    pass\n\n")
    add("""
def comprehensions(xs):
    a = [x * 2 for x in xs
         if x % 3]
    b = {x: [y for y in range(x)
             if y]
         for x in xs}
    c = {x for x in xs}
    d = sum(x for x in xs
            if x)
    e = lambda q: (q,
                   q + 1)
    return a, b, c, d, e


def handlers(path):
    try:
        f = open(path)
    except FileNotFoundError as e:
        return str(e)
    except (OSError, ValueError):
        raise
    else:
        with f:
            data = f.read()
    finally:
        path = None
    try:
        return len(data)
    finally:
        del data


def generator(n):
    for i in range(n):
        try:
            yield i
        finally:
            n -= 1
    yield from range(n)


async def coroutine(aw):
    async with aw as a:
        async for x in a:
            await x
    return [y async for y in aw]


class Klass:
    attr = 1

    def method(self):
        return (self.attr
                if self.attr else
                None)

    @property
    def prop(self):
        "only a docstring"


def empty():
    pass


def nested(a):
    def inner(b):
        def innermost(c):
            return a + b + c
        return innermost
    return inner


def fstrings(a, b):
    return f'''{a}
{b!r:>{a}}
{a + b}'''
""")
    # far from the start of the file: lines past 16384 and 262144
    add("\n" * 300000)
    add("def far_away(a):\n    b = a\n    return a + b\n")
    return "".join(s)


MATCH_SOURCE = """
def matcher(v):
    match v:
        case [x, y, *rest]:
            return x
        case {"k": k,
              "j": j}:
            return k
        case int() | float() if v > 0:
            return 1
        case _:
            return None
"""


def sources(version):
    for name in MODULES:
        spec = importlib.util.find_spec(name)
        with open(spec.origin, encoding="utf-8") as f:
            yield name, spec.origin, f.read()
    yield "synthetic", "<synthetic>", synthetic_source()
    if version >= (3, 10):
        yield "match", "<match>", "\n" * 20000 + MATCH_SOURCE


def code_objects(co):
    yield co
    for c in co.co_consts:
        if isinstance(c, type(co)):
            yield from code_objects(c)


def table_of(co, kind):
    return co.co_lnotab if kind == 1 else co.co_linetable


def lines_by_offset(co, kind, n):
    """The documented Python-level answer for offsets 0 .. n-1."""
    out = [0] * n
    if kind == 1:
        # a line starts at each (offset, line); it lasts until the next one
        starts = sorted(dis.findlinestarts(co))
        for i, (start, line) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else n
            for off in range(start, min(end, n)):
                out[off] = line
        return out
    for start, end, line in co.co_lines():
        for off in range(max(start, 0), min(end, n)):
            out[off] = line if line is not None else 0
    return out


def main():
    version = sys.version_info[:2]
    kind = kind_of(version)
    if kind is None:
        sys.exit("py_lines_truth.py: Python %d.%d has no line-table kind in vigil" % version)
    addr2line = ctypes.pythonapi.PyCode_Addr2Line
    addr2line.argtypes = (ctypes.py_object, ctypes.c_int)
    addr2line.restype = ctypes.c_int
    out = open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout
    out.write("VERSION %s KIND %d\n" % (sys.version.split()[0], kind))
    count = 0
    for name, path, src in sources(version):
        for co in code_objects(compile(src, path, "exec")):
            n = len(co.co_code)
            tab = table_of(co, kind)
            qual = getattr(co, "co_qualname", co.co_name).replace(" ", "_")
            out.write("CODE %s:%s %d %d %s\n" % (name, qual, co.co_firstlineno, n, tab.hex() or "-"))
            lines = lines_by_offset(co, kind, n + PAST_END)
            out.write("LINES %d %s\n" % (len(lines), " ".join(map(str, lines))))
            # past the end the C function is only defined on the old format
            # (3.10+ asserts the offset is inside the code)
            m = n + PAST_END if kind == 1 else n
            a2l = [max(addr2line(co, off), 0) for off in range(m)]
            out.write("ADDR2LINE %d %s\n" % (m, " ".join(map(str, a2l))))
            count += 1
    out.write("END %d\n" % count)
    out.close()


if __name__ == "__main__":
    main()
