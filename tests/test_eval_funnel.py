"""The funnel, AUROC and risk–coverage of `clos eval answers --qa`, checked by hand on small
cases, and the scoring of one answer against its gold passage."""

from __future__ import annotations

import pytest

from clos.eval.domain import QARecord, holds_gold, is_correct, refusal_quality, summarize
from clos.eval.funnel import STAGES, auroc, aurc, first_loss, funnel, risk_coverage, sample_curve
from clos.eval.qa import QAQuestion, QASet
from clos.types import Answer, Citation, Timings, Usage


def stages(*held: bool) -> dict[str, bool]:
    return dict(zip(STAGES, held))


def test_funnel_counts_each_loss_once_at_its_first_stage():
    rows = [
        stages(True, True, True, True, True, True),     # all the way
        stages(True, True, False, True, True, True),    # lost at « top » (later stages held)
        stages(True, False, False, False, False, False),  # lost at « pool »
        stages(True, True, True, True, False, False),   # lost at « answer »
    ]
    out = {f["stage"]: f for f in funnel(rows)}
    assert [first_loss(r) for r in rows] == [None, "top", "pool", "answer"]
    assert out["read"]["reached"] == 1.0 and out["read"]["lost"] == 0
    assert out["pool"]["reached"] == 0.75 and out["pool"]["lost"] == 1
    assert out["top"]["reached"] == 0.5 and out["top"]["held"] == 0.5 and out["top"]["lost"] == 1
    assert out["prompt"]["held"] == 0.75 and out["prompt"]["reached"] == 0.5
    assert out["answer"]["reached"] == 0.25 and out["answer"]["lost"] == 1
    assert sum(f["lost"] for f in out.values()) == 3  # the three questions not answered right
    # A stage not measured (None) is skipped, not counted as lost.
    assert first_loss({"read": None, "pool": True, "top": False}) == "top"
    assert funnel([]) [0]["reached"] == 0.0


def test_auroc_by_hand():
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5, 0.5], [0.5]) == 0.5  # ties count one half
    # 3 positives × 2 negatives: pairs won 0.7>0.6, 0.7>0.2, 0.4>0.2, 0.3>0.2 → 4 of 6
    assert auroc([0.7, 0.4, 0.3], [0.6, 0.2]) == pytest.approx(4 / 6)
    assert auroc([], [0.1]) is None


def test_risk_coverage_and_its_area():
    points = risk_coverage([0.9, 0.8, 0.7, 0.1], [False, True, False, True])
    assert [(p["coverage"], p["risk"]) for p in points] == [
        (0.25, 0.0), (0.5, 0.5), (0.75, pytest.approx(1 / 3)), (1.0, 0.5)]
    assert aurc(points) == pytest.approx(0.25 * 0 + 0.25 * 0.5 + 0.25 / 3 + 0.25 * 0.5)
    # Equal confidences enter together.
    tied = risk_coverage([0.5, 0.5, 0.2], [True, False, False])
    assert [(p["coverage"], p["risk"]) for p in tied] == [(pytest.approx(2 / 3), 0.5),
                                                          (1.0, pytest.approx(1 / 3))]
    assert [p["target"] for p in sample_curve(points, steps=4)] == [0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError):
        risk_coverage([0.1], [])


def _answer(text: str, *, refused=False, source="/c/a.pdf", page=2, verified=False) -> Answer:
    cites = [] if refused else [Citation(n=1, source=source, page=page, quote=text, chunk_id=7)]
    return Answer(question="q", answer=text, refused=refused, citations=cites, model="m",
                  usage=Usage(), timings=Timings(), verified=verified)


def test_gold_passage_and_answer_scoring(tmp_path):
    qaset = QASet("t", tmp_path, ["c"], [])
    q = QAQuestion("a1", "Combien par repas ?", True, ["15,25 €", "15,25 euros"], "c/a.pdf", 2)
    gold_path = str(tmp_path / "c" / "a.pdf")
    assert holds_gold(gold_path, 2, None, "montant forfaitaire de 15,25€ par repas", qaset, q)
    assert holds_gold(gold_path, 1, 3, "15,25 euros", qaset, q)  # chunk across pages 1–3
    assert not holds_gold(gold_path, 3, None, "15,25 €", qaset, q)  # wrong page
    assert not holds_gold(str(tmp_path / "c" / "b.pdf"), 2, None, "15,25 €", qaset, q)
    assert not holds_gold(gold_path, 2, None, "35 % du coût total", qaset, q)
    assert is_correct(_answer("Le repas est remboursé 15,25 euros [1]."), q)
    assert not is_correct(_answer("35 % du coût total [1]."), q)
    assert not is_correct(_answer("15,25 €", refused=True), q)
    unanswerable = QAQuestion("u1", "Et à Toulouse ?", False)
    assert not is_correct(_answer("15,25 € [1]."), unanswerable)


def test_summary_and_refusal_quality_on_records():
    def rec(i, answerable, refused, correct, verified, conf, hard=False):
        return QARecord(id=i, question="q", answerable=answerable, hard_negative=hard, type="",
                        gold=[], file=None, page=None, refused=refused, correct=correct,
                        verified=verified, file_cited=correct, page_cited=correct,
                        signals={"relevance_max": conf, "decision.confidence": conf})

    records = [rec("a1", True, False, True, True, 0.9), rec("a2", True, False, False, True, 0.6),
               rec("a3", True, True, False, False, 0.3), rec("u1", False, True, False, False, 0.2,
                                                              hard=True),
               rec("u2", False, False, False, False, 0.7)]
    m = summarize(records)
    assert m["answer_correct"] == pytest.approx(1 / 3) and m["refusal_answerable"] == pytest.approx(1 / 3)
    assert m["refusal_unanswerable"] == 0.5 and m["refusal_hard_negative"] == 1.0
    assert m["wrong_answers"] == pytest.approx(2 / 5)   # a2 and u2 answered wrongly
    assert m["wrong_verified"] == pytest.approx(1 / 5)  # a2 shown « Réponse vérifiée »
    assert m["wrong_verified_of_answers"] == pytest.approx(1 / 3)
    scores, preferred, curve = refusal_quality(records)
    assert preferred == "decision.confidence"
    # answerable 0.9, 0.6, 0.3 vs unanswerable 0.2, 0.7: 4 pairs won of 6
    assert scores["decision.confidence"] == pytest.approx(4 / 6)
    assert curve[0] == {"coverage": 0.2, "risk": 0.0, "threshold": 0.9}
    assert curve[-1]["risk"] == pytest.approx(4 / 5)


def test_shown_verified_follows_the_pipeline_once_it_decides():
    from clos.eval.domain import shown_verified
    from clos.types import AnswerTrace

    plain = _answer("15,25 € [1].")
    assert shown_verified(plain)  # today: no sentence flagged → printed « Réponse vérifiée »
    plain.unsupported = [0]
    assert not shown_verified(plain)
    decided = _answer("15,25 € [1].")
    decided.trace = AnswerTrace()
    assert not shown_verified(decided)  # the pipeline said « À vérifier »
    decided.verified = True
    assert shown_verified(decided)
    assert not shown_verified(_answer("x", refused=True))
