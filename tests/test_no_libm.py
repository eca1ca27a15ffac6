"""The compiled kernels take no elementary function from the C library.

glibc (and macOS's, Windows's and musl's libm) choose an exp, log or pow per
CPU, and their last bits differ; fastgd's own (src/elementary.h) are the same
everywhere.  This test reads the undefined dynamic symbols of both kernel
builds, which is what ``nm -D --undefined-only`` prints, from the ELF file
itself (no binutils needed).
"""
import importlib.util
import re
import struct
import sys

import pytest

#: Functions whose results vary by CPU or C library (and their float and long
#: double variants, and glibc's internal ``__exp_finite`` style names).
FORBIDDEN = re.compile(
    r"^_*(exp|expm1|exp2|exp10|log|log1p|log2|log10|pow|cos|sin|tan|sincos|acos|asin|atan|atan2"
    r"|cosh|sinh|tanh|cbrt|hypot|erf|erfc|lgamma|tgamma)[fl]?(_finite)?$")

KERNEL_MODULES = ["fastgd._kernels", "fastgd._kernels_avx2"]


def undefined_dynamic_symbols(path):
    """Names of the undefined symbols in an ELF shared object's .dynsym."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    wide, endian = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide:
        (shoff,) = struct.unpack_from(endian + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(endian + "HH", data, 0x3A)
        section, symbol = endian + "IIQQQQIIQQ", endian + "IBBHQQ"
    else:
        (shoff,) = struct.unpack_from(endian + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(endian + "HH", data, 0x2E)
        section, symbol = endian + "IIIIIIIIII", endian + "IIIBBH"
    sections = [struct.unpack_from(section, data, shoff + k * shentsize) for k in range(shnum)]
    SHT_DYNSYM = 11
    names = []
    for sh in sections:
        if sh[1] != SHT_DYNSYM:
            continue
        offset, size, link, entsize = sh[4], sh[5], sh[6], sh[9]
        strtab = sections[link][4]
        for k in range(1, size // entsize):
            fields = struct.unpack_from(symbol, data, offset + k * entsize)
            name_offset = fields[0]
            shndx = fields[3] if wide else fields[5]
            if shndx == 0:  # SHN_UNDEF: taken from another library
                end = data.index(b"\0", strtab + name_offset)
                names.append(data[strtab + name_offset:end].decode())
    return names


def built_kernels():
    paths = []
    for name in KERNEL_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            paths.append(spec.origin)
    return paths


def test_the_elf_reader_finds_what_a_module_imports():
    """The reader is not blind: the kernels do import from Python and libc."""
    if not sys.platform.startswith("linux"):
        pytest.skip("ELF shared objects are Linux's; see test below for the list")
    names = undefined_dynamic_symbols(built_kernels()[0])
    assert "PyErr_CheckSignals" in names or any(n.startswith("Py") for n in names)
    assert "memcpy" in names or "memset" in names


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="reads ELF; macOS and Windows wheels are built from the same source")
def test_no_kernel_build_imports_an_elementary_function_from_the_c_library():
    paths = built_kernels()
    assert paths, "no compiled kernels found"
    if sys.maxsize > 2 ** 32 and importlib.util.find_spec("fastgd._kernels_avx2") is None:
        import platform

        assert platform.machine().lower() not in ("x86_64", "amd64"), \
            "the AVX2 build is missing on x86-64"
    for path in paths:
        imported = [name for name in undefined_dynamic_symbols(path) if FORBIDDEN.match(name)]
        assert imported == [], f"{path} imports {imported} from the C library"


def test_the_forbidden_pattern_matches_what_it_should():
    for name in ("exp", "expf", "log1p", "pow", "__pow_finite", "cos", "sinl", "expm1"):
        assert FORBIDDEN.match(name), name
    for name in ("sqrt", "memcpy", "fabs", "PyExc_ValueError", "exponent", "cosine"):
        assert not FORBIDDEN.match(name), name
