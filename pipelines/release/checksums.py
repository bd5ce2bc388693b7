"""SHA-256 of release files: written into datapackage.json and SHA256SUMS, checked when read back."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256sums(digests: Mapping[str, str]) -> bytes:
    """`sha256sum -c` format (file name -> hex SHA-256), sorted by name."""
    lines = [f"{digests[name]}  {name}\n" for name in sorted(digests)]
    return "".join(lines).encode("utf-8")
