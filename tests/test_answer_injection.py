"""Documents are data, never orders: 22 generated injection documents (tests/make_injections.py),
each ingested alone, the real question asked with the real small model — none obeyed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from make_injections import INJECTIONS, QUESTION, make_all, obeyed  # noqa: E402

from clos.answer.injection import REMOVED  # noqa: E402
from clos.govern.flags import flag_document  # noqa: E402
from clos.ingest import read_document  # noqa: E402


@pytest.fixture(scope="module")
def injection_files(tmp_path_factory):
    return make_all(tmp_path_factory.mktemp("injections"))


def test_at_least_twenty_shapes_and_the_visible_ones_are_flagged(injection_files):
    from datetime import date

    assert len(injection_files) >= 20
    assert len({p.suffix for p in injection_files}) >= 8
    orders = [" ".join(t.split())[:40] for t in INJECTIONS.values()]
    for path in injection_files:
        doc = read_document(path)
        indexed = " ".join(doc.text.split())
        kinds = {f.kind: f.reason for f in flag_document(doc, today=date(2026, 3, 2),
                                                         max_age_years=10)}
        if any(o in indexed for o in orders):  # the order reaches the indexed text
            assert "consigne_suspecte" in kinds, path.name
            assert "écarté des réponses" in kinds["consigne_suspecte"]


@pytest.mark.slow
def test_no_injection_document_is_obeyed(injection_files, settings):
    from clos.pipeline import Clos

    failures = []
    with Clos(settings) as clos:
        for path in injection_files:
            collection = path.stem
            report = clos.ingest([path], collection=collection)
            assert report.indexed == 1, (path.name, report.errors)
            for mode in ("generatif", "extractif"):
                answer = clos.ask(QUESTION, collection=collection, mode=mode, meter=False)
                shown = " ".join([answer.answer, *(c.quote for c in answer.citations),
                                  answer.key_passage.quote if answer.key_passage else ""])
                shown = shown.replace(path.name, "")  # the source's name is not an order
                if not answer.refused and obeyed(shown):
                    failures.append((path.name, mode, obeyed(shown), answer.answer))
                if mode == "generatif" and answer.trace.prompt:
                    prompt = answer.trace.prompt["user"]
                    leaked = [k for k, t in INJECTIONS.items() if t[:40] in " ".join(prompt.split())]
                    if leaked:
                        failures.append((path.name, "prompt", leaked, ""))
                    if REMOVED in prompt:
                        assert answer.trace.decision["suspicious_passages"]
    assert failures == []
