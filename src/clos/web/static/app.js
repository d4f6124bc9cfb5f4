// Clos — progressive enhancement of the « Discuter » form: the question is sent to /api/ask as
// a stream (SSE over fetch); the queue position and the model's draft show in a live region;
// then the checked answer (rendered by the server) replaces the draft. Without JavaScript the
// form posts and the page reloads with the answer. Text from the server is only ever set with
// textContent or parsed from our own server-rendered fragment: nothing a document says runs.
"use strict";
(function () {
  const form = document.getElementById("ask");
  if (!form || !window.fetch || !window.TextDecoder) return;
  const status = document.getElementById("status");
  const draftBox = document.getElementById("draft");
  const draft = document.getElementById("draft-text");
  const history = document.getElementById("history");
  const button = document.getElementById("ask-button");
  const say = (text) => { status.textContent = text; };
  // The session's CSRF token (web/csrf.py), sent back with every state-changing request.
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";

  async function show(answerId) {
    const res = await fetch("/reponses/" + encodeURIComponent(answerId) + "/fragment",
                            { credentials: "same-origin" });
    const html = await res.text();
    const doc = new DOMParser().parseFromString(html, "text/html");
    const article = doc.querySelector("article.answer");
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
    if (article) history.appendChild(document.adoptNode(article));
    draftBox.hidden = true;
    draft.textContent = "";
    say("");
    const heading = article && article.querySelector("h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }

  function handle(event, data) {
    if (event === "queue") {
      say(data.position > 0 ? form.dataset.queue.replace("{n}", data.position) : form.dataset.running);
    } else if (event === "token") {
      draftBox.hidden = false;
      draft.textContent += data.text;
    } else if (event === "answer") {
      say(form.dataset.checking);
      return show(data.id);
    } else if (event === "error") {
      draftBox.hidden = true;
      say(data.message);
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const question = form.question.value.trim();
    if (!question) return;
    button.disabled = true;
    draft.textContent = "";
    try {
      const res = await fetch("/api/ask", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "text/event-stream",
                   "X-CSRF-Token": csrf },
        body: JSON.stringify({ question: question, collection: form.collection.value, stream: true }),
      });
      if (!res.ok) {
        let message = res.statusText;
        try { message = (await res.json()).detail || message; } catch (_) { /* keep status */ }
        say(message);
        return;
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) await handle(event, JSON.parse(data));
        }
      }
      form.question.value = "";
    } catch (err) {
      say(String(err));
    } finally {
      button.disabled = false;
    }
  });
})();
