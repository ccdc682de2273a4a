"""Builds the C99 codec and its unit tests with gcc (warnings as errors, ASan + UBSan) and runs them
against the shared vectors, as the firmware will compile it, plus a C++ build of the header."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
C_DIR = ROOT / "firmware_bridge" / "c"
VECTORS_TXT = ROOT / "firmware_bridge" / "vectors" / "vectors.txt"
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Wconversion", "-Wshadow"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1"]

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)


def test_c_unit_tests_pass_under_sanitizers(tmp_path: Path) -> None:
    exe = tmp_path / "test_codec"
    build = _run(["gcc", *STRICT, *SANITIZE, f"-I{C_DIR}", str(C_DIR / "edgehar_codec.c"),
                  str(C_DIR / "tests" / "test_codec.c"), "-o", str(exe)])
    assert build.returncode == 0, build.stderr
    result = _run([str(exe), str(VECTORS_TXT)])
    assert result.returncode == 0, result.stdout + result.stderr
    checks = int(result.stdout.split()[0])
    assert checks > 1000 and " 0 failures" in result.stdout


def test_c_tests_fail_on_a_wrong_vector(tmp_path: Path) -> None:
    """The C harness really compares: one flipped expected byte makes it fail."""
    exe = tmp_path / "test_codec"
    build = _run(["gcc", "-std=c99", f"-I{C_DIR}", str(C_DIR / "edgehar_codec.c"),
                  str(C_DIR / "tests" / "test_codec.c"), "-o", str(exe)])
    assert build.returncode == 0, build.stderr
    lines = VECTORS_TXT.read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("data "))
    tokens = lines[i].split(" ")
    tokens[2] = tokens[2][:-2] + ("00" if tokens[2][-2:] != "00" else "01")  # last sample byte
    lines[i] = " ".join(tokens)
    broken = tmp_path / "vectors.txt"
    broken.write_text("\n".join(lines) + "\n")
    result = _run([str(exe), str(broken)])
    assert result.returncode == 1 and "FAIL" in result.stderr


def test_codec_builds_for_a_microcontroller_profile(tmp_path: Path) -> None:
    """No libc beyond string.h, no floating-point math library, C++ callers (Arduino) link it."""
    obj = tmp_path / "codec.o"
    build = _run(["gcc", *STRICT, "-ffreestanding", "-Os", "-c", str(C_DIR / "edgehar_codec.c"), "-o", str(obj)])
    assert build.returncode == 0, build.stderr
    symbols = _run(["nm", "-u", str(obj)]).stdout.split()
    undefined = {s for s in symbols if s not in ("U",)}
    assert undefined <= {"memcpy", "memset", "strlen"}, undefined
    if shutil.which("g++"):
        cpp = tmp_path / "use.cpp"
        cpp.write_text('#include "edgehar_codec.h"\nint main() { unsigned char b[8];'
                       " return edgehar_encode_control(b, sizeof b, 1, 0) == 3 ? 0 : 1; }\n")
        link = _run(["g++", "-Wall", "-Werror", f"-I{C_DIR}", str(cpp), str(obj), "-o", str(tmp_path / "use")])
        assert link.returncode == 0, link.stderr
        assert _run([str(tmp_path / "use")]).returncode == 0
