"""Trial design datasets from the study file's ``trial_design:`` section, and SV / SE derived
from the data against them.

TE, TA, TV and TI are the protocol's design, not collected data: the study file lists their
rows keyed by SDTMIG variable names, and cdiscflow fills STUDYID and DOMAIN, TA's ELEMENT from
TE (by ETCD) and TV's ARM from TA (by ARMCD). Every row is checked when the study is loaded
(``check_trial_design``): a variable the IG does not define for the dataset, a Req variable
missing, a value outside a non-extensible codelist, a duplicate key, a TA element not in TE, an
ARMCD with two ARMs (or an ARM with two ARMCDs) are spec errors naming the study file, line,
dataset, variable and value.

SV and SE are opt-in (``trial_design.SV`` / ``trial_design.SE``) and derived once the domains
are built (``derive_subject_visits``, ``derive_subject_elements``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from cdiscflow.codedtext import STRING
from cdiscflow.errors import Defect, SpecError
from cdiscflow.sdtm.derivations.identifiers import derive_seq
from cdiscflow.sdtm.derivations.timing import derive_extreme_date, derive_study_day
from cdiscflow.spec import LoadedStudy
from cdiscflow.standards import find_codelist, sdtm_variables
from cdiscflow.textops import is_in, lookup

# the declared datasets in build order: TA's ELEMENT comes from TE, TV's ARM from TA
DESIGN_DATASETS = ("TE", "TA", "TV", "TI")
# the datasets derived from the data, in the order they are written after the declared ones
DERIVED_DATASETS = ("SE", "SV")
# what identifies one row of each declared dataset (a repeated key is a spec error)
DESIGN_KEYS: dict[str, tuple[str, ...]] = {
    "TE": ("ETCD",),
    "TA": ("ARMCD", "TAETORD"),
    "TV": ("VISITNUM", "ARMCD"),
    "TI": ("IETESTCD", "TIVERS"),
    "SE": ("USUBJID", "SESEQ"),
    "SV": ("USUBJID", "VISITNUM"),
}
# filled by cdiscflow, never declared
_FILLED = ("STUDYID", "DOMAIN")
# declared or derived: ELEMENT from TE by ETCD, ARM from TA by ARMCD (a declared value must agree)
_LOOKED_UP = {"TA": ("ELEMENT", "TE", "ETCD"), "TV": ("ARM", "TA", "ARMCD")}
# DM ARMCD values of subjects never assigned to an arm (SDTMIG 3.2 conventions still in use):
# not arms of TA, so not reported as missing from it
NOT_ARMS = ("SCRNFAIL", "NOTASSGN")


def has_trial_design(study: LoadedStudy) -> bool:
    td = study.spec.trial_design
    return any(getattr(td, name) for name in DESIGN_DATASETS)


def check_trial_design(study: LoadedStudy) -> None:
    """Every check of the ``trial_design:`` section (cdiscflow/sdtm/checked.py runs them once
    per run, before any data)."""
    check_derived_specs(study, build_trial_design(study))


def build_trial_design(study: LoadedStudy) -> dict[str, pd.DataFrame]:
    """The declared datasets (those with rows), each in IG variable order.

    Raises SpecError naming the study file, line, dataset, variable and value.
    """
    td = study.spec.trial_design
    built: dict[str, pd.DataFrame] = {}
    for name in DESIGN_DATASETS:
        rows = getattr(td, name)
        if rows:
            built[name] = _build(study, name, rows, built)
    return built


def _build(study: LoadedStudy, name: str, rows: list[dict[str, Any]],
           built: dict[str, pd.DataFrame]) -> pd.DataFrame:
    ig = {v.name: v for v in sdtm_variables(name)}
    looked_up = _LOOKED_UP.get(name)
    records: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        record: dict[str, Any] = {}
        for var, value in row.items():
            if var in _FILLED:
                raise _error(study, name, i, var, f"{var} is filled by cdiscflow (from "
                             f"study.studyid and the dataset name); do not declare it")
            if var not in ig:
                raise _error(study, name, i, var, f"{var} (value {value!r}) is not a variable "
                             f"of {name} in SDTMIG 3.4")
            record[var] = _value(study, name, i, var, value, ig[var].type)
            if record[var] is not None:
                _check_codelists(study, name, i, var, record[var], ig[var].codelists)
        for var, meta in ig.items():
            derivable = looked_up is not None and var == looked_up[0]
            if meta.core == "Req" and var not in _FILLED and not derivable \
                    and record.get(var) is None:
                raise _error(study, name, i, None, f"Req variable {var} is missing",
                             variable=var)
        records.append(record)
    _check_keys(study, name, records)
    if name == "TA":
        _check_ta(study, records, built.get("TE"))
    if name == "TV" and any(r.get("ARMCD") is not None for r in records):
        _check_arms_known(study, records, built.get("TA"))
    if looked_up is not None:
        _fill_from(study, name, records, looked_up, built)
    return _frame(study, name, records, ig)


def _value(study: LoadedStudy, name: str, i: int, var: str, value: Any, kind: str) -> Any:
    """A declared value as the dataset holds it: a number for Num, text for Char."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _error(study, name, i, var, f"{var} value {value!r} is a YAML boolean; quote it")
    if kind == "Num":
        if not isinstance(value, (int, float)):
            raise _error(study, name, i, var, f"{var} value {value!r} is not a number")
        return float(value)
    if isinstance(value, dt.date):  # YAML reads 2019-11-21 as a date
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if not isinstance(value, str):
        raise _error(study, name, i, var, f"{var} value {value!r} is not a text")
    return value


