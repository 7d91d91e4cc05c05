"""How PostgresStore's queries look a word up: its rare trigram pieces, and when a page is found first.

Pure functions of ``debitor_core.storage._postgres._queries``: no server needed. The answers
on a server are checked against the in-memory index in test_postgres_store.py.
"""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from debitor_core.storage._postgres import _queries as q
from debitor_core.storage._queries import CustomerQuery


def like(pattern, text):
    """PostgreSQL's ``LIKE`` (backslash escapes), in Python."""
    regex, escaped = [], False
    for character in pattern:
        if escaped:
            regex.append(re.escape(character))
            escaped = False
        elif character == "\\":
            escaped = True
        elif character == "%":
            regex.append(".*")
        elif character == "_":
            regex.append(".")
        else:
            regex.append(re.escape(character))
    return re.fullmatch("".join(regex), text, re.DOTALL) is not None


def sample_of(texts, rows=q.MIN_SAMPLE):
    """A usable sample: ``texts`` repeated up to ``rows`` rows (the shares stay the same)."""
    texts = list(texts)
    return q.TextSample(texts * (rows // len(texts) + 1))


def test_like_emulation():
    """The emulation the properties below rely on agrees with PostgreSQL's rules."""
    assert like("%a\\%b%", "xa%by")
    assert not like("%a\\%b%", "xacby")
    assert like("%a_b%", "acb")
    assert not like("%a\\_b%", "acb")
    assert like("%a\\\\b%", "a\\b")


_LETTERS = "abc1é%_\\. "


@settings(max_examples=300)
@given(
    word=st.text(_LETTERS, min_size=1, max_size=12),
    common=st.lists(st.text(_LETTERS, min_size=3, max_size=12), min_size=1, max_size=6),
    before=st.text(_LETTERS, max_size=5),
    after=st.text(_LETTERS, max_size=5),
)
def test_every_text_holding_the_word_matches_its_pieces(word, common, before, after):
    """Whatever the sample says, the pieces' pattern finds every text that holds the word.

    The pieces are the word's own, in order and apart, so the exact check (``strpos``)
    sees every row that holds the word: a sample can cost speed, never an answer.
    """
    sample = sample_of([*common, ""])
    pattern = q.lookup_pattern(word, sample)
    if pattern is None:
        return
    assert like(pattern, before + word + after)
    assert pattern != q.escape_like(word)  # the whole word is looked up as before


def test_a_common_prefix_is_left_to_the_exact_check():
    """In "customer2495" only the digits are looked up: "cus", "ust", ... are in every row."""
    texts = [f"customer{n} iela {n % 7}" for n in range(1000, 3000)]
    pattern = q.lookup_pattern("customer2495", q.TextSample(texts))
    assert pattern is not None
    assert "cus" not in pattern
    assert "mer" not in pattern
    assert pattern.strip("%") in "customer2495"
    assert like(pattern, "customer2495 iela 3")


def test_overlapping_rare_runs_become_one_piece():
    """A rare run that overlaps the one before is joined to it, here into the whole word."""
    texts = ["zzule"] * 5 + ["other"] * 5  # "ule" in half the rows; "kou", "lej" in none
    assert q.lookup_pattern("koulej", sample_of(texts)) is None  # koul + lej: the whole word
    assert q.lookup_pattern("ulekou", sample_of(texts)) == "%lekou%"


def test_runs_apart_are_looked_up_apart():
    """Runs split by a common trigram are two pieces of the pattern, in their order."""
    texts = ["bcx", "xde", "cxd", "bcxd", "cxde"] * 2 + ["", "", "", "", ""]
    assert q.lookup_pattern("abcxdef", sample_of(texts)) == "%abc%def%"


@pytest.mark.parametrize(
    ("word", "texts"),
    [
        ("customer1", ["aaaa"] * 10),  # no trigram is common: the whole word
        ("customer1", ["customer1"] * 10),  # every trigram is common: the whole word
        ("ab.cd", ["ab.cd"] * 10),  # no trigram at all
    ],
)
def test_whole_word_when_no_piece_helps(word, texts):
    """No common trigram, or no rare one: the word is looked up whole (``None``)."""
    assert q.lookup_pattern(word, sample_of(texts)) is None


def test_a_small_sample_says_nothing():
    """Under MIN_SAMPLE rows (a new book), every word is looked up whole, nothing is rare."""
    texts = ["customer1"] * (q.MIN_SAMPLE - 1) + ["x"]
    small = q.TextSample(texts[1:])
    assert not small.usable
    assert q.lookup_pattern("customer1z", small) is None
    assert not q.selective(CustomerQuery(text="zzz"), small)
    assert q.lookup_pattern("customer1z", None) is None
    assert not q.selective(CustomerQuery(text="zzz"), None)
    empty = q.TextSample(())
    assert (0.0, 0.0) == (empty.trigram_share("abc"), empty.word_share("abc"))


def test_shares_count_rows_not_occurrences():
    """A trigram or word twice in one row counts once."""
    sample = q.TextSample(["abcabc", "xyz", "abc x", "zzz"])
    assert sample.trigram_share("abc") == 0.5
    assert sample.word_share("abc") == 0.5
    assert sample.word_share("bca") == 0.25


def test_selective_when_any_word_is_rare():
    """A page is found first when one of the words is in under RARE_WORD of the rows."""
    sample = sample_of(["riga iela"] * 3 + ["koln"])
    assert q.selective(CustomerQuery(text="riga zebra"), sample)
    assert not q.selective(CustomerQuery(text="RĪGA iela"), sample)
    assert not q.selective(CustomerQuery(text="  "), sample)
    assert not q.selective(CustomerQuery(city="riga"), sample)


def test_where_checks_the_whole_word_after_the_pieces():
    """With pieces, the word is checked whole with strpos (and in private text with it)."""
    sample = sample_of([f"customer{n}" for n in range(100, 400)])
    for private, index_part, exact_part in [
        (False, "search_text LIKE %s", "strpos(search_text, %s) > 0"),
        (True, "(search_text LIKE %s OR private_text LIKE %s)", "strpos(private_text, %s) > 0"),
    ]:
        query = CustomerQuery(text="Customer999", include_private=private)
        found = q.where("b", query, sample)
        assert found is not None
        sql, params = found
        assert index_part in sql, sql
        assert exact_part in sql, sql
        pattern = q.lookup_pattern("customer999", sample)
        assert pattern is not None
        assert pattern in params
        assert "customer999" in params
        plain_sql, plain_params = q.where("b", query)
        assert "strpos" not in plain_sql
        assert q.escape_like("customer999") in plain_params
