"""Build a study's ADaM datasets from its SDTM datasets by its ADaM spec files, and write them.

The SDTM input is what the SDTM stage wrote (read back from ``out/sdtm/*.xpt``), so ADaM is
derived from the submitted SDTM, never from raw data. Each SDTM domain is offered with its
SUPP-- qualifiers merged in as columns (admiral users do the same with combine_supp).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cdiscflow.adam.conditions import evaluate, plain_text
from cdiscflow.adam.derivations import DerivationError, combine_supp
from cdiscflow.adam.metadata import adam_variable, standard_label
from cdiscflow.adam.optional_inputs import with_optional_inputs
from cdiscflow.adam.response import ResponseRule, SameDayFlag, Window
from cdiscflow.adam.spec import AdamSpecError, CriteriaSpec, LoadedAdam, LoadedDataset
from cdiscflow.codes import per_distinct
from cdiscflow.datasets_folder import read_folder
from cdiscflow.spec import FDA_MAX_XPT_BYTES
from cdiscflow.xpt import XptVariable, write_xpt_parts


@dataclass
class AdamDataset:
    name: str
    label: str
    data: pd.DataFrame
    variables: list[XptVariable]


def read_sdtm(folder: Path, qualifiers: Mapping[str, Sequence[str]] | None = None
              ) -> dict[str, pd.DataFrame]:
    """Every SDTM domain in ``folder`` (XPT, Dataset-JSON or SAS7BDAT; a dataset split into
    numbered parts read as one), with its SUPP-- merged in.

    ``qualifiers``: per domain, the SUPP-- QNAMs its mapping declares. A domain with no record
    of a qualifier (an AE form with no rows has no SUPPAE) still has the column, empty, so
    ADaM steps that use it see no values rather than no variable."""
    frames = {d.name: d.frame for d in read_folder(folder)}
    out = {}
    for name, frame in frames.items():
        if name.startswith("SUPP"):
            continue
        out[name] = combine_supp(frame, frames.get(f"SUPP{name}"))
        for qnam in (qualifiers or {}).get(name, []):
            if qnam not in out[name].columns:
                out[name][qnam] = pd.Series(None, index=out[name].index, dtype=object)
    return out


def _default_format(name: str, typ: str) -> str | None:
    if typ != "Num":
        return None
    if name.endswith("DTM"):
        return "DATETIME20."
    if name.endswith("DT"):
        return "DATE9."
    if name.endswith("TM"):
        return "TIME8."
    return None


class _Context:
    def __init__(self, sdtm: dict[str, pd.DataFrame], built: dict[str, pd.DataFrame],
                 loaded: LoadedDataset) -> None:
        self.sdtm, self.built, self.loaded = sdtm, built, loaded

    def dataset(self, name: str) -> pd.DataFrame:
        if name in self.built:
            return self.built[name]
        if name in self.sdtm:
            return self.sdtm[name]
        raise AdamSpecError(f"no dataset {name!r} (SDTM: {', '.join(sorted(self.sdtm))}; "
                            f"ADaM built so far: {', '.join(self.built) or 'none'})",
                            file=str(self.loaded.file), dataset=self.loaded.spec.dataset)

    def rule(self, name: str) -> ResponseRule:
        return _rule(self.loaded.spec.criteria[name], self)


def _rule(spec: CriteriaSpec, ctx: _Context) -> ResponseRule:
    def records(dataset: str, where: object) -> pd.DataFrame:
        frame = ctx.dataset(dataset)
        return frame[evaluate(where, frame)]  # type: ignore[arg-type]

    windows = {var: [Window(records(w.dataset, w.where), w.start, w.end, w.days_before_start,
                            w.days_after_end, w.end_if_missing) for w in ws]
               for var, ws in spec.not_evaluable_windows.items()}
    same_day = {var: SameDayFlag(records(s.dataset, s.where), s.date, s.value, s.true_values,
                                 s.if_missing) for var, s in spec.same_day_flags.items()}
    return ResponseRule([(c.code, c.where) for c in spec.categories], spec.otherwise,
                        spec.not_evaluable_code, spec.response_codes, windows, same_day,
                        spec.evaluable_var, spec.loss_var)


_BDS_IDENTIFIERS = ("STUDYID", "USUBJID", "SUBJID", "SITEID", "ASEQ")


def _order(loaded: LoadedDataset, names: list[str]) -> list[str]:
    """Standard variables in ADaMIG order; a sponsor variable stays right after the variable
    the spec lists before it (ADSL and BDS). OCCDS keeps the spec's order."""
    spec = loaded.spec
    if spec.structure == "OCCDS":
        return names
    keys: list[tuple[float, int]] = []
    last = 0.0
    for i, n in enumerate(names):
        meta = adam_variable(spec.structure, n)
        if spec.structure == "BDS" and n in _BDS_IDENTIFIERS:
            # the ADaMIG table lists BDS identifiers last; datasets put them first
            pos = float(_BDS_IDENTIFIERS.index(n) - len(_BDS_IDENTIFIERS))
        elif meta is None and spec.structure == "BDS" and adam_variable("ADSL", n):
            # ADSL variables copied into a BDS dataset sit after the identifiers
            pos = -0.5 + adam_variable("ADSL", n).order / 1000  # type: ignore[union-attr]
        elif meta is not None:
            pos = float(meta.order)
        else:
            pos = last + 0.001
        last = pos
        keys.append((pos, i))
    return [names[i] for _, i in sorted(keys)]


