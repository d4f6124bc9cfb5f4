"""A chunk that runs across a page break keeps both pages and its page starts through each
store backend (migration 005), so a quote of it cites the page it is on."""

from __future__ import annotations

from clos.retrieve.analyzer import analyze
from clos.types import Chunk, Document, Section

from test_store_contract import pg_url, store, target  # noqa: F401  (both backends)


def test_chunk_pages_round_trip(store):
    text = "A) Remboursement des repas :\n\n- montant forfaitaire de 15,25 € par repas"
    start = text.index("- montant")
    doc = Document(path="/frais.pdf", title="Frais", format="pdf", sections=[Section(text, 1)],
                   content_hash="h-frais")
    chunk = Chunk(text=text, ordinal=0, page=2, heading_path=("A) Remboursement des repas :",),
                  tokens=20, page_end=2, page_starts=((0, 1), (start, 2)))
    one_page = Chunk(text="Les nuitées sont remboursées 60 €.", ordinal=1, page=3, heading_path=(),
                     tokens=10)
    cid = store.collection_id("frais")
    terms = [(" ".join(analyze(c.text)), "") for c in (chunk, one_page)]
    store.replace_document(cid, doc, [chunk, one_page], terms, size=100)
    hit = store.search(cid, " OR ".join(f'"{t}"' for t in analyze("repas forfaitaire")), 5)[0]
    assert (hit.page, hit.page_end, hit.page_starts) == (2, 2, ((0, 1), (start, 2)))
    assert hit.page_for("montant forfaitaire de 15,25 €") == 2
    assert hit.page_for("A) Remboursement des repas") == 1
    other = store.hits([one_page.id])[0]
    assert (other.page, other.page_end, other.page_starts) == (3, None, ())
