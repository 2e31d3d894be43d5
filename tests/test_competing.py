"""Aalen-Johansen cumulative incidence against hand-computed values."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from cdiscflow.adam.competing import cumulative_incidence, incidence_at
from cdiscflow.adam.conditions import WhereKeys
from cdiscflow.adam.survival import kaplan_meier, survival_at

# Ten subjects, cause 1 (e.g. relapse), cause 2 (competing death), 0 censored; a tie of one
# event of each cause at t=4 and censorings at 3, 6, 9.
TIME = [1, 2, 3, 4, 4, 5, 6, 7, 8, 9]
TYPE = [1, 2, 0, 1, 2, 1, 0, 2, 1, 0]


def test_hand_computed_table() -> None:
    # By hand, S = freedom from any event just before each time:
    # t1: 1/10; t4: S=8/10, n=7 -> +8/70; t5: S=8/10*5/7=4/7, n=5 -> +4/35;
    # t8: S=4/7*4/5*2/3=32/105, n=2 -> +16/105.  CIF1(8) = 101/210.
    table = cumulative_incidence(TIME, TYPE, cause=1)
    assert table["time"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert table["n_risk"].tolist() == [10, 9, 8, 7, 5, 4, 3, 2, 1]
    assert table["n_event_cause"].tolist() == [1, 0, 0, 1, 1, 0, 0, 1, 0]
    assert table["n_event_other"].tolist() == [0, 1, 0, 1, 0, 0, 1, 0, 0]
    f = Fraction
    expected = [f(1, 10), f(1, 10), f(1, 10), f(1, 10) + f(8, 70),
                f(1, 10) + f(8, 70) + f(4, 35)]
    expected += [expected[-1]] * 2 + [f(101, 210)] * 2
    assert table["cif"].tolist() == pytest.approx([float(x) for x in expected], abs=1e-15)
    other = cumulative_incidence(TIME, TYPE, cause=2)
    # CIF2 = 1/10 (t2) + 8/70 (t4) + 16/105 (t7) = 11/30
    assert incidence_at(other, 9) == pytest.approx(11 / 30, abs=1e-15)


def test_causes_and_survival_add_up_to_one() -> None:
    # With every kind of event, CIF1 + CIF2 + KM(any event) = 1 at every time.
    c1 = cumulative_incidence(TIME, TYPE, cause=1)
    c2 = cumulative_incidence(TIME, TYPE, cause=2)
    km = kaplan_meier(TIME, np.asarray(TYPE) > 0)
    for t in TIME:
        total = incidence_at(c1, t) + incidence_at(c2, t) + survival_at(km, t)
        assert total == pytest.approx(1.0, abs=1e-12)


def test_without_competing_events_it_is_one_minus_kaplan_meier() -> None:
    # Freireich 6-MP arm: with a single cause, Aalen-Johansen reduces to 1 - KM.
    time = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    event = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    cif = cumulative_incidence(time, event, cause=1)
    assert incidence_at(cif, 23) == pytest.approx(1 - 0.448179272, abs=1e-9)
    km = kaplan_meier(time, event)
    assert np.allclose(cif["cif"], 1 - km["survival"], atol=1e-15, rtol=0)


def test_step_function_and_bad_input() -> None:
    table = cumulative_incidence(TIME, TYPE, cause=1)
    assert incidence_at(table, 0.5) == 0.0
    assert incidence_at(table, 4.999) == pytest.approx(0.1 + 8 / 70, abs=1e-15)
    assert incidence_at(table, 100) == pytest.approx(101 / 210, abs=1e-15)
    assert cumulative_incidence([], [], cause=1).empty
    with pytest.raises(ValueError):
        cumulative_incidence([1, np.nan], [1, 0], cause=1)
    with pytest.raises(ValueError):
        cumulative_incidence([1, 2], [1, 0], cause=0)
    with pytest.raises(ValueError):
        cumulative_incidence([1, 2], [1], cause=1)


def test_competing_event_source_sets_its_own_cnsr() -> None:
    # Non-relapse mortality: death is the event, an earlier relapse is a competing event
    # (CNSR 2, by the source's set_values_to); neither -> censored at last contact (CNSR 1).
    import pandas as pd

    from cdiscflow.adam.tte import TteSource, derive_param_tte_sources

    d1 = 21915.0  # 2020-01-01
    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C"], "TRTSDT": [d1] * 3,
                         "DTHDT": [d1 + 100, d1 + 200, None], "RELDT": [None, d1 + 50, None],
                         "LSTALVDT": [d1 + 100, d1 + 200, d1 + 400]})
    out = derive_param_tte_sources(
        pd.DataFrame(), adsl, ["USUBJID"], "TRTSDT",
        [TteSource(adsl, "DTHDT", {"EVNTDESC": "DEATH"}),
         TteSource(adsl, "RELDT", {"EVNTDESC": "RELAPSE", "CNSR": 2})],
        [TteSource(adsl, "LSTALVDT", {"EVNTDESC": "LAST CONTACT"})], {"PARAMCD": "NRM"})
    got = out.set_index("USUBJID")[["AVAL", "CNSR", "EVNTDESC"]]
    assert got.loc["A"].tolist() == [100.0, 0.0, "DEATH"]
    assert got.loc["B"].tolist() == [50.0, 2, "RELAPSE"]
    assert got.loc["C"].tolist() == [400.0, 1.0, "LAST CONTACT"]


def test_incidence_estimates_from_an_adtte_frame() -> None:
    import pandas as pd

    from cdiscflow.adam.competing import incidence_estimates
    from cdiscflow.adam.derivations import DerivationError

    # the hand-computed example coded as ADTTE: CNSR 0 event, 2 competing, 1 censored
    cnsr = [{1: 0, 2: 2, 0: 1}[k] for k in TYPE]
    tte = pd.DataFrame({"PARAMCD": "REL", "AVAL": TIME, "CNSR": cnsr,
                        "ARM": ["A"] * 5 + ["B"] * 5, "SAFFL": "Y"})
    est = incidence_estimates(tte, ["REL"], [4, 9], competing_cnsr=[2],
                              where=WhereKeys(var="SAFFL", eq="Y"))
    assert est[["N", "EVENTS", "COMPETING", "CENSORED", "TIME"]].values.tolist() == [
        [10, 4, 3, 3, 4.0], [10, 4, 3, 3, 9.0]]
    assert est["INCIDENCE"].tolist() == pytest.approx([0.1 + 8 / 70, 101 / 210], abs=1e-15)
    by_arm = incidence_estimates(tte, ["REL"], [9], competing_cnsr=[2], group="ARM")
    assert by_arm["GROUP"].tolist() == ["A", "B"] and by_arm["N"].tolist() == [5, 5]
    with pytest.raises(DerivationError):
        incidence_estimates(tte, ["REL"], [9], competing_cnsr=[0])
    with pytest.raises(DerivationError):
        incidence_estimates(tte, ["OS"], [9], competing_cnsr=[2])
