"""The source view never shows in clear what the index pseudonymised: a generated deliberation
(invented content) names a private person; it is uploaded and governed for real, an answer of
the agent cites its passage, and the cited page is read over HTTP from the real server as the
agent sees it. The served PNG is read back by Tesseract (OCR: what a reader of the image sees),
the page's HTML and its text view are searched for the name; the highlight must still land on
the cited words. An administrator may see the page unmasked, and that reveal is audited."""

from __future__ import annotations

import re

import pytest

import make_pdfs
from clos.ingest import ocr as ocr_module
from clos.sourceview import quote_parts
from clos.types import Answer, Citation, Timings, Usage
from webserver import ARTIFACTS, csrf_of, session, start

NAME_WORDS = (make_pdfs.PRIVATE_FIRST, make_pdfs.PRIVATE_SURNAME)
ABSENT_QUOTE = "Cette phrase ne figure nulle part dans la délibération citée."


@pytest.fixture(scope="module")
def cited(tmp_path_factory):
    """The server, the PDF and a stored answer of « agent » citing (1) the passage holding the
    name and (2) a quote the page does not hold (the page's text view)."""
    folder = tmp_path_factory.mktemp("prive")
    pdf = make_pdfs.private_person(folder / "aide-renovation.pdf")
    srv = start(tmp_path_factory.mktemp("web-privacy"))
    try:
        service = srv.service
        admin = service.accounts.user("admin")
        assert service.upload(admin, "rh", [(pdf.name, pdf.read_bytes())])["indexed"] == [pdf.name]
        cid = service.store.collection_id("rh")
        (doc,) = [d for d in service.store.documents(cid) if d["path"].endswith(pdf.name)]
        chunks = service.store.document_chunks(doc["id"])
        chunk = next(c for c in chunks if "Arceaux" in c["text"])
        for word in NAME_WORDS:  # governed: the index holds placeholders, not the name
            assert word not in " ".join(c["text"] for c in chunks)
        match = re.search(r"une aide exceptionnelle .*? des Arceaux", chunk["text"])
        quote = match.group()
        assert "[PERSONNE_" in quote, quote
        answer = Answer(
            question="Quelle aide est accordée pour la rénovation du logement ?",
            answer="Une aide exceptionnelle de 1 200 euros [1].", refused=False,
            model="test", usage=Usage(0, 0), timings=Timings(0, 0, 0),
            citations=[Citation(1, doc["path"], chunk["page"], quote, chunk["chunk_id"]),
                       Citation(2, doc["path"], chunk["page"], ABSENT_QUOTE,
                                chunk["chunk_id"])])
        answer.id = service.store.log_answer(cid, answer)
        from clos.service import answer_payload

        service.store.save_conversation_answer(answer.id, "agent", cid, answer_payload(answer))
        yield srv, pdf, answer.id, quote
    finally:
        srv.stop()


def ocr(png: bytes) -> str:
    import io

    import pytesseract
    from PIL import Image

    return pytesseract.image_to_string(Image.open(io.BytesIO(png)), lang="fra")


def highlighted_pixels(png: bytes, pdf, quote: str, zoom: float = 1.5) -> float:
    """Share of yellow-tinted pixels inside the boxes where the quote's parts stand in the PDF
    itself (PyMuPDF on the file, not Clos's own boxes)."""
    import pymupdf

    with pymupdf.open(pdf) as doc:
        rects = [r for p in quote_parts(quote) for r in doc[0].search_for(p)]
    assert rects
    pix = pymupdf.Pixmap(png)
    yellow = total = 0
    for r in rects:
        for y in range(int(r.y0 * zoom) + 1, int(r.y1 * zoom) - 1, 2):
            for x in range(int(r.x0 * zoom) + 1, int(r.x1 * zoom) - 1, 3):
                red, green, blue = pix.pixel(x, y)[:3]
                total += 1
                yellow += red > 180 and green > 150 and blue < 150
    return yellow / total


