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
    # the rule's own data: variable names or terms it looks for (not standards metadata,
    # which comes from cdiscflow/standards/data)
    terms: tuple[str, ...] = ()


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
    # ---- events, deaths (rules_events.py)
    Rule("CF.AESER_CRIT", ERROR, "A seriousness criterion is Y but AESER is not Y", "SDTM",
         "", "CG0041",
         ("AESCAN", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESOD", "AESMIE")),
    Rule("CF.AESER_NOCRIT", WARNING, "AESER is Y but no seriousness criterion is Y", "SDTM",
         "", "CG0042",
         ("AESCAN", "AESCONG", "AESDISAB", "AESDTH", "AESHOSP", "AESLIFE", "AESOD", "AESMIE")),
    Rule("CF.AESER_CRIT_VAR", WARNING, "AESER is Y but no seriousness criterion variable is in "
         "AE (the criteria were not collected)", "SDTM", "", "CG0042"),
    Rule("CF.BDSYCD", WARNING, "--BODSYS is given but --BDSYCD is missing", "SDTM", "",
         "CG0082"),
    Rule("CF.BODSYS_SOC", WARNING, "--BODSYS differs from the primary --SOC", "SDTM", "",
         "CG0039"),
    Rule("CF.FATAL_DTHDTC", ERROR, "Fatal adverse event's end date is not DM.DTHDTC", "SDTM",
         "", "FB0612", ("FATAL",)),
    Rule("CF.DTHFL_EVIDENCE", ERROR,
         "DTHFL is Y but the subject has no fatal AE and no DS death record", "SDTM", "",
         "FB0608, FB0609", ("FATAL", "DEATH")),
    # ---- DM, TS (rules_dm.py)
    Rule("CF.ARM_NULLTERM", ERROR, "ARM/ACTARM holds a null-arm term; leave it null and give "
         "ARMNRS", "SDTM", "", "CG0570",
         ("SCREEN FAILURE", "NOT ASSIGNED", "UNPLANNED TREATMENT", "NOT TREATED")),
    Rule("CF.ARMNRS", ERROR, "ARMNRS is given though ARMCD and ACTARMCD are both given",
         "SDTM", "", "CG0520"),
    Rule("CF.RFENDTC_ARM", ERROR, "RFENDTC is missing though ARM is given", "SDTM", "",
         "CG0529"),
    Rule("CF.ARM_ACTUAL", WARNING, "Planned and actual arm differ with no ACTARMUD and no DV "
         "record to explain it", "SDTM", "", "FB2501, FB2502"),
    Rule("CF.SUBJID_DUP", WARNING, "SUBJID is not unique within the study", "SDTM", "",
         "CG0150"),
    Rule("CF.DS_TREATED", WARNING, "Subject with an actual arm has no DS record", "SDTM", "",
         "CG0540"),
    # QNAMs starting with these (COMPLT8, COMPLT16...), or whose QLABEL says Population Flag
    Rule("CF.SUPPDM_POPFL", WARNING, "Population flag in SUPPDM (population flags belong in "
         "ADaM)", "SDTM", "", "CG0528",
         ("COMPLT", "FULLSET", "ITT", "PPROT", "SAFETY", "ENRFL", "SAFFL", "EFFFL", "ITTFL",
          "PPROTFL", "COMPLFL")),
    Rule("CF.TS_DATE", ERROR, "TSVAL is not an ISO 8601 date for a date parameter", "SDTM",
         "", "CG0270", ("SSTDTC", "SENDTC", "DCUTDTC")),
    Rule("CF.TS_DURATION", ERROR, "TSVAL is not an ISO 8601 duration for a duration parameter",
         "SDTM", "", "CG0270", ("AGEMIN", "AGEMAX", "LENGTH", "PLNTRDUR", "PTRTDUR")),
    Rule("CF.TS_REQUIRED", WARNING, "Required trial summary parameter is missing or has no "
         "TSVAL", "SDTM", "", "FB1111", ("INTMODEL", "INTTYPE", "PCLAS")),
    # ---- visits, dates, timing (rules_events.py)
    Rule("CF.VISITNUM_SV", ERROR, "VISITNUM is not one of the subject's visits in SV", "SDTM",
         "", "CG0034"),
    Rule("CF.MH_PRIOR", WARNING, "Medical history starts or ends on or after DM.RFSTDTC",
         "SDTM", "", "CG0078, CG0079"),
    Rule("CF.AFTER_RFPENDTC", ERROR, "Date is after the end of participation (DM.RFPENDTC)",
         "SDTM", "", "FB3406, FB3407"),
    Rule("CF.TPT_PAIR", ERROR, "A reference time point is given without its relative timing "
         "variable, or the reverse", "SDTM", "", "CG0045, CG0058, CG0059, CG0060, CG0062"),
    Rule("CF.END_NO_START", WARNING, "End timing (--ENDTC, --ENRF, --ENRTPT) is given but no "
         "start timing (--STDTC, --STRF, --STRTPT)", "SDTM", "", "FB4301"),
    Rule("CF.AEOUT_ENDTC", ERROR, "AEENDTC is given though AEOUT says the event has not ended",
         "SDTM", "", "FB3409", ("NOT RECOVERED/NOT RESOLVED",)),
    Rule("CF.DOSU", ERROR, "--DOSU is missing though --DOSE, --DOSTXT or --DOSTOT is given",
         "SDTM", "", "CG0114"),
    Rule("CF.DOSU_VAR", WARNING, "--DOSU is not in the dataset though --DOSE, --DOSTXT or "
         "--DOSTOT is given", "SDTM", "", "CG0114"),
    Rule("CF.DY_VAR", WARNING, "Study day variable is missing though its date variable is "
         "present", "SDTM", "", "FB3201, FB3202, FB3203, FB1601"),
    # ---- results and text (rules_values.py)
    Rule("CF.RANGE_CATEG", ERROR, "Reference range given for a result that is not a number",
         "SDTM", "", "CG0180, CG0181, CG0182, CG0183"),
    Rule("CF.STAT_REASND", WARNING, "--STAT is NOT DONE but --REASND is not given", "SDTM",
         "", "FB4202", ("NOT DONE",)),
    Rule("CF.LEADING_SPACE", WARNING, "Text value starts with a blank", "SDTM, ADaM", "",
         "FB1501"),
    Rule("CF.TEXT_200", ERROR, "Text value is longer than 200 bytes (split it into SUPP--)",
         "SDTM", "", ""),
    # ---- define.xml against the data, when define.xml is in the datasets' folder
    # (rules_define.py)
    Rule("CF.DEFINE_XML", ERROR, "define.xml cannot be read", "SDTM, ADaM"),
    Rule("CF.DEFINE_DATASET", ERROR, "Dataset is in the folder but not in define.xml, or the "
         "reverse", "SDTM, ADaM"),
    Rule("CF.DEFINE_VARIABLE", ERROR, "Variable is in the dataset but not in define.xml, or "
         "the reverse", "SDTM, ADaM"),
    Rule("CF.DEFINE_TYPE", ERROR, "define.xml DataType does not fit the variable's type",
         "SDTM, ADaM"),
    Rule("CF.DEFINE_LENGTH", WARNING, "define.xml Length differs from the dataset's",
         "SDTM, ADaM"),
    Rule("CF.DEFINE_LABEL", WARNING, "define.xml label differs from the dataset's",
         "SDTM, ADaM"),
    Rule("CF.DEFINE_ORDER", WARNING, "Variable order differs from define.xml OrderNumber",
         "SDTM, ADaM"),
    Rule("CF.DEFINE_ROLE", WARNING, "define.xml Role differs from the SDTMIG role", "SDTM"),
    Rule("CF.DEFINE_CT", ERROR, "Value is not in the define.xml codelist of the variable (or "
         "of its value-level item)", "SDTM, ADaM"),
    Rule("CF.DEFINE_WHERE", ERROR, "define.xml where clause selects no record", "SDTM, ADaM"),
    Rule("CF.DEFINE_CT_VERSION", ERROR, "define.xml names a controlled terminology version "
         "cdiscflow does not ship", "SDTM, ADaM"),
    # ---- ADaM
    Rule("CF.ADSL_ONE", ERROR, "ADSL has more than one record for the subject", "ADaM",
         "AD0054"),
    Rule("CF.ADSL_SUBJ", ERROR, "USUBJID is not in ADSL", "ADaM"),
    Rule("CF.TRTEMFL", ERROR, "TRTEMFL is not Y or null", "ADaM", "AD0005B"),
    Rule("CF.PARAM_1TO1", ERROR, "PARAMCD and PARAM are not one-to-one", "ADaM"),
    Rule("CF.AVAL_PARAM", ERROR, "Parameter has neither AVAL nor AVALC on any record", "ADaM"),
    Rule("CF.ADAM_DATE", ERROR, "*DT variable is not a SAS date (numeric whole days)", "ADaM",
         "AD0058"),
    Rule("CF.ADAM_FLAG", ERROR, "Flag holds a value ADaMIG does not list for it (ABLFL, ANLzzFL, "
         "ONTRTFL...: Y or null; population flags and other *FL: Y, N or null)", "ADaM"),
    Rule("CF.ADAM_DTM", ERROR, "*DT or *TM is not the date or time part of its *DTM",
         "ADaM"),
    Rule("CF.BASE_CONST", ERROR, "BASE is not constant within subject, parameter and baseline "
         "type", "ADaM"),
    Rule("CF.CHG_CALC", ERROR, "CHG is not AVAL - BASE (or PCHG not the percentage change)",
         "ADaM"),
    Rule("CF.ADAM_DATE_FMT", WARNING, "*DT variable has no SAS date format", "ADaM",
         "AD0041, AD0041A"),
)

RULES: dict[str, Rule] = {r.id: r for r in _ALL}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