def _xpt_variables(loaded: LoadedDataset, frame: pd.DataFrame, sdtm_domain: str | None
                   ) -> list[XptVariable]:
    spec = loaded.spec
    out = []
    for name in frame.columns:
        vs = spec.variables[name]
        std = standard_label(spec.structure, name, sdtm_domain)
        label = (vs.label if vs and vs.label else None) or (std[0] if std else None)
        typ = (vs.type if vs and vs.type else None) or (std[1] if std else None)
        if typ is None:
            typ = "Num" if pd.api.types.is_numeric_dtype(frame[name]) else "Char"
        fmt = (vs.format if vs and vs.format else None) or _default_format(name, typ)
        out.append(XptVariable(name=name, label=label or "", type=typ,
                               length=vs.length if vs else None, format=fmt))
    return out


def check_labels(loaded: LoadedDataset, sdtm_domain: str | None) -> None:
    """Every kept variable has a label, from the standards or the spec (before any data).

    A misspelled standard variable (TRTSTDT for TRTSDT) is not in the standards either, so it
    is refused here, with every other such variable of the dataset named. A working dataset
    is never written, so its variables need no label (docs/adam-spec.md)."""
    spec = loaded.spec
    if spec.working:
        return
    unknown = [name for name, vs in spec.variables.items()
               if (vs is None or not vs.label)
               and standard_label(spec.structure, name, sdtm_domain) is None]
    if unknown:
        more = f" (and {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
        raise AdamSpecError(f"not defined by ADaMIG 1.3 or SDTMIG: give it a label, or correct "
                            f"its name{more}", file=str(loaded.file), dataset=spec.dataset,
                            variable=unknown[0], line=loaded.line("variables", unknown[0]))


def check_spec(adam: LoadedAdam) -> None:
    """The checks of every dataset that need no data, when the spec is loaded: before any SDTM
    is built or read. A source that is no ADaM dataset (AD...) is an SDTM domain, whose SDTMIG
    table labels the variables an OCCDS dataset copies from it."""
    for loaded in adam.datasets:
        source = loaded.spec.source.dataset
        check_labels(loaded, None if source.upper().startswith("AD") else source)


def _coerce(frame: pd.DataFrame, variables: list[XptVariable]) -> pd.DataFrame:
    columns = {name: frame[name] for name in frame.columns}
    for v in variables:
        if v.type == "Num":
            columns[v.name] = pd.to_numeric(columns[v.name], errors="coerce").astype(float)
        else:
            columns[v.name] = _text_column(columns[v.name])
    # one new frame (replacing columns one by one would copy the others' storage each time)
    return pd.DataFrame(columns, index=frame.index)


def _text_column(col: pd.Series) -> pd.Series:
    """:func:`_as_text` of every value, as objects."""
    plain = plain_text(col)
    if plain is not None:
        values, missing = plain
        if _blank(values[missing]):
            # the usual derived column: text, and None or NaN (both written as "") if missing
            out = values.copy()
            out[missing] = ""
            return pd.Series(out, index=col.index, dtype=object)
    # anything else converted once per distinct value; text columns told apart by Arrow
    return per_distinct(lambda distinct: _as_text(distinct.astype(object)), col)