def test_cited_page_hides_the_pseudonymised_name_and_keeps_the_highlight(cited):
    srv, pdf, answer_id, quote = cited
    with session(srv, "agent") as agent:
        html = agent.get(f"/source/{answer_id}/1").text
        for word in NAME_WORDS:
            assert word not in html
        assert "donnée(s) personnelle(s) masquée(s)" in html and "reveler=1" not in html
        highlights = re.findall(r"<li><mark>(.*?)</mark></li>", html, re.S)
        assert highlights
        quote_words = set(re.findall(r"\w+", quote.lower()))
        for text in highlights:  # the highlighted words are the quote's, on the page
            assert set(re.findall(r"\w+", text.lower())) <= quote_words, text
        r = agent.get(f"/source/{answer_id}/1/page.png")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        png = r.content
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "source-page-masquee.png").write_bytes(png)
        assert highlighted_pixels(png, pdf, quote) > 0.5  # the yellow mark on the cited words
        # Not for this user: the unmasked page.
        r = agent.get(f"/source/{answer_id}/1?reveler=1")
        assert r.status_code == 404 and "réservée aux administrateurs" in r.text
        assert agent.get(f"/source/{answer_id}/1/page.png?reveler=1").status_code == 404
        # A quote not found on the page: its text is shown, placeholders instead of the name.
        html = agent.get(f"/source/{answer_id}/2").text
        page_text = re.search(r'<pre class="page-text">(.*?)</pre>', html, re.S).group(1)
        assert "Arceaux" in page_text and "[PERSONNE_" in page_text
        for word in NAME_WORDS:
            assert word not in html
    # What a reader of the image sees (Tesseract on the served PNG): the page, not the name.
    reason = ocr_module.tesseract_status("fra")
    if reason is not None:
        pytest.skip(f"lecture de l'image impossible : {reason}")
    seen = ocr(png)
    assert "factures acquittées" in seen and "habitat" in seen  # OCR reads the page…
    for word in NAME_WORDS:
        assert word not in seen  # …and finds no trace of the name
    with session(srv, "admin") as admin:  # the control: unmasked, OCR does read the name
        r = admin.get(f"/source/{answer_id}/1?reveler=1")
        assert r.status_code == 200 and "levée est inscrite au journal" in r.text
        unmasked = ocr(admin.get(f"/source/{answer_id}/1/page.png?reveler=1").content)
        assert make_pdfs.PRIVATE_SURNAME in unmasked
    reveals = [e for e in srv.service.accounts.audit_log(user="admin") if e["action"] == "reveal"]
    assert reveals and reveals[0]["detail"]["answer_id"] == answer_id


def test_reveal_page_for_administrators_only_with_a_reason_in_the_log(cited):
    srv, _, _, _ = cited
    with session(srv, "agent") as agent:
        r = agent.get("/pseudonymes")
        assert r.status_code == 404 and "réservée aux administrateurs" in r.text
        r = agent.post("/pseudonymes", data={"collection": "rh", "reason": "curiosité",
                                             "csrf_token": csrf_of(agent.get("/discuter").text)})
        assert r.status_code == 404 and make_pdfs.PRIVATE_SURNAME not in r.text
    with session(srv, "admin") as admin:
        page = admin.get("/pseudonymes?collection=rh").text
        assert make_pdfs.PRIVATE_SURNAME not in page  # nothing shown before the request
        r = admin.post("/pseudonymes", data={"collection": "rh",
                                             "reason": "Demande d'accès de l'intéressée",
                                             "csrf_token": csrf_of(page)})
        assert r.status_code == 200
        row = re.search(r"<tr><td><code>(\[PERSONNE_\d+\])</code></td><td>PERSONNE</td>"
                        r"<td>([^<]*Kervadec[^<]*)</td>", r.text)
        assert row, r.text
    (entry,) = [e for e in srv.service.accounts.audit_log(user="admin")
                if e["action"] == "reveal" and "reason" in e["detail"]]
    assert entry["detail"]["reason"] == "Demande d'accès de l'intéressée"
    assert entry["detail"]["count"] >= 1


def test_a_scanned_page_with_personal_data_is_not_shown_as_an_image(cited, tmp_path):
    """A scan has its names in its pixels, where no text search finds them: the cited page's
    image is withheld and the indexed (pseudonymised) passage is shown instead."""
    reason = ocr_module.tesseract_status("fra")
    if reason is not None:
        pytest.skip(f"OCR impossible : {reason}")
    srv, pdf, _, _ = cited
    scan = make_pdfs.image_only_pdf(pdf, tmp_path / "aide-renovation-scan.pdf")
    service = srv.service
    admin = service.accounts.user("admin")
    assert service.upload(admin, "rh", [(scan.name, scan.read_bytes())])["indexed"] == [scan.name]
    cid = service.store.collection_id("rh")
    (doc,) = [d for d in service.store.documents(cid) if d["path"].endswith(scan.name)]
    chunk = next(c for c in service.store.document_chunks(doc["id"]) if "Arceaux" in c["text"])
    assert "[PERSONNE_" in chunk["text"]  # read by OCR, then pseudonymised
    quote = re.search(r"domiciliée dans le quartier des Arceaux", chunk["text"]).group()
    answer = Answer(question="Où est domiciliée la bénéficiaire ?", answer="Aux Arceaux [1].",
                    refused=False, model="test", usage=Usage(0, 0), timings=Timings(0, 0, 0),
                    citations=[Citation(1, doc["path"], chunk["page"], quote,
                                        chunk["chunk_id"])])
    answer.id = service.store.log_answer(cid, answer)
    from clos.service import answer_payload

    service.store.save_conversation_answer(answer.id, "agent", cid, answer_payload(answer))
    with session(srv, "agent") as agent:
        html = agent.get(f"/source/{answer.id}/1").text
        assert 'id="withheld"' in html and "page-image" not in html
        assert "<mark>domiciliée dans le quartier des Arceaux</mark>" in html
        for word in NAME_WORDS:
            assert word not in html
        assert agent.get(f"/source/{answer.id}/1/page.png").status_code == 404
