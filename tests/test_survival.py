"""Kaplan-Meier against hand-computed textbook values."""

from __future__ import annotations

import math

import pytest

from cdiscflow.adam.survival import kaplan_meier, survival_at


def test_classic_product_limit() -> None:
    # At 6: 7 at risk (the censoring at 6 still counts), 3 events -> 4/7; at 7: 3 at risk,
    # 1 event -> 4/7 * 2/3; 9 is censored (no step); at 10 the last subject fails -> 0.
    time = [6, 6, 6, 6, 7, 9, 10]
    event = [1, 1, 1, 0, 1, 0, 1]
    table = kaplan_meier(time, event)
    assert table["time"].tolist() == [6, 7, 9, 10]
    assert table["n_risk"].tolist() == [7, 3, 2, 1]
    assert table["n_event"].tolist() == [3, 1, 0, 1]
    assert table["n_censor"].tolist() == [1, 0, 1, 0]
    s6 = 4 / 7
    s7 = s6 * 2 / 3
    assert table["survival"].tolist() == pytest.approx([s6, s7, s7, 0.0], abs=0, rel=1e-15)


def test_events_before_censorings_at_same_time() -> None:
    # Two subjects at t=5, one event and one censored: both at risk for the event, S = 1/2 * ...
    table = kaplan_meier([5, 5, 8], [1, 0, 1])
    assert table["n_risk"].tolist() == [3, 1]
    assert table["survival"].tolist() == pytest.approx([2 / 3, 0.0])


def test_survival_at_step_function() -> None:
    # Freireich 6-MP arm (Kalbfleisch & Prentice): the textbook S(t) values.
    time = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    event = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    table = kaplan_meier(time, event)
    assert survival_at(table, 0) == 1.0
    assert survival_at(table, 5.99) == 1.0
    assert survival_at(table, 6) == pytest.approx(0.857142857, abs=1e-9)
    assert survival_at(table, 7) == pytest.approx(0.806722689, abs=1e-9)
    assert survival_at(table, 10) == pytest.approx(0.752941176, abs=1e-9)
    assert survival_at(table, 13) == pytest.approx(0.690196078, abs=1e-9)
    assert survival_at(table, 16) == pytest.approx(0.627450980, abs=1e-9)
    assert survival_at(table, 22) == pytest.approx(0.537815126, abs=1e-9)
    assert survival_at(table, 23) == pytest.approx(0.448179272, abs=1e-9)
    assert survival_at(table, 100) == pytest.approx(0.448179272, abs=1e-9)


def test_no_events_and_empty() -> None:
    table = kaplan_meier([3.0, 4.0], [False, False])
    assert table["survival"].tolist() == [1.0, 1.0]
    empty = kaplan_meier([], [])
    assert list(empty.columns) == ["time", "n_risk", "n_event", "n_censor", "survival"]
    assert survival_at(empty, 10) == 1.0


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        kaplan_meier([1.0, math.nan], [1, 0])
    with pytest.raises(ValueError):
        kaplan_meier([1.0], [1, 0])
    with pytest.raises(ValueError):
        kaplan_meier([-1.0], [1])


def test_greenwood_standard_error() -> None:
    from cdiscflow.adam.survival import greenwood_se_at

    # 6-MP arm at t=10: S = 0.752941; sum d/(n(n-d)) = 3/(21*18) + 1/(17*16) + 1/(15*14)
    time = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    event = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    table = kaplan_meier(time, event)
    var = 3 / (21 * 18) + 1 / (17 * 16) + 1 / (15 * 14)
    assert greenwood_se_at(table, 10) == pytest.approx(0.752941176 * var ** 0.5, abs=1e-9)
    assert greenwood_se_at(table, 10) == pytest.approx(0.0963, abs=1e-4)  # the textbook value
    assert greenwood_se_at(table, 23) == pytest.approx(0.1346, abs=1e-4)
    assert greenwood_se_at(table, 0) == 0.0
    assert math.isnan(greenwood_se_at(kaplan_meier([1, 2], [1, 1]), 5))
