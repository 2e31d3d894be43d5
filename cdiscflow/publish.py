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
    _check_replaceable(staging, out)
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


def _check_replaceable(staging: Path, out: Path) -> None:
    """Refuse to replace anything in ``out`` that no earlier run wrote: every file below a
    folder or file about to be replaced must be listed in the previous run's manifest (a
    user's own file there is never deleted by a run)."""
    previous = out / MANIFEST
    try:
        known = set(json.loads(previous.read_text(encoding="utf-8"))["outputs"])
    except FileNotFoundError:
        known = set()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CdiscflowError(f"{previous}: not a cdiscflow manifest ({exc}); refusing to "
                             f"replace the output in {out}") from None
    known.add(MANIFEST)
    for entry in sorted(staging.iterdir()):
        target = out / entry.name
        if target.is_symlink() or not target.exists():
            continue
        files = [target] if not target.is_dir() else sorted(
            p for p in target.rglob("*") if not p.is_dir())
        foreign = [p.relative_to(out).as_posix() for p in files
                   if p.relative_to(out).as_posix() not in known]
        if foreign:
            listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                               if len(foreign) > 3 else "")
            raise CdiscflowError(f"{out}: {listed} was not written by a cdiscflow run (not in "
                                 f"{MANIFEST}); a run replaces {target.name}/ whole, so it "
                                 f"refuses to: move the file(s) or choose another --out")


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
