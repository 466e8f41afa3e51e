"""Subjects' pure rules: name words and tokens (accents folded, either order), plate and
identifier keys, the prefix range, date-of-birth checks and the duplicate reasons."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.core.errors import ValidationFailed
from murphy.subjects import rules
from murphy.subjects.rules import Facts

TODAY = date(2026, 11, 29)


def test_name_words_fold_case_and_accents_and_drop_punctuation():
    assert rules.name_words("Smith, John") == ["smith", "john"]
    assert rules.name_words("  Zoë  MÜLLER-Lüdenscheidt ") == ["zoe", "muller", "ludenscheidt"]
    assert rules.name_words("O'Brien") == ["o", "brien"]
    assert rules.name_words("Straße") == ["strasse"]
    assert rules.name_words("Łukasz") == ["łukasz"]  # no decomposition: kept, lower-case
    assert rules.name_words("Иван Петров") == ["иван", "петров"]
    assert rules.name_words(" , - ") == []


def test_name_key_is_the_same_in_either_order():
    assert rules.name_key("John Smith") == rules.name_key("Smith, JOHN") == "john smith"
    assert rules.name_key("John Smith") != rules.name_key("John Smithers")


def test_tokens_are_the_words_and_a_prefix_range_finds_them():
    tokens = rules.tokens("Smith, John")
    assert tokens == {"smith", "john"}
    q = "smi"
    assert rules.prefix_end(q) == "smj"
    assert [t for t in sorted(tokens) if q <= t < rules.prefix_end(q)] == ["smith"]
    assert not ("smi" <= "smj" < rules.prefix_end("smi"))  # the next word is outside


def test_plate_key_keeps_upper_case_letters_and_digits():
    assert rules.plate_key("AB-12 cde") == "AB12CDE"
    assert rules.plate_key("m·ük 123") == "MUK123"
    assert rules.plate_key("-- ·") == ""
    assert rules.identifier_key("X 123-456") == rules.identifier_key("x123456")


@given(st.text(max_size=40))
def test_plate_key_is_idempotent_and_alphanumeric(raw):
    key = rules.plate_key(raw)
    assert rules.plate_key(key) == key
    assert all(c.isdigit() or c.isupper() for c in key)
    assert key == key.upper()


@given(st.lists(st.from_regex(r"[A-Za-zÀ-ÿ]{1,12}", fullmatch=True), min_size=1, max_size=4))
def test_name_key_ignores_order_case_and_separators(words):
    forward = " ".join(words)
    backward = ", ".join(reversed([w.upper() for w in words]))
    assert rules.name_key(forward) == rules.name_key(backward)
    for word in rules.name_words(forward):
        assert word == word.lower()
        assert rules.name_words(word) == [word]  # a word is its own token


@given(st.text(min_size=1, max_size=30))
def test_every_token_falls_in_the_prefix_range_of_its_starts(name):
    for token in rules.tokens(name):
        for cut in range(1, len(token) + 1):
            assert token[:cut] <= token < rules.prefix_end(token[:cut])


def test_a_name_and_a_plate_need_letters_or_digits():
    with pytest.raises(ValidationFailed, match="name"):
        rules.check_name(" - ")
    with pytest.raises(ValidationFailed, match="plate"):
        rules.check_plate("--")
    assert rules.check_plate("ab 1") == "AB1"


def test_birth_dates_are_plausible():
    rules.check_birth_date(None, TODAY)
    rules.check_birth_date(TODAY, TODAY)
    rules.check_birth_date(date(1900, 1, 1), TODAY)
    with pytest.raises(ValidationFailed, match="future"):
        rules.check_birth_date(date(2026, 11, 30), TODAY)
    with pytest.raises(ValidationFailed, match="1900"):
        rules.check_birth_date(date(1899, 12, 31), TODAY)


def person(key="john smith", born=None, ids=()):
    return Facts(kind="person", name_key=key, birth_date=born, identifiers=frozenset(ids))


def test_duplicate_reasons():
    born = date(1980, 1, 1)
    assert rules.duplicate_reason(person(born=born), person(born=born)) == (
        "same name and date of birth"
    )
    assert rules.duplicate_reason(person(born=born), person(born=date(1990, 1, 1))) is None
    assert rules.duplicate_reason(person(born=born), person()) == (
        "same name, a date of birth missing"
    )
    assert rules.duplicate_reason(person(), person(key="jane smith")) is None
    assert rules.duplicate_reason(person(ids={"P1"}), person(key="x y", ids={"P1"})) == (
        "same identifier"
    )
    car = Facts(kind="vehicle", plate_key="AB12CDE")
    assert rules.duplicate_reason(car, Facts(kind="vehicle", plate_key="AB12CDE")) == "same plate"
    assert rules.duplicate_reason(car, Facts(kind="vehicle", plate_key="AB12CDF")) is None
    assert rules.duplicate_reason(car, person()) is None


def test_merge_needs_two_records_of_one_kind():
    rules.check_merge(1, "person", 2, "person")
    with pytest.raises(ValidationFailed, match="itself"):
        rules.check_merge(1, "person", 1, "person")
    with pytest.raises(ValidationFailed, match="vehicle"):
        rules.check_merge(1, "person", 2, "vehicle")


def test_summary_is_short():
    assert rules.summary("blue", "", "Ford", " Focus ") == "blue Ford Focus"
    assert len(rules.summary("x" * 500)) == rules.SUMMARY_MAX
