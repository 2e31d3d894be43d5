"""``cdiscflow trace OUT USUBJID [DOMAIN.VARIABLE]``: where every value of a subject came from.

A run's lineage (``report/lineage/<domain>.csv``) names, record by record, the raw file and line
each SDTM record was built from. Trace joins that with the mapping files: for each value the
mapping file and line of the variable that made it, and the raw field(s) that variable reads,
with their collected values (read back from the raw file at that line).

The raw fields a variable reads are found generically: every name in its source (a field, a
date and time, a template, a derivation's parameters, an expression's text) that is a column of
the record being built. So a construct added to the mapping language later is traced without
changes here.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from cdiscflow.errors import CdiscflowError

# the keys of a variable's source whose text is data (values, labels, codelist names), never a
# column name: leaving them out keeps a coded value such as "Y" from passing for a field
_DATA_KEYS = {"values", "constant", "label", "qlabel", "qorig", "qeval", "codelist",
              "from_codelist", "format", "function", "table", "value", "no_match", "missing",
              "other", "blank", "equals", "not_equals", "in", "not_in", "type", "length",
              "split", "extract", "case"}
_DOMAIN_REF = re.compile(r"[A-Z]{2}\.[A-Z][A-Z0-9_]*")  # DM.RFSTDTC
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")


@dataclass
class RawValue:
    """One collected value a variable was made from."""

    file: str
    position: str  # "line 12" for CSV, "row 12" in a worksheet, "record 12" in SAS data
    field: str
    value: str


@dataclass
class ValueTrace:
    variable: str  # AETERM, or SUPPAE.AEINFRR for a supplemental qualifier
    value: str
    mapping_file: str | None  # None: set by cdiscflow itself (none in today's language)
    mapping_line: int | None
    source: str  # the source kind: field, ct, map, date, derive, ...
    raw: list[RawValue] = field(default_factory=list)
    uses: list[str] = field(default_factory=list)  # other variables or DOMAIN.VARIABLE refs


@dataclass
class RecordTrace:
    dataset: str
    record: int  # 1-based record number in the dataset as written
    raw_file: str
    raw_position: str
    values: list[ValueTrace]


def _text(value: Any) -> str:
    if value is None or value is _pd_na() or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pd_na() -> Any:
    import pandas as pd

    return pd.NA


def _names(node: Any) -> list[str]:
    """Every name-like word in the source part of a variable's spec, in order of appearance."""
    out: list[str] = []
    if isinstance(node, dict):
        for key, sub in node.items():
            if key not in _DATA_KEYS:
                out.extend(_names(sub))
    elif isinstance(node, list):
        for sub in node:
            out.extend(_names(sub))
    elif isinstance(node, str):
        out.extend(_NAME.findall(node))
    return list(dict.fromkeys(out))


@dataclass
class _Column:
    """Where a working column of a domain comes from."""

    form: str | None = None  # a raw form (the domain's source or a joined form)
    raw: str | None = None  # its raw field
    join_on: dict[str, str] | None = None  # joined form: left column -> right column
    stack: dict[str, str] | None = None  # stacked: group -> raw field
    ref: str | None = None  # joined from another domain: DOMAIN.VARIABLE


class _Forms:
    """Raw forms read once each, indexed by position, for the collected values."""

    def __init__(self, study: Any, raw_dir: Path) -> None:
        self.study = study
        self.raw_dir = raw_dir
        self._frames: dict[str, Any] = {}

    def frame(self, form: str) -> Any:
        if form not in self._frames:
            from cdiscflow.raw import SOURCE_ROW, read_form

            spec = self.study.spec.raw.forms[form]
            frame = read_form(self.raw_dir / spec.file, self.study.spec.raw.encoding_of(form),
                              fmt=spec.file_format, sheet=spec.sheet)
            self._frames[form] = frame.set_index(SOURCE_ROW, drop=False)
        return self._frames[form]

    def file(self, form: str) -> str:
        return self.study.spec.raw.forms[form].file

    def position(self, form: str, row: int) -> str:
        from cdiscflow.raw import position_word

        return f"{position_word(self.study.spec.raw.forms[form].file_format)} {row}"

    def form_of_file(self, file: str) -> str | None:
        for name, spec in self.study.spec.raw.forms.items():
            if file in (spec.file, Path(spec.file).name):
                return name
        return None


