"""The folders a study may touch, and nothing else (README, "Which paths a spec may touch").

A study's files are untrusted input: somebody else's mapping files must not make a run read or
write anywhere the person running it did not choose. So:

* the study id names a folder of the package (``m5/datasets/<studyid>``): it must be a plain
  file name, never a path (checked with the study file, ``spec.StudyInfo``);
* raw data is read only from the raw folder: the one ``--raw`` names (the person running the
  command chose it), or the study file's ``raw.dir``, a relative path that must resolve inside
  the study folder or the folder the command runs from; each raw file must resolve inside that
  raw folder after symbolic links are followed;
* the output folder may not be or hold the study or raw folder, lie inside the raw folder or
  hold a spec file, so a run can never replace its own inputs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path, PurePath

from cdiscflow.errors import SpecError
from cdiscflow.spec import LoadedStudy


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def raw_folder(study: LoadedStudy, raw_dir: Path | None) -> Path:
    """The folder raw files are read from, resolved (symbolic links followed).

    ``raw_dir`` (``--raw``) is the caller's choice and taken as given; the study file's
    ``raw.dir`` must be relative and resolve inside the study folder or the working folder.
    Raises SpecError naming the study file's line otherwise.
    """
    if raw_dir is not None:
        return Path(raw_dir).resolve()
    declared = study.spec.raw.dir
    line = study.line("raw", "dir")
    pure = PurePath(declared)
    if pure.is_absolute() or declared.startswith("~") or re.match(r"^[A-Za-z]:", declared):
        raise SpecError(f"raw.dir {declared!r} must be a path relative to the study folder "
                        f"(name any other folder with --raw)", file=str(study.file), line=line)
    folder = (study.dir / declared).resolve()
    allowed = (study.dir.resolve(), Path.cwd().resolve())
    if not any(_inside(folder, a) for a in allowed):
        raise SpecError(f"raw.dir {declared!r} resolves to {folder}, outside the study folder "
                        f"and the working folder; a study file may not read from there (name "
                        f"the folder with --raw to read it)", file=str(study.file), line=line)
    return folder


def raw_file(folder: Path, study: LoadedStudy, form: str) -> Path:
    """The path of a form's raw file, which must resolve inside ``folder`` (after symbolic
    links): a link to a file elsewhere is a spec error, not a way out of the raw folder."""
    name = study.spec.raw.forms[form].file
    path = folder / name
    real = path.resolve()
    if not _inside(real, folder):
        raise SpecError(f"raw form {form!r}: file {name!r} resolves to {real}, outside the raw "
                        f"folder {folder} (a symbolic link out of it is not followed)",
                        file=str(study.file), line=study.line("raw", "forms", form, "file"))
    return path


def check_out_dir(out_dir: Path, study: LoadedStudy, raw: Path,
                  inputs: Sequence[Path] = ()) -> None:
    """Refuse an output folder that would overwrite the run's own inputs: one that is or holds
    the study or raw folder, lies inside the raw folder, or holds any of ``inputs`` (the spec
    files, e.g. ``--out study/adam``). A folder of its own inside the study folder is fine."""
    out = Path(out_dir).resolve()
    for what, folder in (("study", study.dir.resolve()), ("raw", raw)):
        if _inside(folder, out):
            raise SpecError(f"the output folder {out} is or holds the {what} folder {folder}; "
                            f"write the output elsewhere (--out)")
    if _inside(out, raw):
        raise SpecError(f"the output folder {out} lies inside the raw folder {raw}; write the "
                        f"output elsewhere (--out)")
    for path in inputs:
        if _inside(path.resolve(), out):
            raise SpecError(f"the output folder {out} holds the input file {path}; write the "
                            f"output elsewhere (--out)")