def _check_codelists(study: LoadedStudy, name: str, i: int, var: str, value: Any,
                     codes: tuple[str, ...]) -> None:
    for code in codes:
        cl = find_codelist(code)
        # an extensible codelist (EPOCH) takes the sponsor's own terms
        if cl is not None and not cl.extensible and value not in cl.submission_values:
            raise _error(study, name, i, var, f"{var} value {value!r} is not in the "
                         f"non-extensible CT codelist {cl.submission_value} ({cl.code})")


def _check_keys(study: LoadedStudy, name: str, records: list[dict[str, Any]]) -> None:
    seen: dict[tuple[Any, ...], int] = {}
    keys = DESIGN_KEYS[name]
    for i, record in enumerate(records):
        key = tuple(record.get(k) for k in keys)
        if key in seen:
            shown = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v!r}"
                              for k, v in zip(keys, key, strict=True) if v is not None)
            raise _error(study, name, i, keys[0], f"duplicate key {shown}: row "
                         f"{seen[key] + 1} has it too")
        seen[key] = i


def _check_ta(study: LoadedStudy, records: list[dict[str, Any]], te: pd.DataFrame | None
              ) -> None:
    elements = set() if te is None else set(te["ETCD"].dropna())
    arm_of: dict[str, tuple[str, int]] = {}
    armcd_of: dict[str, tuple[str, int]] = {}
    for i, r in enumerate(records):
        if r["ETCD"] not in elements:
            raise _error(study, "TA", i, "ETCD", f"ETCD value {r['ETCD']!r} is not an element "
                         f"of TE (trial_design.TE)")
        armcd, arm = r["ARMCD"], r["ARM"]
        if arm_of.setdefault(armcd, (arm, i))[0] != arm:
            raise _error(study, "TA", i, "ARM", f"ARM value {arm!r} differs from "
                         f"{arm_of[armcd][0]!r} of ARMCD {armcd!r} in row "
                         f"{arm_of[armcd][1] + 1}")
        if armcd_of.setdefault(arm, (armcd, i))[0] != armcd:
            raise _error(study, "TA", i, "ARMCD", f"ARMCD value {armcd!r} differs from "
                         f"{armcd_of[arm][0]!r} of ARM {arm!r} in row {armcd_of[arm][1] + 1}")