def _blank(missing: np.ndarray) -> bool:
    """Whether every one of these values is missing (None, NaN, pd.NA: written as "")."""
    return bool(pd.isna(missing).all())


def _as_text(values: pd.Series) -> pd.Series:
    """Text as XPT wants it: missing (None, NaN, pd.NA) as "", whole floats without ".0"."""
    return values.map(
        lambda x: "" if x is None or x is pd.NA or x is pd.NaT
        or (isinstance(x, float | np.floating) and np.isnan(x)) else
        (str(int(x)) if isinstance(x, float) and x.is_integer() else str(x))
    ).astype(object)


def build_dataset(loaded: LoadedDataset, sdtm: dict[str, pd.DataFrame],
                  built: dict[str, pd.DataFrame]) -> AdamDataset:
    spec = loaded.spec
    ctx = _Context(sdtm, built, loaded)
    sdtm_domain = spec.source.dataset if spec.source.dataset in sdtm else None
    if not spec.working:  # a working dataset is never written: its variables need no labels
        check_labels(loaded, sdtm_domain)
    source = ctx.dataset(spec.source.dataset)
    try:
        frame = source[evaluate(spec.source.where, source)].reset_index(drop=True)
    except KeyError as exc:
        raise AdamSpecError(f"source.where: no variable {exc}", file=str(loaded.file),
                            dataset=spec.dataset, line=loaded.line("source")) from None
    for i, step in enumerate(loaded.steps):
        name = next(iter(spec.steps[i]))
        try:
            frame = step.run(frame, ctx).reset_index(drop=True)
        except KeyError as exc:
            raise AdamSpecError(f"steps.{i} ({name}): no variable {exc}", file=str(loaded.file),
                                dataset=spec.dataset, line=loaded.line("steps", i)) from None
        except DerivationError as exc:
            raise AdamSpecError(f"steps.{i} ({name}): {exc}", file=str(loaded.file),
                                dataset=spec.dataset, line=loaded.line("steps", i)) from None
    missing = [v for v in spec.variables if v not in frame.columns]
    if missing:
        raise AdamSpecError(f"no step derives {missing}", file=str(loaded.file),
                            dataset=spec.dataset, variable=missing[0],
                            line=loaded.line("variables", missing[0]))
    # the key columns are sorted alone, then the kept variables follow in one take
    keys = frame[spec.key].sort_values(spec.key, kind="mergesort")
    if keys.duplicated(spec.key).any():
        dup = keys[keys.duplicated(spec.key, keep=False)].iloc[0].tolist()
        raise AdamSpecError(f"key {spec.key} is not unique (e.g. {dup})", file=str(loaded.file),
                            dataset=spec.dataset, line=loaded.line("key"))
    names = _order(loaded, list(spec.variables))
    frame = frame[names].loc[keys.index].reset_index(drop=True)
    variables = _xpt_variables(loaded, frame, sdtm_domain)
    return AdamDataset(spec.dataset, spec.label, _coerce(frame, variables), variables)


def build_adam(adam: LoadedAdam, sdtm: dict[str, pd.DataFrame]) -> dict[str, AdamDataset]:
    """Every dataset of the spec, in the index's order (later ones may use earlier ones);
    working datasets are used by later ones but not returned (so not written or validated)."""
    built: dict[str, pd.DataFrame] = {}
    out: dict[str, AdamDataset] = {}
    sdtm = with_optional_inputs(sdtm, adam.index.optional)
    for loaded in adam.datasets:
        ds = build_dataset(loaded, sdtm, built)
        built[ds.name] = ds.data
        if not loaded.spec.working:
            out[ds.name] = ds
    return out


def write_adam(datasets: dict[str, AdamDataset], folder: Path, created: dt.datetime,
               max_bytes: int = FDA_MAX_XPT_BYTES) -> dict[str, list[Path]]:
    """Write each dataset as XPT v5, split into numbered parts (adlb1.xpt, adlb2.xpt) like
    SDTM when its file would exceed ``max_bytes``; returns each dataset's files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, ds in datasets.items():
        parts = write_xpt_parts(ds.data, folder, dataset=name, label=ds.label,
                                variables=ds.variables, created=created, max_bytes=max_bytes)
        written[name] = [p.path for p in parts]
    return written
