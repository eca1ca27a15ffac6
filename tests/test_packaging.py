"""Packaging: one version number, and (under .ci/wheel) the installed wheel is what runs.

``.ci/wheel`` installs the repaired wheel in fresh virtual environments and runs
this suite from a directory outside the checkout with
``FASTGD_EXPECT_INSTALLED=1``; the tests marked below then check that the
``fastgd`` imported, here and in child processes, is the installed package
and not the source tree.
"""
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import fastgd
import fastgd._native

CHECKOUT = Path(__file__).resolve().parents[1]
PACKAGE = Path(fastgd.__file__).resolve().parent
EXPECT_INSTALLED = os.environ.get("FASTGD_EXPECT_INSTALLED", "") not in ("", "0")
installed_only = pytest.mark.skipif(
    not EXPECT_INSTALLED, reason="checks an installed wheel: set FASTGD_EXPECT_INSTALLED=1 "
                                 "(as .ci/wheel does)")


def run_python(code, cwd, **env):
    """``python -c code`` in a fresh process run from ``cwd`` (outside the checkout)."""
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


def installed_version():
    try:
        return importlib.metadata.version("fastgd")
    except importlib.metadata.PackageNotFoundError:
        if EXPECT_INSTALLED:
            raise
        pytest.skip("fastgd is not installed (a source tree on sys.path)")


def fastgd_script():
    """The installed ``fastgd`` console script, or None."""
    scripts = sysconfig.get_path("scripts")
    return shutil.which("fastgd", path=scripts) if scripts else None


def test_version_is_the_installed_metadata_version():
    assert fastgd.__version__ == installed_version()


def test_version_option_shows_the_version(tmp_path):
    expected = f"fastgd {installed_version()}"
    proc = subprocess.run([sys.executable, "-m", "fastgd", "--version"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected
    script = fastgd_script()
    if script is None:
        assert not EXPECT_INSTALLED, "the wheel installed no `fastgd` script"
        pytest.skip("no installed `fastgd` script next to this Python")
    proc = subprocess.run([script, "--version"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


def _site_packages():
    return {Path(sysconfig.get_path(name)).resolve() for name in ("purelib", "platlib")}


@installed_only
def test_the_installed_package_is_the_one_tested(tmp_path):
    assert PACKAGE.parent in _site_packages(), PACKAGE
    assert not PACKAGE.is_relative_to(CHECKOUT), PACKAGE
    kernels = Path(fastgd._native.kernels.__file__).resolve()
    assert kernels.parent == PACKAGE, kernels
    # child processes (the CLI tests, the interrupt tests, ...) import the same files
    proc = run_python("import fastgd, fastgd._native as n; print(fastgd.__file__); "
                      "print(n.kernels.__file__)", tmp_path)
    assert proc.returncode == 0, proc.stderr
    child_init, child_kernels = (Path(line).resolve() for line in proc.stdout.split())
    assert child_init == Path(fastgd.__file__).resolve()
    assert child_kernels == kernels


@installed_only
def test_the_installed_wheel_has_no_build_time_files():
    assert not list(PACKAGE.glob("*.pyx")) and not list(PACKAGE.glob("*.c"))
    files = importlib.metadata.distribution("fastgd").files
    names = {Path(str(f)).name for f in files}
    assert any(name.startswith("_kernels.") for name in names), sorted(names)
    assert not any(name.endswith((".pyx", ".c")) for name in names), sorted(names)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/maps is Linux's")
def test_a_bundled_openmp_runtime_is_the_one_loaded(tmp_path):
    """auditwheel copies libgomp into fastgd.libs/ under a name of its own; the
    kernels must load that copy (and so the GOMP_SPINCOUNT that fastgd._native sets
    around their import reaches it: see tests/test_kernels.py)."""
    bundled = PACKAGE.parent / "fastgd.libs"
    if not bundled.is_dir():
        pytest.skip("no fastgd.libs/: not a wheel repaired by auditwheel")
    code = ("import fastgd\n"
            "paths = {line.split()[-1] for line in open('/proc/self/maps') if 'libgomp' in line}\n"
            "print('\\n'.join(sorted(paths)))")
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    loaded = [Path(line).resolve() for line in proc.stdout.split()]
    if not fastgd._native.kernels.OPENMP:
        pytest.skip("kernels built without OpenMP")
    assert loaded, "no libgomp loaded by kernels built with OpenMP"
    assert all(path.parent == bundled.resolve() for path in loaded), loaded