def _check_arms_known(study: LoadedStudy, records: list[dict[str, Any]],
                      ta: pd.DataFrame | None) -> None:
    arms = set() if ta is None else set(ta["ARMCD"].dropna())
    for i, r in enumerate(records):
        if r.get("ARMCD") is not None and r["ARMCD"] not in arms:
            raise _error(study, "TV", i, "ARMCD", f"ARMCD value {r['ARMCD']!r} is not an arm "
                         f"of TA (trial_design.TA)")


def _fill_from(study: LoadedStudy, name: str, records: list[dict[str, Any]],
               looked_up: tuple[str, str, str], built: dict[str, pd.DataFrame]) -> None:
    """ELEMENT from TE by ETCD (ARM from TA by ARMCD): a declared value must agree."""
    var, source, key = looked_up
    table = built.get(source)
    known = {} if table is None else dict(zip(table[key], table[var], strict=True))
    for i, r in enumerate(records):
        if r.get(key) is None:
            continue
        expected = known.get(r[key])
        if r.get(var) is not None and r[var] != expected:
            raise _error(study, name, i, var, f"{var} value {r[var]!r} differs from "
                         f"{expected!r}, the {var} of {key} {r[key]!r} in {source}")
        r[var] = expected


def _frame(study: LoadedStudy, name: str, records: list[dict[str, Any]],
           ig: Mapping[str, Any]) -> pd.DataFrame:
    """IG order: Req and Exp variables always, Perm ones when declared or looked up."""
    present = {k for r in records for k, v in r.items() if v is not None}
    looked_up = _LOOKED_UP.get(name)
    if looked_up is not None and looked_up[0] in {k for r in records for k in r}:
        present.add(looked_up[0])
    columns = [v for v, m in ig.items() if m.core in ("Req", "Exp") or v in present]
    frame = pd.DataFrame({"STUDYID": study.spec.study.studyid, "DOMAIN": name,
                          **{c: [r.get(c) for r in records] for c in columns[2:]}},
                         index=range(len(records)), columns=columns)
    return _typed(frame, name)


def _typed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    ig = {v.name: v for v in sdtm_variables(name)}
    return frame.astype({c: "Float64" if ig[c].type == "Num" else STRING
                         for c in frame.columns})


def _error(study: LoadedStudy, name: str, i: int, var: str | None, message: str,
           variable: str | None = None) -> SpecError:
    path = ("trial_design", name, i, *((var,) if var else ()))
    return SpecError(f"trial_design.{name} row {i + 1}: {message}", file=str(study.file),
                     domain=name, variable=variable or var, line=study.line(*path))


# --------------------------------------------------------------------------- SV and SE specs


def check_derived_specs(study: LoadedStudy, design: Mapping[str, pd.DataFrame]) -> None:
    """SV and SE as declared: the domains, variables and dates they are derived from."""
    td = study.spec.trial_design
    domains = {d.spec.domain: d for d in study.domains}

    def fail(path: tuple[Any, ...], message: str, dataset: str,
             variable: str | None = None) -> SpecError:
        return SpecError(message, file=str(study.file), domain=dataset, variable=variable,
                         line=study.line("trial_design", *path))

    if (td.SV or td.SE) and "DM" not in domains:
        raise fail(("SV",) if td.SV else ("SE",), "SV and SE need the study's DM domain "
                   "(subjects and RFSTDTC)", "SV" if td.SV else "SE")
    if td.SV and td.SV.from_:
        for i, name in enumerate(td.SV.from_):
            if name not in domains:
                raise fail(("SV", "from", i), f"SV from: {name!r} is not a domain of the "
                           f"study", "SV")
            if not _written(domains[name], "VISITNUM"):
                raise fail(("SV", "from", i), f"SV from: domain {name} maps no VISITNUM",
                           "SV", "VISITNUM")
    if td.SE:
        ta = design.get("TA")
        if not _written(domains["DM"], "ARMCD"):
            raise fail(("SE",), "SE needs DM.ARMCD (each subject's planned arm)", "SE",
                       "ARMCD")
        if ta is None or "TE" not in design:
            raise fail(("SE",), "SE needs trial_design.TA and TE (the elements of each arm)",
                       "SE")
        for etcd, ref in td.SE.starts.items():
            if etcd not in set(design["TE"]["ETCD"]):
                raise fail(("SE", "starts", etcd), f"SE starts: ETCD {etcd!r} is not an "
                           f"element of TE", "SE", "ETCD")
            _check_date_ref(study, fail, ("SE", "starts", etcd), ref, domains)
        _check_date_ref(study, fail, ("SE", "end"), td.SE.end, domains)
        for _, arm in ta.groupby("ARMCD", sort=False):
            twice = arm["ETCD"][arm["ETCD"].duplicated()]
            if len(twice):
                # one declared start per element cannot place an element entered twice
                raise fail(("SE",), f"SE: element {twice.iloc[0]!r} occurs twice in arm "
                           f"{arm['ARMCD'].iloc[0]!r}; SE takes one start date per element",
                           "SE", "ETCD")
        missing = [e for e in pd.unique(ta["ETCD"]) if e not in td.SE.starts]
        if missing:
            raise fail(("SE", "starts"), f"SE starts: no start date for element(s) "
                       f"{', '.join(missing)} of TA", "SE", "ETCD")


