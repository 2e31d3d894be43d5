"""The rule catalogue: every rule cdiscflow checks, with its severity and message, and the
identifiers of the same check in the FDA/Pinnacle 21 validator rules (``fda``) and the CDISC
SDTMIG/ADaM conformance rules that CDISC CORE implements (``cdisc``), where one exists.

Rule ids are stable: reports, CI dashboards and waivers refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    message: str  # what is wrong, said once for every finding of the rule
    scope: str  # "SDTM", "ADaM" or "SDTM, ADaM"
    fda: str = ""  # FDA validator / Pinnacle 21 rule id(s)
    cdisc: str = ""  # CDISC conformance rule id(s) (SDTMIG CGnnnn, ADaM check numbers)


_ALL = (
    # ---- schema: from the IG metadata, per dataset and variable (pandera)
    Rule("CF.REQ_VAR", ERROR, "Required variable is missing from the dataset", "SDTM, ADaM",
         "SD0056, AD0047", "CG0014"),
    Rule("CF.REQ_NULL", ERROR, "Required variable is null", "SDTM, ADaM", "SD0002", "CG0014"),
    Rule("CF.EXP_VAR", WARNING, "Expected variable is missing from the dataset", "SDTM",
         "SD0057", "CG0016"),
    Rule("CF.TYPE", ERROR, "Variable type differs from the IG (Char/Num)", "SDTM, ADaM",
         "SD0055", "CG0012"),
    Rule("CF.ISO8601", ERROR, "Date/time is not ISO 8601", "SDTM", "SD0003"),
    Rule("CF.CT_NONEXT", ERROR, "Value is not in the non-extensible codelist", "SDTM, ADaM",
         "CT2001", "CG0085"),
    Rule("CF.CT_EXT", WARNING, "Value is not in the extensible codelist (new term)",
         "SDTM, ADaM", "CT2002", "CG0020"),
    Rule("CF.KEY_DUP", ERROR, "Duplicate record key", "SDTM",
         "SD0005, SD0083, SD0086", "CG0028, CG0151, CG0411"),
    Rule("CF.SEQ_INT", ERROR, "--SEQ is not a positive integer", "SDTM"),
    Rule("CF.DY_ZERO", ERROR, "Study day is 0 (there is no day 0)", "SDTM, ADaM",
         "SD0038, AD0046"),
    Rule("CF.STRESN", ERROR, "--STRESN does not agree with --STRESC", "SDTM",
         "SD1212, SD1122, SD1448", "FDAB031"),
    # ---- conformance across records and datasets
    Rule("CF.USUBJID_DM", ERROR, "USUBJID is not in DM", "SDTM", "SD0064", "CG0029"),
    Rule("CF.DOMAIN", ERROR, "DOMAIN does not equal the dataset name", "SDTM", "SD0004",
         "CG0413"),
    Rule("CF.STUDYID", ERROR, "STUDYID differs from the study's one STUDYID", "SDTM, ADaM",
         "SD1005, SD1349", "CG0409"),
    Rule("CF.START_END", ERROR, "Start date/time is after end date/time", "SDTM",
         "SD0013", "FDAB034"),
    Rule("CF.DY_CALC", ERROR, "Study day does not match the date and DM.RFSTDTC", "SDTM",
         "SD1086, SD1090, SD1094", "CG0006, CG0220, CG0222"),
    Rule("CF.EPOCH_VAR", WARNING, "EPOCH is missing from the dataset", "SDTM", "SD1077",
         "FDAB022"),
    Rule("CF.EPOCH_NULL", WARNING, "EPOCH is null on a dated record", "SDTM", "SD1339",
         "FDAB022"),
    Rule("CF.RFSTDTC_EX", WARNING, "DM.RFSTDTC is not the subject's first EX start",
         "SDTM"),
    Rule("CF.RFXSTDTC_EX", ERROR, "DM.RFXSTDTC is not the subject's first EX start", "SDTM",
         "SD1205", "CG0148"),
    Rule("CF.ARM_PAIR", ERROR, "Arm code and arm description are not one-to-one", "SDTM",
         "SD1033, SD1034, SD1133, SD1134", "FDAB009"),
    Rule("CF.BASELINE_ONCE", ERROR, "More than one baseline record for the subject and test",
         "SDTM", "SD1439, SD1445", "FDAB026"),
    Rule("CF.SUPP_PARENT", ERROR, "SUPP-- record points at no parent record", "SDTM",
         "SD0072, SD0075, SD0077", "CG0371"),
    Rule("CF.VAR_ORDER", WARNING, "Variables are not in IG order", "SDTM", "SD1079",
         "CG0330"),
    Rule("CF.LABEL", WARNING, "Variable label differs from the IG", "SDTM, ADaM", "AD0018"),
    Rule("CF.LENGTH", WARNING, "Character length is longer than the longest value",
         "SDTM, ADaM", "SD1082", "FDAB018, FDAB019"),
    # ---- ADaM
    Rule("CF.ADSL_ONE", ERROR, "ADSL has more than one record for the subject", "ADaM",
         "AD0054"),
    Rule("CF.ADSL_SUBJ", ERROR, "USUBJID is not in ADSL", "ADaM"),
    Rule("CF.TRTEMFL", ERROR, "TRTEMFL is not Y or null", "ADaM", "AD0005B"),
    Rule("CF.PARAM_1TO1", ERROR, "PARAMCD and PARAM are not one-to-one", "ADaM"),
    Rule("CF.AVAL_PARAM", ERROR, "Parameter has neither AVAL nor AVALC on any record", "ADaM"),
    Rule("CF.ADAM_DATE", ERROR, "*DT variable is not a SAS date (numeric whole days)", "ADaM",
         "AD0058"),
    Rule("CF.ADAM_DATE_FMT", WARNING, "*DT variable has no SAS date format", "ADaM",
         "AD0041, AD0041A"),
)

RULES: dict[str, Rule] = {r.id: r for r in _ALL}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
