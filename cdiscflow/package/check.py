"""``cdiscflow check-package OUT``: the technical rejection checks a regulator's gateway runs
on study data before anyone looks at it (FDA Study Data Technical Rejection Criteria), plus
the define.xml checks of ``cdiscflow.define.xml``.

For every SDTM folder: DM and TS present, TS has the study start date (SSTDTC), define.xml
present and sound. For every ADaM folder: ADSL and define.xml. For every XPT file: SAS
transport version 5 (not v8), file name lower case and equal to the dataset (member) name,
at most the agency's 5 GB, and described by a leaf of the folder's define.xml. Every file of
OUT against its manifest.json (cdiscflow.package.manifest).
Exit 0 when everything passes, 1 when anything fails (each failure is listed), 2 when the
package cannot be read (a dataset that is a folder or a FIFO: only regular files are opened).
"""

from __future__ import annotations

import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pandas as pd
from lxml import etree

from cdiscflow.datasets_folder import dataset_files, group_parts
from cdiscflow.define.xml import DEF_NS, XLINK_NS, check_define
from cdiscflow.errors import CdiscflowError
from cdiscflow.spec import FDA_MAX_XPT_BYTES
from cdiscflow.xpt import read_xpt

EXIT_FAILED = 1
_V5_LIBRARY = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000"
_V8_LIBRARY = b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!"


@dataclass(frozen=True)
class Finding:
    check: str
    where: str
    ok: bool
    detail: str = ""

    def __str__(self) -> str:
        status = "ok  " if self.ok else "FAIL"
        return f"{status} {self.check}: {self.where}" + (f" ({self.detail})" if self.detail else "")


def dataset_folders(out: Path) -> list[tuple[str, Path]]:
    """(kind, folder) of every SDTM ("sdtm") and ADaM ("adam") folder below ``out``, in either
    layout."""
    found = []
    study_dirs = sorted((out / "m5" / "datasets").glob("*")) if (out / "m5").is_dir() else []
    for study in study_dirs:
        for kind, sub in (("sdtm", Path("tabulations/sdtm")),
                          ("adam", Path("analysis/adam/datasets"))):
            if (study / sub).is_dir():
                found.append((kind, study / sub))
    for kind in ("sdtm", "adam"):
        if (out / kind).is_dir():
            found.append((kind, out / kind))
    return found


def _xpt_version(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(80)
    if head == _V5_LIBRARY + b"  ":
        return "5"
    if head.startswith(_V8_LIBRARY):
        return "8"
    return None


def _members(folder: Path) -> dict[str, str]:
    """file name -> member (dataset) name of every .xpt that can be read (whole: a file
    damaged past its header is not readable)."""
    names = {}
    for path in dataset_files(folder, ("xpt",)):
        try:
            _, meta = read_xpt(path)
        except Exception:  # noqa: BLE001 - any reader failure is the finding itself
            continue
        names[path.name] = str(meta["dataset"]).upper()
    return names


def _has_dataset(members: dict[str, str], name: str) -> bool:
    # the folder reader's grouping: a split dataset is there when its parts are
    groups = group_parts({Path(f): m for f, m in members.items()})
    return name in groups


def _ts_has_sstdtc(folder: Path, members: dict[str, str]) -> bool:
    files = group_parts({Path(f): m for f, m in members.items()}).get("TS", [])
    if not files:
        return False
    # the TS dataset whole, its parts joined, as every stage reads it
    frames = [read_xpt(folder / f)[0] for f in files]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if {"TSPARMCD", "TSVAL"} <= set(frame.columns):
        rows = frame[frame["TSPARMCD"] == "SSTDTC"]
        nf = rows.get("TSVALNF", "")
        if ((rows["TSVAL"].str.strip() != "") | (nf != "")).any():
            return True
    return False


def _leaves(define: Path) -> set[str]:
    try:
        tree = etree.parse(str(define), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return set()
    leaves = tree.getroot().iter(f"{{{DEF_NS}}}leaf")
    return {leaf.get(f"{{{XLINK_NS}}}href", "") for leaf in leaves}


def regular_files_only(folder: Path) -> None:
    """A dataset or define.xml that is a folder, a FIFO or a device is not a package file:
    opening a FIFO would wait forever for a writer, so nothing else is opened."""
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".xpt" and path.name != "define.xml":
            continue
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise CdiscflowError(f"{path}: cannot be read ({exc.strerror})") from None
        if not stat.S_ISREG(mode):
            kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)"
                    if stat.S_ISFIFO(mode) else "not a regular file")
            raise CdiscflowError(f"{path}: is {kind}, not a file; a package holds regular "
                                 f"files only")


def check_folder(kind: str, folder: Path, max_bytes: int = FDA_MAX_XPT_BYTES) -> list[Finding]:
    where = str(folder)
    findings: list[Finding] = []
    regular_files_only(folder)
    members = _members(folder)
    required = ("DM", "TS") if kind == "sdtm" else ("ADSL",)
    for name in required:
        findings.append(Finding(f"{name} present", where, _has_dataset(members, name),
                                "" if _has_dataset(members, name) else
                                f"no {name.lower()}.xpt"))
    if kind == "sdtm" and _has_dataset(members, "TS"):
        ok = _ts_has_sstdtc(folder, members)
        findings.append(Finding("TS has SSTDTC", where, ok,
                                "" if ok else "no TSPARMCD SSTDTC with a value"))
    define = folder / "define.xml"
    findings.append(Finding("define.xml present", where, define.is_file()))
    leaves: set[str] = set()
    if define.is_file():
        problems = check_define(define)
        findings.append(Finding("define.xml sound", str(define), not problems,
                                "; ".join(str(p) for p in problems[:5])))
        leaves = _leaves(define)
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xpt"):
        version = _xpt_version(path)
        findings.append(Finding("XPT version 5", str(path), version == "5",
                                "" if version == "5" else
                                f"SAS transport version {version or 'unknown'}"))
        member = members.get(path.name)
        if member is None:
            findings.append(Finding("readable", str(path), False, "not a readable XPT file"))
            continue
        name_ok = path.name == path.name.lower() and path.stem == member.lower()
        # (a split part lb1.xpt holds member LB1, so parts pass this check too)
        findings.append(Finding("file name lower case = dataset name", str(path), name_ok,
                                "" if name_ok else f"dataset inside is {member}"))
        size = path.stat().st_size
        findings.append(Finding("file size", str(path), size <= max_bytes,
                                "" if size <= max_bytes else f"{size} > {max_bytes} bytes"))
        if define.is_file():
            findings.append(Finding("described in define.xml", str(path), path.name in leaves))
    return findings


def check_package(out: Path) -> list[Finding]:
    folders = dataset_folders(out)
    if not folders:
        return [Finding("datasets present", str(out), False,
                        "no m5/datasets/<study>/tabulations/sdtm, analysis/adam/datasets, "
                        "sdtm or adam folder")]
    # (imported here: the manifest module builds on this one's Finding)
    from cdiscflow.package.manifest import verify_manifest

    return ([f for kind, folder in folders for f in check_folder(kind, folder)]
            + verify_manifest(out))


@click.command("check-package")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--quiet", is_flag=True, help="List failures only.")
def check_package_command(out: Path, quiet: bool) -> None:
    """Run the regulator's technical rejection checks on a package (exit 1 on any failure)."""
    findings = check_package(out)
    failed = [f for f in findings if not f.ok]
    for f in findings:
        if not (quiet and f.ok):
            click.echo(str(f))
    click.echo(f"{len(findings) - len(failed)} checks passed, {len(failed)} failed")
    if failed:
        sys.exit(EXIT_FAILED)
