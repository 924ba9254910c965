"""Evaluation scores on a tiny hand-made set, checked against values computed by hand."""

import pytest

from assistant.analytics.metrics import (
    abstention_scores,
    bootstrap_ci,
    citation_precision,
    contains_answer,
    exact_match,
    f1,
    ndcg_at,
    percentile,
    rank_of_gold,
    recall_at,
    reciprocal_ranks,
)


def test_exact_match_ignores_case_punctuation_articles_and_width():
    assert exact_match("The SecureLink.", ["securelink"]) == 1.0
    assert exact_match("３，０００円", ["3,000円"]) == 1.0  # NFKC, Japanese punctuation dropped
    assert exact_match("30 minutes", ["15 minutes", "half an hour"]) == 0.0


def test_citation_markers_are_not_part_of_the_answer():
    assert exact_match("SecureLink [1]", ["SecureLink"]) == 1.0
    # pred words {30, minutes} after "[2]" is dropped: F1 = 1
    assert f1("30 minutes [2]", ["30 minutes"]) == 1.0


def test_contains_answer_finds_the_gold_span_in_a_sentence():
    assert contains_answer("Accounts lock for 30 minutes after five failures [1].", ["30 minutes"]) == 1.0
    assert contains_answer("Accounts lock for 300 minutes.", ["30 minutes"]) == 0.0  # whole words only
    assert contains_answer("日当は1日3,000円です[1]。", ["３，０００円"]) == 1.0
    assert contains_answer("日当は1日2,000円です。", ["3,000円"]) == 0.0
    assert contains_answer("anything", [""]) == 0.0


def test_english_f1_is_by_words():
    # pred: {locked, for, 30, minutes} vs gold {30, minutes}: P = 2/4, R = 2/2, F1 = 2*0.5*1/1.5 = 0.6667
    assert f1("locked for 30 minutes", ["30 minutes"]) == pytest.approx(2 / 3)
    assert f1("nothing", ["30 minutes"]) == 0.0
    assert f1("", [""]) == 1.0


def test_japanese_f1_is_by_characters():
    # pred 「1日3,000円」 -> 1 日 3 0 0 0 円 (comma dropped): 7 chars; gold 「3,000円」 -> 3 0 0 0 円: 5 chars
    # common = 5: P = 5/7, R = 1, F1 = 2 * (5/7) / (12/7) = 10/12
    assert f1("1日3,000円", ["3,000円"]) == pytest.approx(10 / 12)


def test_retrieval_ranks_recall_and_mrr():
    gold = {"it.pdf#2"}
    ranks = [
        rank_of_gold(["it.pdf#2", "x#1"], gold),  # 1
        rank_of_gold(["x#1", "y#3", "it.pdf#2"], gold),  # 3
        rank_of_gold(["x#1"], gold),  # None
        rank_of_gold([f"z#{i}" for i in range(11)] + ["it.pdf#2"], gold),  # 12
    ]
    assert ranks == [1, 3, None, 12]
    assert recall_at(ranks, 1) == [1.0, 0.0, 0.0, 0.0]
    assert sum(recall_at(ranks, 5)) / 4 == 0.5
    assert sum(recall_at(ranks, 10)) / 4 == 0.5
    # MRR@10 = (1 + 1/3 + 0 + 0) / 4 = 1/3
    assert sum(reciprocal_ranks(ranks)) / 4 == pytest.approx(1 / 3)
    # nDCG@10 with one relevant unit: 1/log2(1+1) = 1, 1/log2(3+1) = 0.5, 0, 0 (rank 12 is past 10)
    assert ndcg_at(ranks, 10) == pytest.approx([1.0, 0.5, 0.0, 0.0])


def test_citation_precision_and_abstention():
    assert citation_precision(["it.pdf#2", "it.pdf#3"], {"it.pdf#2"}) == 0.5
    assert citation_precision([], {"it.pdf#2"}) is None
    # 5 questions, 2 unanswerable; abstained on q2 (answerable) and q4 (unanswerable)
    s = abstention_scores([False, True, False, True, False], [False, False, False, True, True])
    assert s == {"precision": 0.5, "recall": 0.5, "abstained": 2, "unanswerable": 2}


def test_bootstrap_interval_and_percentiles():
    values = [1.0] * 8 + [0.0] * 2
    lo, hi = bootstrap_ci(values)
    assert lo < 0.8 < hi and 0.0 <= lo and hi <= 1.0
    assert bootstrap_ci(values) == (lo, hi)  # seeded
    assert bootstrap_ci([1.0]) is None
    latencies = [float(x) for x in range(1, 21)]  # 1..20
    assert percentile(latencies, 50) == 10.0 and percentile(latencies, 95) == 19.0