def _columns(ld: Any, forms: _Forms) -> dict[str, _Column]:
    """The working columns of a domain before its variables, each with its origin; a later
    step's column replaces an earlier one of the same name, as in the engine."""
    from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW

    source = ld.spec.source
    skip = {SOURCE_FILE, SOURCE_ROW}
    cols = {c: _Column(form=source, raw=c) for c in forms.frame(source).columns if c not in skip}
    for step in ld.spec.steps:
        if step.join is not None:
            j = step.join
            for c in j.columns:
                cols[c] = (_Column(form=j.form, raw=c, join_on=j.pairs) if j.form
                           else _Column(ref=f"{j.domain}.{c}"))
        elif step.stack is not None:
            s = step.stack
            cols[s.key] = _Column(stack={g: g for g in s.groups})
            for group, fields in s.groups.items():
                for new, raw in fields.items():
                    cols.setdefault(new, _Column(stack={}))
                    if cols[new].stack is None:
                        cols[new] = _Column(stack={})
                    cols[new].stack[group] = raw  # type: ignore[index]
    return cols


def _raw_values(name: str, col: _Column, forms: _Forms, ld: Any, row: int,
                group: str | None) -> list[RawValue]:
    """The collected value(s) behind working column ``name`` for the source record ``row``."""
    source = ld.spec.source
    record = forms.frame(source).loc[row]
    if col.stack is not None:
        raw = col.stack.get(group or "")
        if raw is None:  # the stack's key column: the group name itself, no raw value
            return []
        return [RawValue(forms.file(source), forms.position(source, row), raw,
                         _text(record.get(raw)))]
    if col.form == source and col.raw is not None:
        return [RawValue(forms.file(source), forms.position(source, row), col.raw,
                         _text(record.get(col.raw)))]
    if col.form is not None and col.join_on:
        other = forms.frame(col.form)
        if not set(col.join_on) <= set(record.index):
            return []
        match = other
        for left, right in col.join_on.items():
            match = match[match[right].fillna("") == _text(record.get(left))]
        raw = col.raw or name
        return [RawValue(forms.file(col.form), forms.position(col.form, int(r)), raw, _text(v))
                for r, v in zip(match.index, match[raw], strict=True)]
    return []


def _trace_value(ld: Any, var_name: str, shown: str, value: Any, cols: dict[str, _Column],
                 forms: _Forms, row: int, group: str | None) -> ValueTrace:
    var = ld.spec.variables.get(var_name)
    if var is None:
        return ValueTrace(shown, _text(value), None, None, "not in the mapping")
    spec = var.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    trace = ValueTrace(shown, _text(value), _shown_path(ld.file), ld.line("variables", var_name),
                       var.kind)
    for name in _names(spec):
        if name in cols:
            c = cols[name]
            if c.ref:
                trace.uses.append(f"{c.ref} (joined)")
            trace.raw.extend(_raw_values(name, c, forms, ld, row, group))
        elif (name in ld.spec.variables and name != var_name) or _DOMAIN_REF.fullmatch(name):
            trace.uses.append(name)
    return trace


