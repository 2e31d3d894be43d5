"""Method text a reviewer reads in define.xml: what a derivation computes, in words, from the
parameters the mapping gives it.

The registry's docstrings describe a derivation for a mapping author (with parameter names and
code notation); a reviewer needs the rule for this variable, so each registered SDTM derivation
has a sentence here built from its parameters. A derivation without one (a new registry entry)
falls back to its docstring with the parameters listed in words, never as Python values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def words(value: Any) -> str:
    """A parameter value as text: lists joined with commas and "and", booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        items = [words(v) for v in value]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {words(v)}" for k, v in value.items())
    return str(value)


def _either(value: Any) -> str:
    items = [words(v) for v in value] if isinstance(value, (list, tuple)) else [words(value)]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _epoch(p: Mapping[str, Any]) -> str:
    epochs, ends, inclusive = p["epochs"], p["ends"], p["ends_inclusive"]
    rules = []
    for name, end, incl in zip(epochs, ends, inclusive, strict=False):
        rules.append(f"{name} when {p['dtc']} is {'on or before' if incl else 'before'} {end}")
    rules.append(f"{epochs[-1]} after that")
    return ("Epoch of the record from its date: " + "; ".join(rules) + ". A date known "
            "only to the month or year is placed when its whole period falls in one epoch; "
            "blank when it straddles an end or is missing.")


_TEXT: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "usubjid": lambda p: (f"{words(p['parts'])} joined by "
                          f"'{p.get('separator', '-')}'; blank if any part is blank."),
    "seq": lambda p: (f"Sequence number 1, 2, ... within each {words(p.get('by') or ['USUBJID'])},"
                      f" records ordered by {words(p['order'])}."),
    "extreme_date": lambda p: (f"The {'earliest' if p['mode'] == 'first' else 'latest'} "
                               f"complete date of the subject's {_either(p['sources'])}."),
    "study_day": lambda p: (f"Study day of {p['dtc']} relative to {p['ref']}: the number of "
                            f"days from {p['ref']}, plus one when on or after it (no day 0); "
                            f"blank when either date is partial."),
    "age": lambda p: (f"Age in completed years from {p['birth']} to {p['ref']}; blank when "
                      f"either date is partial."),
    "epoch": _epoch,
    "visit": lambda p: (f"{p['target']} of the collected visit name {p['visit']} in the "
                        f"study's visit schedule ({p['schedule']}); a visit not in the schedule "
                        f"is '{p.get('unscheduled', 'Unscheduled')}' with its number from "
                        f"{p['dtc']}."),
    "actual_arm": lambda p: (f"{p['planned']} for a subject with any {p['exposure']} record; "
                             f"'{p['not_treated']}' for a subject with none."),
    "product": lambda p: (f"{' times '.join(words(f) for f in p['factors'])}"
                          + (f", rounded to {p['digits']} decimals." if p.get("digits") is not
                             None else ".")),
    "baseline_flag": lambda p: (f"'Y' on the last record per {words(p['by'])} with a "
                                f"non-blank {p['result']} whose {p['dtc']} is on or before "
                                f"{p['ref']}."),
    "reference_range_indicator": lambda p: (f"LOW when {p['result']} is below {p['low']}, HIGH "
                                            f"when above {p['high']}, else NORMAL; blank "
                                            f"without a numeric result or range."),
    "standard_numeric_result": lambda p: (f"{p['result']} as a number converted from "
                                          f"{p['unit']} to {p['standard_unit']} with the "
                                          f"factor of the study's table {p['conversions']} for "
                                          f"the test ({p['test']}); blank for a result with a "
                                          f"comparator or in words."),
    "standard_character_result": lambda p: (f"{p['result']} converted from {p['unit']} to "
                                            f"{p['standard_unit']} with the factor of the "
                                            f"study's table {p['conversions']} for the test "
                                            f"({p['test']}), as text; a comparator such as <5 "
                                            f"is kept and a result in words carried over."),
}


def derivation_text(function: str, params: Mapping[str, Any], doc: str) -> str:
    """The reviewer's text of an SDTM derivation with the mapping's parameters."""
    if function in _TEXT:
        return _TEXT[function](params)
    given = "; ".join(f"{k.replace('_', ' ')}: {words(v)}" for k, v in params.items())
    return f"{doc} ({given})." if given else doc
