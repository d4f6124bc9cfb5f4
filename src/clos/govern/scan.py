"""The dry run: what ingestion would find in some files, without indexing anything."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from clos.errors import IngestError
from clos.govern.governor import Governor, Review
from clos.govern.records import worst


def scan(paths: Iterable[str | Path], settings: Any, *, today: Any = None) -> dict[str, Any]:
    """Read the files under ``paths`` and report personal data, flags and the decision each would
    get under the settings' default policy. Nothing is written: no database, no index."""
    from clos.ingest import iter_files, read_document  # written by the ingestion stage

    governor = Governor(None, settings, None, today=today)
    files: list[dict[str, Any]] = []
    by_path: dict[str, dict[str, Any]] = {}
    errors: list[dict[str, str]] = []
    for path in iter_files([Path(p) for p in paths]):
        try:
            doc = read_document(Path(path))
        except IngestError as exc:
            errors.append({"path": str(path), "error": exc.reason})
            continue
        for part in [*doc.attachments, doc]:  # an e-mail's attachments are documents too
            review = governor.review(part)
            governor.record(review, None)
            entry = _entry(review)
            files.append(entry)
            by_path[entry["path"]] = entry
            # A newer copy met later retires the older one met earlier: update its entry too.
            for match in review.supersedes if review.decision != "exclude" else []:
                older = by_path.get(match.other.path)
                if older is not None:
                    action = governor.policy.action(match.kind)
                    older["flags"].append({"kind": match.kind, "reason": _reason(match, entry["path"])})
                    older["decision"] = worst(older["decision"], action)
    return {"files": files, "errors": errors, "summary": _summary(files, errors, governor)}


def _entry(review: Review) -> dict[str, Any]:
    findings = review.findings + review.allowed + review.public
    return {
        "path": review.document.path,
        "pii": [{"type": f.type, "start": f.start, "end": f.end, "text": f.text,
                 "confidence": round(f.confidence, 2), **({"role": f.role} if f.role else {})}
                for f in sorted(findings, key=lambda f: f.start)],
        "public_kept": len(review.public),
        "allowed": len(review.allowed),
        "flags": [{"kind": f.kind, "reason": f.reason} for f in review.flags],
        "decision": review.decision,
        "warnings": review.warnings,
        "pages": review.document.pages,
        "chars": review.chars,
    }


def _reason(match: Any, newer: str) -> str:
    from clos.govern.governor import _older_reason

    return _older_reason(match, newer)


def _summary(files: list[dict[str, Any]], errors: list[dict[str, str]], governor: Governor) -> dict[str, Any]:
    pii = Counter(p["type"] for f in files for p in f["pii"])
    flags = Counter(fl["kind"] for f in files for fl in f["flags"])
    decisions = Counter(f["decision"] for f in files)
    return {
        "files": len(files),
        "errors": len(errors),
        "decisions": dict(decisions),
        "pii": dict(sorted(pii.items())),
        # Private data only: names kept in a public role (issue 15) do not count.
        "files_with_pii": sum(1 for f in files if any(p.get("role") != "public" for p in f["pii"])),
        "public_names": sorted(governor.public_names()),
        "flags": dict(sorted(flags.items())),
        "policy": governor.policy.to_dict(),
    }
