"""Clos in a real browser (Debian's Chromium driven by Playwright, never a downloaded one) on a
real server on loopback: log in, upload, ask, open the citation, « comment cette réponse a été
produite », a refusal, another group's collection invisible, inert document text and file
names, keyboard and axe-core (vendored under tests/vendor, MPL-2.0) on every page.
Screenshots and the axe results go to test-artifacts/web/."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from clos.sourceview import quote_parts
from webserver import ARTIFACTS, PASSWORD, PDF_NAME, QUESTION, start

pytest.importorskip("playwright")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = __import__("pathlib").Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
REFUSAL_QUESTION = "Quelle est la couleur préférée du maire de Montpellier ?"
AXE_RESULTS: dict[str, list] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # The default embedder, as a user has it: « how it was made » then shows real dense scores.
    srv = start(tmp_path_factory.mktemp("web-browser"), CLOS_EMBEDDER="multilingual-e5-small")
    yield srv
    srv.stop()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    old = json.loads((ARTIFACTS / "axe.json").read_text()) if (ARTIFACTS / "axe.json").exists() else {}
    (ARTIFACTS / "axe.json").write_text(json.dumps({**old, **AXE_RESULTS}, ensure_ascii=False,
                                                   indent=1))


@pytest.fixture(scope="module")
def browser():
    if not __import__("os").path.exists(CHROMIUM):
        pytest.skip("Chromium absent (paquet Debian chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    # bypass_csp only so that axe can be injected: what stays inert does so by escaping alone.
    context = browser.new_context(base_url=server.url, bypass_csp=True, locale="fr-FR")
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    assert pg.dialogs == [], f"un script s'est exécuté : {pg.dialogs}"
    context.close()


def login(page, user: str) -> None:
    page.goto("/connexion")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/discuter"))


def axe(page, name: str) -> list[dict]:
    """Run axe-core (WCAG 2.1 A/AA rules, the automatable part of RGAA 4.1) on the page;
    returns its violations and fails on any serious or critical one."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    AXE_RESULTS[name] = found
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {bad}"
    return found


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_pages_are_accessible_keyboard_usable_and_inert(page, server):
    page.goto("/connexion")
    assert page.get_attribute("html", "lang") == "fr"
    axe(page, "connexion")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    page.fill("#name", "agent")
    page.fill("#password", "pas-le-bon")
    page.click("button[type=submit]")
    assert "incorrect" in page.inner_text("[role=alert]")
    login(page, "agent")
    shot(page, "discuter-vide")
    axe(page, "discuter")
    page.goto("/documents?collection=rh")
    evil = "<script>alert('contenu')</script> Note : la cantine ferme à 14 heures. " \
           "<img src=x onerror=alert('image')>"
    page.set_input_files("#files", [
        {"name": "<img src=x onerror=alert(1)>.txt", "mimeType": "text/plain",
         "buffer": evil.encode()},
        {"name": "<script>alert(2)<script>.exe", "mimeType": "application/octet-stream",
         "buffer": b"MZ"}])
    page.click("#upload-button")
    page.wait_for_selector("#upload-result")
    errors = page.inner_text("#upload-errors")
    assert "<script>alert(2)<script>.exe" in errors and "format non pris en charge" in errors
    assert page.locator("#documents td.name").count() == 1
    assert page.locator("img[src=x]").count() == 0 and page.locator("script:not([src])").count() == 0
    shot(page, "documents")
    axe(page, "documents")
    page.goto("/rapport?collection=rh")
    page.wait_for_selector("iframe.report")
    axe(page, "rapport")
    # Another group's collection does not exist for this user, on any page.
    options = page.locator("#collection-choice option").all_inner_texts()
    assert options and not any("finances" in o for o in options)
    page.click("#posture a")  # the footer's « À propos »: the posture (none chosen here)
    assert "aucune posture choisie" in page.inner_text("#posture-line")
    axe(page, "a-propos")
    page.goto("/rapport/contenu?collection=rh")  # the framed report, scanned as its own page
    axe(page, "rapport-contenu")
    shot(page, "rapport-contenu")
    page.goto("/discuter?collection=finances")
    assert "Collection inconnue" in page.inner_text("main")
    assert page.request.get("/v1/models").json()["data"] == [
        {"id": "rh", "object": "model", "created": 0, "owned_by": "clos"}]
    assert page.request.get("/sobriete").status == 404  # administrators only


