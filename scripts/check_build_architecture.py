"""Fail when `sam build` packed a native extension for the wrong CPU.

Lambda runs the functions on arm64; without the layer's BuildArchitecture,
`sam build` silently packs x86-64 wheels (pydantic_core) that fail there.
Reads each .so file's ELF header (e_machine) instead of relying on `file`.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

EM_AARCH64 = 0xB7
MACHINES = {0x3E: "x86-64", 0xB7: "aarch64", 0x03: "x86"}


def machine(path: Path) -> int | None:
    header = path.read_bytes()[:20]
    if header[:4] != b"\x7fELF":
        return None
    byte_order = "<" if header[5] == 1 else ">"
    return struct.unpack(f"{byte_order}H", header[18:20])[0]


def main(build_dir: str) -> int:
    shared_objects = sorted(Path(build_dir).rglob("*.so"))
    wrong = [(path, machine(path)) for path in shared_objects if machine(path) != EM_AARCH64]
    for path, found in wrong:
        print(f"wrong architecture: {path} is {MACHINES.get(found, found)}, Lambda needs aarch64")
    if not shared_objects:
        print(f"no native extensions found under {build_dir}: did sam build run?")
        return 1
    print(f"{len(shared_objects)} native extensions under {build_dir}: all aarch64" if not wrong else "")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build"))
