"""Publishing a run's output: everything is written to a staging folder first, then each
top-level folder of it replaces the previous one by a rename, so an interrupted run leaves the
previous good output in place. A manifest records the SHA-256 of every output file and of every
input (raw file and spec file) that produced it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from cdiscflow.atomic import write_text_atomic
from cdiscflow.errors import CdiscflowError

MANIFEST = "manifest.json"


def staging_dir(out: Path) -> Path:
    """A fresh folder beside ``out`` (same file system, so publishing is a rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def write_manifest(staging: Path, inputs: dict[str, dict[str, Path]]) -> dict[str, Any]:
    """``inputs``: per group (``raw``, ``spec``), each file's name as reported and its path."""
    manifest = {
        "outputs": {p.relative_to(staging).as_posix(): sha256(p) for p in _files(staging)},
        "inputs": {group: {name: sha256(path) for name, path in sorted(files.items())}
                   for group, files in inputs.items()},
    }
    write_text_atomic(staging / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return manifest


def publish(staging: Path, out: Path) -> None:
    """Move each top-level entry of ``staging`` into ``out``, replacing what was there."""
    out = Path(out)
    if out.is_symlink():
        raise CdiscflowError(f"{out}: the output folder is a symbolic link; refusing to write "
                             f"through it")
    out.mkdir(parents=True, exist_ok=True)
    for entry in sorted(staging.iterdir()):
        target = out / entry.name
        if target.is_symlink():
            raise CdiscflowError(f"{target}: is a symbolic link; refusing to replace it")
        if target.exists():
            old = out / f".{entry.name}.old-{os.getpid()}"
            os.replace(target, old)
            os.replace(entry, target)
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
        else:
            os.replace(entry, target)
    staging.rmdir()


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
