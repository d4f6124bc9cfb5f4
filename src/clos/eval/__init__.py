"""Measured answer quality: question sets, retrieval and answer metrics, runners and reports."""

from clos.eval.answers import AnswersResult, run_answers
from clos.eval.datasets import EvalDocument, EvalQuestion, EvalSet, load
from clos.eval.report import markdown_table, metrics_table, write_json
from clos.eval.retrieval import RetrievalResult, run_retrieval

__all__ = [
    "AnswersResult", "EvalDocument", "EvalQuestion", "EvalSet", "RetrievalResult", "load",
    "markdown_table", "metrics_table", "run_answers", "run_retrieval", "write_json",
]
