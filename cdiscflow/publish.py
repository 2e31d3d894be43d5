"""Publishing a run's output: everything is written to a staging folder first, then the whole
folder replaces the previous output in one step (cdiscflow.outswap), so an interrupted run
leaves the previous good output in place. A manifest records the SHA-256 of every output file
and of every input (raw file and spec file) that produced it."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

from cdiscflow.atomic import write_text_atomic
from cdiscflow.errors import CdiscflowError
from cdiscflow.outswap import staging_path, swap_in

MANIFEST = "manifest.json"
# what the folder-by-folder publishing of earlier versions could leave inside OUT
_LEGACY_OLD = re.compile(r"(^|/)\.[^/]+\.old-\d+(/|$)")


def staging_dir(out: Path) -> Path:
    """A fresh folder beside ``out`` (same file system, so publishing is a rename)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_path(out)
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
    """Make ``staging`` the output folder ``out`` in one step (cdiscflow.outswap); call with
    the output lock held."""
    out = Path(out)
    if out.is_symlink():
        raise CdiscflowError(f"{out}: the output folder is a symbolic link; refusing to write "
                             f"through it")
    if out.exists() and not out.is_dir():
        raise CdiscflowError(f"{out}: is not a folder; refusing to replace it")
    check_replaceable(out)
    swap_in(staging, out)


def check_replaceable(out: Path) -> None:
    """Refuse to replace anything in ``out`` that no earlier run wrote: the package replaces
    the whole folder, so every file in it must be listed in the previous run's manifest (a
    user's own file there is never deleted by a run)."""
    if not out.is_dir():
        return
    previous = out / MANIFEST
    try:
        known = set(json.loads(previous.read_text(encoding="utf-8"))["outputs"])
    except FileNotFoundError:
        known = set()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CdiscflowError(f"{previous}: not a cdiscflow manifest ({exc}); refusing to "
                             f"replace the output in {out}") from None
    known.add(MANIFEST)
    entries = sorted(out.rglob("*"))
    for p in entries:
        if p.is_symlink():
            raise CdiscflowError(f"{p}: is a symbolic link; refusing to replace it")
    foreign = [p.relative_to(out).as_posix() for p in entries if not p.is_dir()]
    foreign = [name for name in foreign if name not in known and not _LEGACY_OLD.search(name)]
    if foreign:
        listed = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                           if len(foreign) > 3 else "")
        raise CdiscflowError(f"{out}: {listed} was not written by a cdiscflow run (not in "
                             f"{MANIFEST}); a run replaces the output folder whole, so it "
                             f"refuses to: move the file(s) or choose another --out")


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