def sv_domains(study: LoadedStudy) -> list[str]:
    """The domains SV is derived from: those ``SV: {from: [...]}`` names, else every domain
    of the study that writes VISITNUM, in the study's domain order."""
    td = study.spec.trial_design
    if td.SV is not None and td.SV.from_:
        return list(td.SV.from_)
    return [d.spec.domain for d in study.domains if _written(d, "VISITNUM")]


def _written(ld: Any, var: str) -> bool:
    """Whether the domain's data holds the variable (mapped, and neither temp nor supp)."""
    spec = ld.spec.variables.get(var)
    return spec is not None and not spec.temp and spec.supp is None


def _check_date_ref(study: LoadedStudy, fail: Any, path: tuple[Any, ...], ref: str,
                    domains: Mapping[str, Any]) -> None:
    dom, _, var = ref.partition(".")
    if dom not in domains or not _written(domains[dom], var):
        raise fail(path, f"{ref!r} is not DOMAIN.VARIABLE of a mapped variable of the study",
                   path[0], var or None)


# --------------------------------------------------------------------------- derivations


def main_date(domain: str, frame: pd.DataFrame) -> str | None:
    """The date a record of the domain is placed by: --DTC (findings; the collection date),
    else --STDTC (events and interventions: when it started)."""
    for name in (f"{domain}DTC", f"{domain}STDTC"):
        if name in frame.columns:
            return name
    return None