def _shown_path(path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _parse_target(target: str | None) -> tuple[str | None, str | None]:
    if not target:
        return None, None
    domain, _, variable = target.upper().partition(".")
    if not re.fullmatch(r"[A-Z]{2}", domain) or (variable and not _NAME.fullmatch(variable)):
        raise CdiscflowError(f"{target!r}: expected DOMAIN or DOMAIN.VARIABLE (e.g. AE.AETERM)")
    return domain, variable or None


def trace(out_dir: Path, usubjid: str, target: str | None = None,
          study_dir: Path | None = None, raw_dir: Path | None = None) -> list[RecordTrace]:
    """The SDTM records of ``usubjid`` in a run's output, each value with its mapping line and
    raw values; ``target`` ("AE" or "AE.AETERM") narrows it. ``study_dir`` defaults to the one
    the run report names, ``raw_dir`` to the study's ``raw.dir``."""
    import pandas as pd

    from cdiscflow.specload import load_study
    from cdiscflow.xpt import read_xpt

    domain_wanted, var_wanted = _parse_target(target)
    out_dir = Path(out_dir)
    report_file = out_dir / "report" / "run.json"
    if not report_file.is_file():
        raise CdiscflowError(f"{report_file}: no run report; OUT must be a `cdiscflow run` output")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    study_dir = Path(study_dir or report["study"]["study_dir"])
    if not (study_dir / "study.yaml").is_file():
        raise CdiscflowError(f"{study_dir}: the study folder of this run is not here; give it "
                             f"with --study")
    study = load_study(study_dir)
    forms = _Forms(study, Path(raw_dir) if raw_dir else study.dir / study.spec.raw.dir)
    sdtm_dir = (out_dir / report["define"]).parent
    lineage_dir = out_dir / ("lineage" if report.get("layout") == "flat" else "report/lineage")
    names = {ld.spec.domain: ld for ld in study.domains}
    if domain_wanted and domain_wanted not in names:
        raise CdiscflowError(f"domain {domain_wanted} is not one of the study's mapped domains "
                             f"({', '.join(names)})")
    if domain_wanted and var_wanted and var_wanted not in names[domain_wanted].spec.variables:
        raise CdiscflowError(f"{domain_wanted}.{var_wanted} is not a variable of "
                             f"{_shown_path(names[domain_wanted].file)}")
    traces: list[RecordTrace] = []
    found_subject = False
    for name, ld in names.items():
        if domain_wanted and name != domain_wanted:
            continue
        xpt = sdtm_dir / f"{name.lower()}.xpt"
        lineage_file = lineage_dir / f"{name.lower()}.csv"
        if not xpt.is_file() or not lineage_file.is_file():
            continue
        data, _ = read_xpt(xpt)
        lineage = pd.read_csv(lineage_file, dtype=str, keep_default_na=False)
        rows = [i for i in range(len(data)) if data["USUBJID"].iat[i] == usubjid] \
            if "USUBJID" in data.columns else []
        found_subject = found_subject or bool(rows)
        supp = _supp_rows(sdtm_dir, name, usubjid)
        cols = _columns(ld, forms) if rows else {}
        for i in rows:
            origin = lineage.iloc[i]
            form = forms.form_of_file(origin["SOURCE_FILE"])
            raw_row = int(origin["SOURCE_ROW"])
            group = origin.get("SOURCE_FIELD") or None
            values = [_trace_value(ld, c, c, data[c].iat[i], cols, forms, raw_row, group)
                      for c in data.columns if not var_wanted or c == var_wanted]
            for qnam, qval in _supp_of(supp, data, i, name):
                if not var_wanted or qnam == var_wanted:
                    values.append(_trace_value(ld, qnam, f"SUPP{name}.{qnam}", qval, cols,
                                               forms, raw_row, group))
            if values:
                traces.append(RecordTrace(name, i + 1, origin["SOURCE_FILE"],
                                          forms.position(form, raw_row) if form
                                          else f"line {raw_row}", values))
    if not found_subject:
        raise CdiscflowError(f"USUBJID {usubjid!r} has no records in {sdtm_dir}"
                             + (f" ({domain_wanted})" if domain_wanted else ""))
    return traces


def _supp_rows(sdtm_dir: Path, domain: str, usubjid: str) -> Any:
    from cdiscflow.xpt import read_xpt

    path = sdtm_dir / f"supp{domain.lower()}.xpt"
    if not path.is_file():
        return None
    supp, _ = read_xpt(path)
    return supp[supp["USUBJID"] == usubjid]


def _supp_of(supp: Any, data: Any, i: int, domain: str) -> list[tuple[str, str]]:
    """The supplemental qualifiers (QNAM, QVAL) pointing at record ``i`` of the parent."""
    if supp is None or supp.empty:
        return []
    out = []
    for r in supp.itertuples(index=False):
        idvar = str(r.IDVAR)
        if idvar and (idvar not in data.columns or _text(data[idvar].iat[i]) != str(r.IDVARVAL)):
            continue
        out.append((str(r.QNAM), str(r.QVAL)))
    return out


def as_json(traces: list[RecordTrace]) -> str:
    return json.dumps([asdict(t) for t in traces], indent=2, ensure_ascii=False) + "\n"


def as_text(traces: list[RecordTrace]) -> list[str]:
    """Lines for people: a heading per record, then one line per value."""
    lines: list[str] = []
    for t in traces:
        lines.append(f"{t.dataset} record {t.record}: from {t.raw_file} {t.raw_position}")
        for v in t.values:
            where = (f"{v.mapping_file}:{v.mapping_line}" if v.mapping_file
                     else "(not in the mapping)")
            raw = "; ".join(f"{r.field}={r.value!r} ({r.file} {r.position})" for r in v.raw)
            uses = ", ".join(v.uses)
            tail = "".join([f"  raw {raw}" if raw else "", f"  uses {uses}" if uses else ""])
            lines.append(f"  {v.variable} = {v.value!r}  [{v.source}] {where}{tail}")
    return lines


@click.command("trace")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("usubjid")
@click.argument("target", required=False, metavar="[DOMAIN[.VARIABLE]]")
@click.option("--study", "study_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The study folder of the run (default: the one its run report names).")
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The raw folder of the run (default: the study file's raw.dir).")
@click.option("--json", "json_out", is_flag=True, help="Print the trace as JSON.")
def trace_command(out_dir: Path, usubjid: str, target: str | None, study_dir: Path | None,
                  raw_dir: Path | None, json_out: bool) -> None:
    """Where each value of a subject's SDTM records came from.

    For each record the raw file and line, for each value the raw field(s) and the mapping file
    and line that made it.

    OUT_DIR is a run's output folder; DOMAIN.VARIABLE (e.g. AE.AESTDTC) narrows the trace."""
    try:
        traces = trace(out_dir, usubjid, target, study_dir, raw_dir)
    except CdiscflowError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    if json_out:
        click.echo(as_json(traces), nl=False)
    else:
        for line in as_text(traces):
            click.echo(line)
