"""Per-class precision, recall and F1 from a confusion matrix, checked by hand."""

import pytest

from builder.train.metrics import per_class


def test_per_class_scores_match_a_hand_count():
    # rows: true class; columns: predicted.  class a: 8 right, 2 called b; class b: 1 called a, 9 right
    rows = per_class([[8, 2], [1, 9]], ["a", "b"])
    assert [r["class"] for r in rows] == ["a", "b"] and [r["support"] for r in rows] == [10, 10]
    assert rows[0]["precision"] == pytest.approx(8 / 9) and rows[0]["recall"] == pytest.approx(0.8)
    assert rows[1]["precision"] == pytest.approx(9 / 11) and rows[1]["recall"] == pytest.approx(0.9)
    assert rows[0]["f1"] == pytest.approx(2 * (8 / 9) * 0.8 / (8 / 9 + 0.8))


def test_a_class_never_predicted_scores_zero_and_names_default_to_indices():
    rows = per_class([[5, 0], [5, 0]])
    assert [r["class"] for r in rows] == ["0", "1"]
    assert rows[1] == {"class": "1", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 5}