def derive_subject_visits(domains: Mapping[str, pd.DataFrame], dm: pd.DataFrame,
                          tv: pd.DataFrame | None = None) -> pd.DataFrame:
    """SV: one record per subject and VISITNUM found in the domains' records.

    SVSTDTC is the earliest and SVENDTC the latest of the records' main dates (``main_date``),
    compared as ISO 8601 text of the precision collected (so a date alone sorts before the
    same date with a time). VISIT is the first one given for the visit number, in the order of
    ``domains`` then of the records. No EPOCH: SDTMIG 3.4 SV has no such variable (a visit's
    epoch is on the records and in SE). With TV: VISITDY where TV plans one day for the visit
    number, SVPRESP "Y" for a visit of TV (null for an unplanned one) and SVOCCUR "Y" for a
    planned visit (every derived visit occurred; null for unplanned visits, as the IG says).
    SVSTDY/SVENDY are study days against DM.RFSTDTC. Sorted by USUBJID, VISITNUM.
    """
    parts = []
    for name, frame in domains.items():
        if not {"USUBJID", "VISITNUM"} <= set(frame.columns):
            continue
        date = main_date(name, frame)
        parts.append(pd.DataFrame({
            "STUDYID": frame["STUDYID"].astype(STRING) if "STUDYID" in frame else pd.NA,
            "USUBJID": frame["USUBJID"].astype(STRING),
            "VISITNUM": frame["VISITNUM"].astype("Float64"),
            "VISIT": frame["VISIT"].astype(STRING) if "VISIT" in frame else pd.NA,
            "DTC": frame[date].astype(STRING) if date else pd.NA,
        }).astype({"STUDYID": STRING, "VISIT": STRING, "DTC": STRING}))
    records = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["STUDYID", "USUBJID", "VISITNUM", "VISIT", "DTC"])
    records = records[records["USUBJID"].notna() & records["VISITNUM"].notna()]
    keys = ["USUBJID", "VISITNUM"]
    by_visit = records.groupby(keys, sort=True)
    sv = pd.DataFrame({
        "STUDYID": by_visit["STUDYID"].first(),
        "VISIT": by_visit["VISIT"].first(),
        "SVSTDTC": by_visit["DTC"].min(),
        "SVENDTC": by_visit["DTC"].max(),
    })
    sv = sv.reset_index()
    sv.insert(1, "DOMAIN", "SV")
    if tv is not None:
        planned = is_in(sv["VISITNUM"], tv["VISITNUM"]).to_numpy(dtype=bool)
        sv["SVPRESP"] = pd.Series(pd.NA, index=sv.index, dtype=STRING).mask(planned, "Y")
        sv["SVOCCUR"] = sv["SVPRESP"]
        if "VISITDY" in tv.columns:
            days = tv[["VISITNUM", "VISITDY"]].dropna().drop_duplicates()
            # an arm-specific visit planned on different days per arm has no one VISITDY
            days = days[~days["VISITNUM"].duplicated(keep=False)]
            sv["VISITDY"] = lookup(sv["VISITNUM"], days["VISITNUM"], days["VISITDY"])
    sv = _study_days(sv, dm, {"SVSTDY": "SVSTDTC", "SVENDY": "SVENDTC"})
    return _ig_ordered(sv, "SV")


def derive_subject_elements(subjects: pd.DataFrame, ta: pd.DataFrame, te: pd.DataFrame,
                            starts: Mapping[str, str], end: str, ref: str = "RFSTDTC"
                            ) -> pd.DataFrame:
    """SE: per subject, the elements of its planned arm (DM.ARMCD) in TA order.

    ``subjects`` has one record per subject (STUDYID, USUBJID, ARMCD, the reference date
    ``ref`` and the date columns ``starts`` and ``end`` name); ``starts`` gives per ETCD the
    column holding the element's start. An element without a start date was not entered and
    has no record. SEENDTC is the next entered element's SESTDTC, the last one ends at
    ``end`` (DM.RFPENDTC unless the study says otherwise). ELEMENT comes from TE, TAETORD
    and EPOCH from TA, SESEQ numbers the elements in TA order, SESTDY/SEENDY are study days
    against ``ref`` (none when ``subjects`` has no such column). A subject whose ARMCD is not
    an arm of TA (a screen failure, never assigned) has no records.
    """
    plan = ta[["ARMCD", "TAETORD", "ETCD", "EPOCH"]].merge(
        te[["ETCD", "ELEMENT"]], on="ETCD", how="left")
    rows = subjects.merge(plan, on="ARMCD", how="inner", sort=False)
    start = pd.Series(pd.NA, index=rows.index, dtype=STRING)
    for etcd, column in starts.items():
        at = (rows["ETCD"] == etcd).fillna(False).to_numpy(dtype=bool)
        start[at] = rows.loc[at, column].astype(STRING)
    rows["SESTDTC"] = start
    rows = rows[rows["SESTDTC"].notna()]
    rows = rows.sort_values(["USUBJID", "TAETORD"], kind="stable").reset_index(drop=True)
    # an element ends when the next one starts; the last one at the subject's end date
    following = rows.groupby("USUBJID", sort=False)["SESTDTC"].shift(-1)
    rows["SEENDTC"] = following.astype(STRING).fillna(rows[end].astype(STRING))
    rows["DOMAIN"] = "SE"
    se = derive_seq(rows, new_var="SESEQ", order=["TAETORD"])
    se["SESEQ"] = se["SESEQ"].astype("Float64")
    se = _study_days(se, subjects.rename(columns={ref: "RFSTDTC"}),
                     {"SESTDY": "SESTDTC", "SEENDY": "SEENDTC"})
    return _ig_ordered(se, "SE")


