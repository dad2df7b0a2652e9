from bot.evaluation import QueryResult, score


def test_metrics_and_the_three_way_decision():
    results = [
        QueryResult("q1", {"a"}, ["a", "b"], "match"),          # first place
        QueryResult("q2", {"a"}, ["b", "c", "a"], "match"),     # third place
        QueryResult("q3", {"z"}, ["b"], "none"),                # answerable, said "nog geen les"
        QueryResult("q6", {"a"}, ["a"], "related"),             # answerable, offered only as related
        QueryResult("q4", set(), ["b"], "none"),                # unanswerable, said none: right
        QueryResult("q5", set(), ["b"], "match"),               # unanswerable, answered: wrong
        QueryResult("q7", set(), ["b"], "related"),             # unanswerable, related only
    ]
    report = score(results)
    assert report["answerable"] == 4
    assert report["recall@1"] == round(2 / 4, 4)
    assert report["recall@3"] == round(3 / 4, 4)
    assert report["mrr@10"] == round((1 + 1 / 3 + 1) / 4, 4)
    # "no match" = no lesson offered as the answer: q3, q6 (answerable) and q4, q7 (unanswerable)
    assert report["no_match"]["precision"] == 0.5 and report["no_match"]["recall"] == round(2 / 3, 4)
    assert report["no_match"]["answered_as_no_match"] == 2
    # "none" = the honest "nog geen les": q3 (answerable) and q4 (unanswerable)
    assert report["none"]["precision"] == 0.5 and report["none"]["recall"] == round(1 / 3, 4)
    assert report["kinds"] == {"answerable": {"match": 2, "related": 1, "none": 1},
                               "unanswerable": {"match": 1, "related": 1, "none": 1}}
    assert report["answerable_answered_none"] == 0.25
    assert report["answerable_not_matched"] == 0.5