def test_admin_pages_are_accessible(page, server):
    login(page, "admin")
    page.goto("/sobriete")
    page.wait_for_selector("iframe.report")
    axe(page, "sobriete")
    shot(page, "sobriete")
    page.goto("/sobriete/contenu")  # the framed dashboard (charts), scanned as its own page
    axe(page, "sobriete-contenu")
    shot(page, "sobriete-contenu")
    import make_pdfs

    admin = server.service.accounts.user("admin")  # a note naming someone (invented)
    server.service.upload(admin, "finances", [("aide.txt", make_pdfs.PRIVATE_TEXT.encode())])
    page.goto("/pseudonymes?collection=finances")
    assert make_pdfs.PRIVATE_SURNAME not in page.content()
    axe(page, "pseudonymes")
    page.fill("#reason", "Contrôle de la pseudonymisation")
    page.click("#reveal-button")
    page.wait_for_selector("#reveal-done")
    assert make_pdfs.PRIVATE_SURNAME in page.inner_text("#pseudonyms")
    axe(page, "pseudonymes-levee")
    shot(page, "pseudonymes-levee")
    page.goto("/journal")
    assert page.locator("#audit tbody tr").count() > 0
    axe(page, "journal")
    shot(page, "journal")
    page.click("a[hreflang=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("h1") == "Audit log"


def fr(value, digits: int = 3) -> str:
    """A score as the page writes it (French decimal comma, « — » when absent)."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",") if isinstance(value, float) else str(value)


def flat(text: str) -> str:
    return " ".join(text.split())


def check_trace_page(page, answer_id: str) -> None:
    """« Comment cette réponse a été produite » against the trace the pipeline stored for this
    real answer (``GET /api/answers/{id}``): every stage is there and shows what was stored."""
    trace = page.request.get(f"/api/answers/{answer_id}").json()["trace"]
    assert trace and trace["terms"] and trace["hits"] and trace["prompt"]["user"]
    assert trace["raw_output"].strip() and trace["sentences"] and trace["decision"]
    section = lambda name: page.locator(f"section[aria-labelledby={name}]")  # noqa: E731
    # 1. The question as analysed: its terms (stems), in the stored order.
    assert section("t-q").locator("code").all_inner_texts() == trace["terms"]
    # 2. Every hit with its lexical, dense and fused scores, and whether it went into the prompt.
    rows = section("t-hits").locator("tbody tr")
    assert rows.count() == len(trace["hits"])
    for i, hit in enumerate(trace["hits"]):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[0] == str(hit["rank"]) and cells[3:6] == [
            fr(hit["lexical_score"]), fr(hit["dense_score"]), fr(hit["score"])], (cells, hit)
        assert cells[7] == ("oui" if hit["in_prompt"] else "non")
    assert any(h["dense_score"] is not None for h in trace["hits"])  # the embedder was on
    assert any(h["in_prompt"] for h in trace["hits"])
    # 3–5. The excerpts as cut, the exact prompt, the raw output, verbatim.
    excerpts = section("t-ex").locator("pre").all_text_contents()
    assert [flat(e) for e in excerpts] == [flat(e["text"]) for e in trace["excerpts"]]
    prompt = section("t-prompt").locator("pre").all_inner_texts()
    assert [flat(p) for p in prompt] == [flat(trace["prompt"][k]) for k in ("system", "user")]
    assert QUESTION in prompt[1] and "<<<" in prompt[1]  # the question and fenced excerpts
    assert flat(section("t-raw").locator("pre").text_content()) == flat(trace["raw_output"])
    # 6. Each sentence's verification.
    rows = section("t-check").locator("tbody tr")
    assert rows.count() == len(trace["sentences"])
    for i, s in enumerate(trace["sentences"]):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert flat(cells[0]) == flat(s["text"])
        assert cells[1] == ("✔ oui" if s["supported"] else "✘ non")
    # 7. The decision, with its signals against their thresholds.
    decision = section("t-dec").inner_text()
    assert ("Refus" if trace["decision"]["refused"] else "Réponse donnée") in decision
    for name in (trace["decision"].get("signals") or {}):
        assert name in decision


@pytest.mark.slow
def test_ask_open_the_citation_see_how_and_get_a_refusal(page, server, shared):
    import pymupdf

    pdf = shared / "corpus" / "deliberations-montpellier" / "pdf" / PDF_NAME
    page.set_default_timeout(900_000)  # indexing and answering on a shared 2-core machine
    login(page, "agent")
    page.goto("/documents?collection=rh")
    page.set_input_files("#files", str(pdf))
    page.click("#upload-button")
    page.wait_for_selector("#upload-result", timeout=300_000)
    assert PDF_NAME in page.inner_text("#documents")
    # Searchable at once by its words; its vectors follow in the background. Ask once they are
    # there, as an agent coming back a minute later would: the retrieval is then the same
    # hybrid one from run to run, whatever ran before on the machine.
    assert server.service.vectors.wait_idle(600)

    page.goto("/discuter?collection=rh")
    assert page.get_attribute("#live", "aria-live") == "polite"
    page.evaluate("""() => { const d = document.getElementById('draft-text');
        window.draftSeen = '';
        new MutationObserver(() => { if (d.textContent) window.draftSeen = d.textContent; })
            .observe(d, {childList: true, characterData: true, subtree: true}); }""")
    page.fill("#question", QUESTION)
    page.click("#ask-button")
    # Tokens stream into the draft, then the checked answer replaces it. (Waiting for the draft
    # alone hung for 15 minutes when the model's text streamed nothing visible.)
    page.wait_for_selector("#draft-text:not(:empty), #history article.answer", timeout=900_000)
    if not page.is_hidden("#draft"):
        shot(page, "discuter-brouillon")
    article = page.wait_for_selector("#history article.answer", timeout=900_000)
    assert page.is_hidden("#draft")  # the checked answer replaced the draft
    draft = page.evaluate("window.draftSeen")
    assert draft.strip(), "aucun brouillon n'a été affiché pendant la génération"
    answer_id = article.get_attribute("id")[1:]
    status = article.get_attribute("class")
    assert "refused" not in status, article.inner_text()
    assert article.query_selector(".status strong").inner_text() in (
        "Réponse vérifiée", "Réponse partiellement étayée")
    for tag in article.query_selector_all(".unsupported .tag"):  # marked in words, not colour
        assert tag.inner_text() == "[Non étayé par les documents]"
    assert article.query_selector(".impact").inner_text().startswith("⚡")
    shot(page, "discuter-reponse")
    axe(page, "discuter-reponse")

    link = article.query_selector("a.source-link")
    assert PDF_NAME in link.inner_text()
    link.click()
    page.wait_for_selector("#page-image")
    shown = int(page.get_attribute("#page-title", "data-page"))
    quote = page.inner_text("blockquote.quote").strip("« »\n ")
    highlighted = page.locator("#highlights li").all_inner_texts()
    assert highlighted
    page.wait_for_function("(() => { const i = document.getElementById('page-image');"
                           " return i.complete && i.naturalWidth > 0; })()")
    with pymupdf.open(pdf) as doc:  # checked against the PDF itself, not against Clos
        on_page = " ".join(doc[shown - 1].get_text().split())
        assert any(doc[shown - 1].search_for(p) for p in quote_parts(quote))
    quote_words = set(re.findall(r"\w+", quote.lower()))
    for text in highlighted:
        assert " ".join(text.split()) in on_page  # highlighted words are on the page shown
        assert set(re.findall(r"\w+", text.lower())) <= quote_words  # and only the quote's
    shot(page, "source-pdf")
    axe(page, "source")

    page.goto("/discuter?collection=rh")  # (not go_back: a page restored from the
    page.click("#history article.answer .meta a")  # back-forward cache never fires "load")
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "Comment cette réponse a été produite"
    assert QUESTION in page.inner_text("main")
    page.click("section[aria-labelledby=t-prompt] summary")  # open the prompt, as a trainer would
    check_trace_page(page, answer_id)
    shot(page, "comment-produite")
    axe(page, "comment-produite")

    page.goto("/discuter?collection=rh")
    before = page.locator("#history article.answer").count()
    page.fill("#question", REFUSAL_QUESTION)
    page.click("#ask-button")
    page.wait_for_function(f"document.querySelectorAll('#history article.answer').length > {before}",
                           timeout=900_000)
    refusal = page.locator("#history article.answer").last
    assert "refused" in refusal.get_attribute("class")
    assert "Refus" in refusal.locator(".status").inner_text()
    shot(page, "discuter-refus")
    # The conversation is kept for this user, and for this user only.
    page.reload()
    assert page.locator("#history article.answer").count() == before + 1
    other = page.context.browser.new_context(base_url=server.url)
    p2 = other.new_page()
    login(p2, "autre")
    assert QUESTION not in p2.content()
    refusal_id = refusal.get_attribute("id")[1:]
    p2.goto(f"/reponses/{refusal_id}/comment")
    assert "Réponse inconnue" in p2.inner_text("main")
    other.close()
