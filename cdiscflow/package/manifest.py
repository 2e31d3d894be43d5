"""The manifest is a promise: every file a run published in OUT is listed in OUT's
``manifest.json`` with its SHA-256, and nothing else is there. ``check-package`` verifies the
whole folder against it (each mismatch named); ``validate`` warns when the datasets it reads sit
below a manifest that does not match them.

Only regular files are opened (a FIFO named like a dataset would wait forever for a writer).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

from cdiscflow.package.check import Finding
from cdiscflow.publish import MANIFEST, sha256

ALL_MATCH, ONE_MATCHES = "files match manifest.json", "file matches manifest.json"
RUN_REPORT = "report/run.json"
# how far above a validated folder a manifest may be (OUT/m5/datasets/<study>/tabulations/sdtm)
_MAX_LEVELS = 6


def _listed(manifest: Path) -> dict[str, str] | str:
    """The outputs a manifest lists (path -> SHA-256), or why it cannot be read."""
    try:
        outputs = json.loads(manifest.read_text(encoding="utf-8"))["outputs"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"not a cdiscflow manifest ({type(exc).__name__}: {exc})"
    if not isinstance(outputs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in outputs.items()):
        return "not a cdiscflow manifest (outputs is not a map of file to SHA-256)"
    return outputs


def _present(out: Path) -> dict[str, Path]:
    return {p.relative_to(out).as_posix(): p for p in sorted(out.rglob("*"))
            if not p.is_dir() or p.is_symlink()}


def _mismatch(name: str, path: Path | None, expected: str | None) -> str | None:
    """Why one file does not keep the manifest's promise, or None when it does."""
    if path is None:
        return "listed in manifest.json but missing"
    if expected is None:
        return "not listed in manifest.json: not written by the run"
    mode = path.lstat().st_mode
    if not stat.S_ISREG(mode):
        return "not a regular file (listed in manifest.json as one)"
    actual = sha256(path)
    if actual != expected:
        return f"SHA-256 {actual[:16]}... differs from manifest.json's {expected[:16]}..."
    return None


def verify_manifest(out: Path) -> list[Finding]:
    """check-package: every file of ``out`` against its manifest, each mismatch a finding."""
    manifest = out / MANIFEST
    if not manifest.is_file():
        # another tool's package has nothing to check against; one cdiscflow wrote (its run
        # report is there) has lost its manifest
        if not (out / RUN_REPORT).is_file():
            return []
        return [Finding("manifest.json present", str(out), False,
                        f"missing, though {RUN_REPORT} says cdiscflow wrote this folder")]
    listed = _listed(manifest)
    if isinstance(listed, str):
        return [Finding(ALL_MATCH, str(manifest), False, listed)]
    present = _present(out)
    present.pop(MANIFEST, None)
    findings = []
    for name in sorted(set(listed) | set(present)):
        why = _mismatch(name, present.get(name), listed.get(name))
        if why is not None:
            findings.append(Finding(ONE_MATCHES, str(out / name), False, why))
    if not findings:
        findings.append(Finding(ALL_MATCH, str(out), True,
                                f"{len(listed)} files, SHA-256 each"))
    return findings


def manifest_warnings(folder: Path) -> list[str]:
    """validate: how the .xpt files of ``folder`` differ from a manifest above them that lists
    that folder's files (none when there is no such manifest)."""
    folder = Path(folder).resolve()
    for root in [folder, *folder.parents][:_MAX_LEVELS + 1]:
        manifest = root / MANIFEST
        if not manifest.is_file():
            continue
        listed = _listed(manifest)
        if isinstance(listed, str):
            return [f"{manifest}: {listed}"]
        prefix = "" if root == folder else folder.relative_to(root).as_posix() + "/"
        here = {k: v for k, v in listed.items() if k.startswith(prefix)
                and "/" not in k[len(prefix):] and k.lower().endswith(".xpt")}
        if not here:
            continue  # a manifest of something else
        files = {f"{prefix}{p.name}": p for p in sorted(folder.iterdir())
                 if p.suffix.lower() == ".xpt"}
        warnings = []
        for name in sorted(set(here) | set(files)):
            why = _mismatch(name, files.get(name), here.get(name))
            if why is not None:
                warnings.append(f"{root / name}: {why} ({manifest})")
        return warnings
    return []
