"""Property-based tests and fuzzing of everything that reads untrusted input."""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdiscflow.adam.dates import date_of, impute_date, sas_day
from cdiscflow.cli import main
from cdiscflow.errors import CdiscflowError
from cdiscflow.raw import read_form
from cdiscflow.sdtm.dates import parse_dates
from cdiscflow.standards import codelist
from cdiscflow.yamlio import load_yaml
from tests.conftest import MINI_DOMAINS, write_study

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))


@given(dates)
def test_any_calendar_date_round_trips_through_every_site_format(d):
    written = {
        "DD/MM/YYYY": d.strftime("%d/%m/%Y"),
        "DD-MON-YYYY": f"{d.day:02d}-{MONTHS[d.month - 1]}-{d.year}",
        "YYYY-MM-DD": d.isoformat(),
    }
    for fmt, text in written.items():
        iso, problems = parse_dates(pd.Series([text]), fmt)
        assert problems == [] and iso[0] == d.isoformat()


@given(dates)
def test_unknown_day_keeps_year_and_month_only(d):
    iso, problems = parse_dates(pd.Series([f"UNK-{MONTHS[d.month - 1]}-{d.year}"]),
                                "DD-MON-YYYY")
    assert problems == [] and iso[0] == f"{d.year}-{d.month:02d}"


@given(st.integers(1900, 2099), st.integers(1, 12), st.integers(29, 35))
def test_days_past_the_month_end_are_reported_not_shifted(year, month, day):
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    iso, problems = parse_dates(pd.Series([f"{year}-{month:02d}-{day:02d}"]), "YYYY-MM-DD")
    if day <= last:
        assert problems == [] and iso[0] == f"{year}-{month:02d}-{day:02d}"
    else:
        assert pd.isna(iso[0]) and problems[0].message == "not a calendar date"


@given(st.text(max_size=20))
def test_parse_dates_never_raises(text):
    iso, problems = parse_dates(pd.Series([text]), "DD-MON-YYYY", pd.Series([text]))
    assert len(iso) == 1


CODELISTS = ["SEX", "NY", "UNIT", "ROUTE", "OUT", "ACN", "LBTESTCD", "FREQ"]


@given(st.sampled_from(CODELISTS), st.data())
def test_every_term_looks_up_to_itself(name, data):
    cl = codelist(name)
    term = data.draw(st.sampled_from(cl.terms))
    assert cl.lookup(term.submission_value) == term.submission_value
    if not cl.case_sensitive:
        assert cl.lookup(term.submission_value.lower()) == term.submission_value


@given(st.sampled_from(CODELISTS), st.data())
def test_a_synonym_looks_up_to_a_term_that_carries_it(name, data):
    cl = codelist(name)
    term = data.draw(st.sampled_from([t for t in cl.terms if t.synonyms] or list(cl.terms)))
    for synonym in term.synonyms:
        found = cl.lookup(synonym)
        owner = next(t for t in cl.terms if t.submission_value == found)
        key = (lambda s: s) if cl.case_sensitive else str.casefold
        assert key(synonym) in {key(s) for s in (*owner.synonyms, owner.preferred_term,
                                                 owner.submission_value)}


# ---- fuzzing the loaders ----------------------------------------------------------------------

@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_random_bytes_as_a_raw_file_give_a_named_error_or_a_frame(tmp_path, data):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    try:
        frame = read_form(path)
    except CdiscflowError as exc:
        assert "fuzz.csv" in str(exc)
    else:
        assert "__row" in frame.columns


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_random_bytes_as_a_spec_give_a_named_error_or_data(tmp_path, data):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    try:
        load_yaml(path)
    except CdiscflowError as exc:
        assert "fuzz.yaml" in str(exc)


def _mutate(text: str, rng: random.Random) -> str:
    tokens = ["{", "}", "[", "]", ":", ",", "- ", "\n", "  ", "null", "DM.", "EX.RFSTDTC",
              "function: seq", "'", '"', "&a", "*a", "!!str", "99", "-1", "1e400", "\t"]
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(chars))
        action = rng.random()
        if action < 0.35:
            del chars[i:i + rng.randint(1, 6)]
        elif action < 0.8:
            chars[i:i] = list(rng.choice(tokens))
        else:
            j = rng.randrange(len(chars))
            chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.sampled_from(sorted(MINI_DOMAINS)), st.integers(0, 2**32 - 1))
def test_mutated_specs_never_escape_the_cli_as_a_traceback(tmp_path_factory, name, seed):
    folder = write_study(Path(tmp_path_factory.mktemp("fuzz")))
    text = textwrap.dedent(MINI_DOMAINS[name])
    (folder / name).write_text(_mutate(text, random.Random(seed)))
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(folder / "out")])
    # a spec error exits 2; the mini study has deliberate raw-data errors, so a harmless
    # mutation exits 3 (data defects)
    assert result.exit_code in (2, 3), (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output


# ---- ADaM date imputation ------------------------------------------------------------------

@given(dates)
def test_complete_dates_are_never_imputed(d):
    days, flags = impute_date(pd.Series([d.isoformat()]), "M", "first")
    assert days[0] == sas_day(d) and pd.isna(flags[0])


@given(dates, st.sampled_from(["first", "mid", "last"]))
def test_a_missing_day_is_imputed_inside_its_month_and_flagged_d(d, rule):
    days, flags = impute_date(pd.Series([f"{d.year}-{d.month:02d}"]), "D", rule)
    got = date_of(days[0])
    assert (got.year, got.month) == (d.year, d.month) and flags[0] == "D"
    if rule == "first":
        assert got.day == 1
    if rule == "last":
        assert (got + dt.timedelta(days=1)).month != got.month


@given(dates)
def test_a_missing_month_needs_month_imputation(d):
    year_only = pd.Series([str(d.year)])
    days, flags = impute_date(year_only, "D", "first")
    assert pd.isna(days[0])  # only the day may be imputed: a year alone stays missing
    days, flags = impute_date(year_only, "M", "last")
    assert date_of(days[0]) == dt.date(d.year, 12, 31) and flags[0] == "M"


@given(dates)
def test_partial_date_in_the_first_dose_month_is_not_imputed_before_the_dose(d):
    dose = pd.Series([sas_day(d)])
    days, flags = impute_date(pd.Series([f"{d.year}-{d.month:02d}"]), "D", "first",
                              min_dates=[dose])
    assert days[0] == sas_day(d) and flags[0] == "D"
