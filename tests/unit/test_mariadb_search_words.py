"""Which windows of a term MariaDB's FULLTEXT index is asked for, from the sample's counts."""

from __future__ import annotations

from adapters.search import SAMPLE, Sampled, read_sample

#: Windows of "taxiderm": tax axi xid ide der erm.
TERM = "taxiderm"


def test_the_three_rarest_windows_are_asked_in_term_order() -> None:
    #          matches  tax axi xid ide der erm
    sampled = read_sample(TERM, "mysql", (0, 0, 1, 0, 9, 120, 40))
    assert sampled == Sampled(common=False, words="+746178 +617869 +786964")


def test_a_term_without_a_rare_window_is_found_without_the_fulltext_index() -> None:
    assert read_sample(TERM, "mysql", (2, 50, 60, 70, 80, 90, 99)) == Sampled(common=True)


def test_only_rare_windows_are_asked() -> None:
    sampled = read_sample(TERM, "mysql", (0, 300, 2, 300, 300, 300, 300))
    assert sampled == Sampled(common=False, words="+617869")


def test_a_term_in_one_sampled_key_in_a_hundred_is_common() -> None:
    assert read_sample(TERM, "mysql", (SAMPLE // 100, 0, 0, 0, 0, 0, 0)).common


def test_other_databases_learn_only_whether_the_term_is_common() -> None:
    assert read_sample(TERM, "sqlite", (3,)) == Sampled(common=False)
