from bot.evaluation import QueryResult, score


def test_metrics_and_no_match_decision():
    results = [
        QueryResult("q1", {"a"}, ["a", "b"], no_match=False),          # first place
        QueryResult("q2", {"a"}, ["b", "c", "a"], no_match=False),     # third place
        QueryResult("q3", {"z"}, ["b"], no_match=True),               # answerable, said no match: FP
        QueryResult("q4", set(), ["b"], no_match=True),               # unanswerable, said no match: TP
        QueryResult("q5", set(), ["b"], no_match=False),              # unanswerable, answered: FN
    ]
    report = score(results)
    assert report["answerable"] == 3
    assert report["recall@1"] == round(1 / 3, 4)
    assert report["recall@3"] == round(2 / 3, 4)
    assert report["mrr@10"] == round((1 + 1 / 3) / 3, 4)
    assert report["no_match"]["precision"] == 0.5 and report["no_match"]["recall"] == 0.5
    assert report["no_match"]["f1"] == 0.5
