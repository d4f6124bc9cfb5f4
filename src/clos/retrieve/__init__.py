"""Retrieval stage: the French analyzer and the retrievers."""

from clos.retrieve.analyzer import analyze
from clos.retrieve.lexical import LexicalRetriever, diversify

__all__ = ["LexicalRetriever", "analyze", "diversify"]