def _study_days(frame: pd.DataFrame, dm: pd.DataFrame, days: Mapping[str, str]
                ) -> pd.DataFrame:
    """Study days against each subject's DM.RFSTDTC (none when DM has no RFSTDTC)."""
    if "RFSTDTC" not in dm.columns:
        return frame
    out = frame.copy()
    out["__REF"] = lookup(out["USUBJID"], dm["USUBJID"].astype(STRING),
                          dm["RFSTDTC"].astype(STRING))
    for day, dtc in days.items():
        out = derive_study_day(out, new_var=day, dtc=dtc, ref="__REF")
        out[day] = out[day].astype("Float64")
    return out.drop(columns="__REF")


def _ig_ordered(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    columns = [v.name for v in sdtm_variables(name) if v.name in frame.columns]
    return _typed(frame[columns].reset_index(drop=True), name)


# --------------------------------------------------------------------------- in a run


def derive_from_data(study: LoadedStudy, design: Mapping[str, pd.DataFrame],
                     data: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """SV and SE as the study asks for them, from the built domains' ``data``."""
    td = study.spec.trial_design
    out: dict[str, pd.DataFrame] = {}
    if not (td.SV or td.SE):
        return out
    dm = data["DM"]
    if td.SE:
        refs = {*td.SE.starts.values(), td.SE.end}
        subjects = dm[[c for c in ("STUDYID", "USUBJID", "ARMCD", "RFSTDTC")
                       if c in dm.columns]].copy()
        for r in sorted(refs):
            subjects = _subject_date(subjects, r, data)
        out["SE"] = derive_subject_elements(
            subjects, design["TA"], design["TE"], td.SE.starts, td.SE.end,
            ref="RFSTDTC")
    if td.SV:
        out["SV"] = derive_subject_visits({n: data[n] for n in sv_domains(study)}, dm,
                                          design.get("TV"))
    return {name: out[name] for name in DERIVED_DATASETS if name in out}


def _subject_date(subjects: pd.DataFrame, ref: str, data: Mapping[str, pd.DataFrame]
                  ) -> pd.DataFrame:
    """The column ``ref`` (DOMAIN.VARIABLE): DM's own value, else the subject's earliest
    complete date among the domain's records (as the extreme_date derivation takes it)."""
    dom, _, var = ref.partition(".")
    if dom == "DM":
        out = subjects.copy()
        out[ref] = data["DM"][var].astype(STRING).to_numpy()
        return out
    records = pd.DataFrame({"USUBJID": data[dom]["USUBJID"], "VALUE": data[dom][var]})
    return derive_extreme_date(subjects, new_var=ref, sources=records, mode="first")


def arms_not_in_ta(dm: pd.DataFrame, lineage: pd.DataFrame, ta: pd.DataFrame) -> list[Defect]:
    """A warning for each DM ARMCD (but SCRNFAIL, NOTASSGN) that is no arm of TA, naming the
    raw record of its first subject: a warning, since DM is collected data and the run can
    go on, but the arm the subject was randomised to is not in the design declared."""
    if "ARMCD" not in dm.columns:
        return []
    armcd = dm["ARMCD"].astype(STRING)
    unknown = armcd.notna() & ~is_in(armcd, ta["ARMCD"]) & ~armcd.isin(NOT_ARMS)
    defects = []
    for value in pd.unique(armcd[unknown]):
        first = int(armcd.index.get_loc((armcd == value).fillna(False).idxmax()))
        origin = lineage.iloc[first]
        n = int((armcd == value).sum())
        defects.append(Defect("warning", "DM", str(origin["SOURCE_FILE"]),
                              int(origin["SOURCE_ROW"]), "ARMCD", str(value),
                              f"ARMCD: not an arm of TA (trial_design.TA) in {n} subject(s)"))
    return defects
