"""Reading bench (issue 12): is each PDF fault read right, how well and how fast OCR reads, and
what the layout-aware reading costs against PyMuPDF's plain text extraction.

    python bench/bench_reading.py [--quick]

1. Fault kinds: for each kind, inputs built by tests/make_pdfs.py (several variants: font
   sizes, margins) and real deliberations, and how many are read right.
2. OCR: real deliberation pages rasterised at 200 dpi into image-only PDFs, read back;
   character accuracy (1 − normalised Levenshtein distance on whitespace-normalised text,
   against the reader's own text-layer reading) and pages/s, for pytesseract (what Clos uses)
   and PyMuPDF's OCR hook (``Page.get_textpage_ocr``, compared, not used).
3. Speed: pages/s of ``read_document`` against ``page.get_text()`` on the same deliberations
   (best of 3 runs each); the ratio's goal is ≥ 0.5.
Writes bench/results/reading.json.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, SHARED, table, write

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

import make_pdfs  # noqa: E402
import pymupdf  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from clos.ingest import chunk_document, read_document  # noqa: E402

DELIBERATIONS = SHARED / "corpus" / "deliberations-montpellier" / "pdf"
DEMO = DELIBERATIONS / "2014-04-24-0000071251.pdf"


def accuracy(read: str, reference: str) -> float:
    return 1.0 - Levenshtein.normalized_distance(" ".join(read.split()), " ".join(reference.split()))


def body(doc) -> str:
    return "\n".join(s.text for s in doc.sections)


# ----------------------------------------------------------------------------- checks
def check_two_columns(doc) -> bool:
    text = " ".join(body(doc).split())
    return " ".join(make_pdfs.LEFT_STORY.split()) in text and " ".join(make_pdfs.RIGHT_STORY.split()) in text


def check_broken_words(doc) -> bool:
    text = body(doc)
    words = ("subvention", "Patrimoine", "Jean-Pierre", "LEVY-RAMEAU", "remboursement", "financement",
             "vérifiés", "effectifs", "suffisants", "affluents", "versé")
    return all(w in text for w in words) and not re.search(r"\u00ad|[\ufb00-\ufb06]|subven\b", text)


def check_running_report(doc) -> bool:
    text = body(doc)
    return ("Page 2 / 5" not in text and make_pdfs.REPORT_TITLE not in text
            and doc.title == make_pdfs.REPORT_TITLE)


def check_stamped(doc) -> bool:
    return ("Accusé de réception" not in body(doc) and doc.metadata.get("acte_id") == make_pdfs.STAMP_ID
            and doc.metadata.get("prefecture_sent") == "2025-01-10")


def check_heading_at_break(doc) -> bool:
    chunk = next((c for c in chunk_document(doc) if "17,50" in c.text), None)
    return bool(chunk and "A) Remboursement des repas" in chunk.text
                and chunk.page_for("montant forfaitaire de 17,50") == 2)


def check_ruled_table(doc) -> bool:
    tables = [s for s in doc.sections if s.kind == "table"]
    return bool(tables) and tables[0].text.split("\n") == [" | ".join(r) for r in make_pdfs.TABLE]


def check_hidden_text(doc) -> bool:
    hidden = {s.text for s in doc.hidden}
    return ("99 000" not in body(doc) and make_pdfs.HIDDEN_WHITE in hidden
            and make_pdfs.HIDDEN_TINY in hidden and make_pdfs.HIDDEN_OUTSIDE in hidden
            and make_pdfs.BANNER in body(doc))


def check_mixed_scan(doc) -> bool:
    page = " ".join(s.text for s in doc.sections if s.page == 2)
    return "3,80 euros" in page and any(n.kind == "ocr" and n.page == 2 for n in doc.notes)


CHECKS = {"two_columns": check_two_columns, "broken_words": check_broken_words,
          "running_report": check_running_report, "stamped": check_stamped,
          "heading_at_break": check_heading_at_break, "ruled_table": check_ruled_table,
          "hidden_text": check_hidden_text, "mixed_scan": check_mixed_scan}


def real_checks(files: list[Path]) -> list[list]:
    """Fault kinds on the real deliberations: stamp out of the text and into metadata, no word
    lost against the plain text layer, the demo chunk found with its heading and page."""
    stamp_ok = words_ok = 0
    for path in files:
        doc = read_document(path)
        if "Accusé de réception" not in body(doc) and doc.metadata.get("acte_id"):
            stamp_ok += 1
        with pymupdf.open(path) as pdf:
            raw = " ".join(page.get_text() for page in pdf)
        read = set(re.findall(r"\w+", body(doc)))
        stamp = set(re.findall(r"\w+", "Accusé de réception Ministère de l'intérieur Acte Certifié "
                                       f"exécutoire Envoi Préfecture Réception en {doc.metadata.get('acte_id', '')}"))
        lost = {w for w in re.findall(r"\w+", raw) if w not in read and w not in stamp and not w.isdigit()}
        words_ok += not lost
    demo = chunk_document(read_document(DEMO))
    chunk = next((c for c in demo if "15,25€" in c.text), None)
    demo_ok = bool(chunk and "A) Remboursement des repas du midi et du soir" in chunk.text
                   and chunk.page_for("montant forfaitaire de 15,25€") == 2)
    return [["stamp → metadata (deliberations)", len(files), stamp_ok],
            ["no word lost vs text layer (deliberations)", len(files), words_ok],
            ["heading across page break (demo deliberation)", 1, int(demo_ok)]]


# ----------------------------------------------------------------------------- OCR
def ocr_bench(files: list[Path], pages_per_file: int) -> dict:
    from clos.ingest import ocr as ocr_module

    results: dict = {"pages": 0, "clos": {"acc": [], "s": 0.0}, "pymupdf_hook": {"acc": [], "s": 0.0}}
    tessdata = "/usr/share/tesseract-ocr/5/tessdata"
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            reference = read_document(path)
            pages = list(range(1, min(pages_per_file, reference.pages or 1) + 1))
            scan = make_pdfs.image_only_pdf(path, Path(tmp) / path.name, dpi=200, pages=pages)
            start = time.perf_counter()
            doc = read_document(scan)
            results["clos"]["s"] += time.perf_counter() - start
            with pymupdf.open(scan) as pdf, pymupdf.open(path) as original:
                for number in pages:
                    expected = " ".join(s.text for s in reference.sections if s.page == number)
                    got = " ".join(s.text for s in doc.sections if s.page == number)
                    results["clos"]["acc"].append(accuracy(got, expected))
                    start = time.perf_counter()
                    page = pdf[number - 1]
                    textpage = page.get_textpage_ocr(language="fra", dpi=ocr_module.OCR_DPI,
                                                     full=True, tessdata=tessdata)
                    hook = page.get_text(textpage=textpage)
                    results["pymupdf_hook"]["s"] += time.perf_counter() - start
                    # Each engine against the text layer read the same way: the hook's plain
                    # text against get_text(), Clos's reading against Clos's reading.
                    results["pymupdf_hook"]["acc"].append(accuracy(hook, original[number - 1].get_text()))
                    results["pages"] += 1
    return results


# ----------------------------------------------------------------------------- speed
def speed(files: list[Path]) -> dict:
    pages = 0
    for f in files:
        with pymupdf.open(f) as pdf:
            pages += pdf.page_count

    def best(run) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    def raw() -> None:
        for f in files:
            with pymupdf.open(f) as pdf:
                for page in pdf:
                    page.get_text()

    read_document(files[0])
    raw_s = best(raw)
    layout_s = best(lambda: [read_document(f) for f in files])
    return {"files": len(files), "pages": pages, "raw_pages_s": pages / raw_s,
            "layout_pages_s": pages / layout_s, "ratio": raw_s / layout_s}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer variants, files and OCR pages")
    args = parser.parse_args()
    if not DELIBERATIONS.is_dir():
        sys.exit(f"Dossier partagé absent : {DELIBERATIONS} (CLOS_SHARED_DIR)")
    variants = 3 if args.quick else 6
    files = sorted(DELIBERATIONS.glob("*.pdf"))
    sample = files[:25] if args.quick else files

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, build in make_pdfs.BUILDERS.items():
            right = 0
            for variant in range(variants):
                doc = read_document(build(Path(tmp) / f"{kind}-{variant}.pdf", variant))
                right += bool(CHECKS[kind](doc))
            rows.append([f"{kind} (generated)", variants, right])
    rows += real_checks(sample)
    faults = table("Lecture des PDF : fautes de lecture (entrées essayées, lues juste)",
                   ["fault kind", "inputs", "read right"], rows)

    ocr_files = [DEMO] + ([] if args.quick else files[1:4])
    ocr = ocr_bench(ocr_files, 2 if args.quick else 3)
    n = ocr["pages"]
    ocr_rows = []
    for name, label in (("clos", "pytesseract (Clos)"), ("pymupdf_hook", "PyMuPDF get_textpage_ocr")):
        acc = ocr[name]["acc"]
        ocr_rows.append([label, n, sum(acc) / len(acc), min(acc), n / ocr[name]["s"]])
    ocr_table = table("OCR de pages de délibérations numérisées à 200 dpi",
                      ["engine", "pages", "mean char accuracy", "min char accuracy", "pages/s"], ocr_rows)

    figures = speed(sample)
    speed_table = table("Vitesse : lecture avec mise en page vs get_text() brut",
                        ["files", "pages", "raw pages/s", "layout pages/s", "ratio (goal ≥ 0.5)"],
                        [[figures["files"], figures["pages"], figures["raw_pages_s"],
                          figures["layout_pages_s"], figures["ratio"]]])
    write("reading", {
        "quick": args.quick, "cpus": os.cpu_count(),
        "faults": [dict(zip(["kind", "inputs", "read_right"], r)) for r in rows],
        "ocr": {"pages": n, "dpi": 200, **{k: {"mean_accuracy": sum(v["acc"]) / len(v["acc"]),
                                                 "min_accuracy": min(v["acc"]), "pages_per_s": n / v["s"]}
                                             for k, v in ocr.items() if k != "pages"}},
        "speed": figures,
        "tables": [faults, ocr_table, speed_table],
    })


if __name__ == "__main__":
    main()
