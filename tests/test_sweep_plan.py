"""Sweep plans: ranges and lists of values, every combination once, run keys."""

from __future__ import annotations

import pytest

from prism_cp import PrismError
from prism_cp.sweep import RunConfig, parse_counts, parse_names, plan


def test_ranges_lists_and_mixtures():
    assert parse_counts("1-8", "--npus") == [1, 2, 3, 4, 5, 6, 7, 8]
    assert parse_counts("2,16", "--batches") == [2, 16]
    assert parse_counts(" 1-3, 8 ,2", "--cpus") == [1, 2, 3, 8]  # duplicates dropped, order kept
    assert parse_counts("4-4", "--cpus") == [4]


@pytest.mark.parametrize("text", ["5-1", "8-2,3"])
def test_an_empty_range_is_an_error(text):
    with pytest.raises(PrismError, match=r"--npus: the range \d-\d is empty"):
        parse_counts(text, "--npus")


@pytest.mark.parametrize("text", ["", ",", "1,,2", "1-", "-3", "a-b", "1.5"])
def test_malformed_counts_are_errors(text):
    with pytest.raises(PrismError, match="--cpus: expected whole numbers"):
        parse_counts(text, "--cpus")


def test_counts_below_the_minimum_are_errors():
    with pytest.raises(PrismError, match="--batches: values must be >= 1, got 0"):
        parse_counts("0-2", "--batches", minimum=1)


def test_names():
    assert parse_names("xception, resnet50,xception", "--models") == ["xception", "resnet50"]
    with pytest.raises(PrismError, match="--models: expected comma-separated names"):
        parse_names("xception,", "--models")
    with pytest.raises(PrismError, match="unknown name 'nope'"):
        parse_names("npufirst,nope", "--algorithms", ("npufirst", "prism"))


def test_every_combination_once_with_the_time_limit_only_where_it_matters():
    runs = plan(["xception", "m2"], ["grai"], [1, 2, 3], [1, 2], [2, 16], ["npufirst", "cpsat"], seed=7, time_limit=30)
    assert len(runs) == 2 * 3 * 2 * 2 * 2
    assert len({r.key for r in runs}) == len(runs)
    assert {r.time_limit for r in runs if r.algorithm == "cpsat"} == {30}
    assert {r.time_limit for r in runs if r.algorithm == "npufirst"} == {None}
    assert runs[0] == RunConfig("xception", "grai", 1, 1, 2, "npufirst", 7, None)


def test_the_key_is_the_configuration():
    a = RunConfig("xception", "grai", 4, 2, 16, "cpsat", 42, 30.0)
    assert a.key == RunConfig("xception", "grai", 4, 2, 16, "cpsat", 42, 30.0).key
    assert a.key != RunConfig("xception", "grai", 4, 2, 16, "cpsat", 42, 60.0).key


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"algorithm_names": ["bogus"]}, "unknown algorithm 'bogus'"),
        ({"time_limit": 0}, "time limit must be > 0"),
        ({"npus": []}, "at least one"),
    ],
)
def test_bad_plans(kwargs, message):
    args = {"models": ["xception"], "platforms": ["grai"], "npus": [4], "cpus": [2], "batches": [2], "algorithm_names": ["npufirst"]}
    with pytest.raises(PrismError, match=message):
        plan(**(args | kwargs))
