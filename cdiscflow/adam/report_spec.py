"""The parts of the ADaM index (``adam.yaml``) that declare what is reported from the built
datasets: the reviewer's report page and the survival and cumulative-incidence estimates; and
the source records a dataset starts from."""

from __future__ import annotations

from pydantic import Field

from cdiscflow.adam.conditions import Where
from cdiscflow.adam.stepbase import StepModel as _Model


class SourceSpec(_Model):
    dataset: str  # an SDTM domain (with its SUPP-- merged) or an ADaM dataset built earlier
    where: Where | None = None



class ReportSpec(_Model):
    """What the report tabulates; see docs/adam-spec.md."""

    title: str
    group: str  # ADSL variable of the reporting groups (columns)
    group_order: str  # numeric ADSL variable ordering the groups
    totals: dict[str, Where | None] = {}  # extra columns: label -> ADSL subset (None = all)
    population: str = "SAFFL"  # ADSL flag of the subjects counted
    demographics: list[str] = []  # ADSL variables: numeric -> median (range), text -> n (%)
    response_params: list[str] = []  # ADRS PARAMCDs with AVALC Y/N: n/N (%)
    summary_params: list[str] = []  # ADRS PARAMCDs with numeric AVAL: median (range)
    summary_among: str | None = None  # PARAMCD whose AVALC = Y selects the subjects summarised
    subject_flags: dict[str, str] = {}  # row label -> ADSL flag (Y counts), response table
    ae_term: str = "AEDECOD"
    ae_grade: str = "ATOXGR"
    ae_flags: dict[str, str] = {}  # row label -> ADAE flag variable (Y counts the subject)
    plot_param: str  # ADRS PARAMCD of the value plotted over time
    plot_visit: str = "AVISIT"
    plot_visit_n: str = "AVISITN"
    plot_day: str = "ADY"
    swimmer_param: str  # ADRS PARAMCD of the per-assessment response
    swimmer_response_codes: list[str] = Field(min_length=1)
    swimmer_intervals: dict[str, SourceSpec] = {}  # label -> SDTM records with --STDTC/--ENDTC
    # one lane per subject stops being readable (and fast) in a large study: above this many
    # subjects the swimmer plot is left out and the page says so
    swimmer_max_subjects: int | None = Field(default=None, ge=1)


class SurvivalEstimatesSpec(_Model):
    """Kaplan-Meier estimates from a time-to-event dataset; see docs/adam-spec.md."""

    dataset: str = "ADTTE"  # an ADaM dataset of this index with PARAMCD, AVAL, CNSR
    params: list[str] = Field(min_length=1)  # PARAMCDs
    group: str  # variable of the dataset: one estimate per value
    group_order: str | None = None  # numeric variable ordering the groups
    times: list[float] = Field(min_length=1)  # time points, in AVAL's unit
    where: Where | None = None  # the records analysed (e.g. a population flag)


class IncidenceEstimatesSpec(_Model):
    """Cumulative incidence under competing risks (Aalen-Johansen) from a time-to-event
    dataset; see docs/adam-spec.md."""

    dataset: str = "ADTTE"  # an ADaM dataset of this index with PARAMCD, AVAL, CNSR
    params: list[str] = Field(min_length=1)  # PARAMCDs
    competing_cnsr: list[float] = Field(min_length=1)  # CNSR values of competing events
    times: list[float] = Field(min_length=1)  # time points, in AVAL's unit
    group: str | None = None  # variable of the dataset: one estimate per value
    where: Where | None = None  # the records analysed (e.g. a population flag)
