"""Pseudonymise what goes to a server, restore what comes back (the raisonnée posture).

The same detectors as the index (``govern.pii``: checksummed identifiers, then names with
spaCy) replace personal data in the prompt by placeholders ``[PERSONNE_n]``; numbering starts
after the placeholders the text already holds (the index's own), so the two never collide. The
mapping stays in memory for one request: the answer's placeholders are put back locally, and the
server never sees the original values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Callable

from clos.llm.protocol import Generation, Prompt

PLACEHOLDER = re.compile(r"\[([A-Z_]+?)_(\d+)\]")


class Shield:
    """One request's mapping: ``hide`` texts, then ``reveal`` the server's reply."""

    def __init__(self) -> None:
        self.originals: dict[str, str] = {}  # placeholder → original value

    def hide(self, texts: Sequence[str]) -> list[str]:
        from clos.govern.pii import detect_many, normalise

        texts = list(texts)
        found = detect_many(texts, names=True)
        taken: dict[str, int] = {}
        for text in texts:
            for kind, n in PLACEHOLDER.findall(text):
                taken[kind] = max(taken.get(kind, 0), int(n))
        by_value: dict[tuple[str, str], str] = {}
        out = []
        for text, findings in zip(texts, found):
            pieces, cursor = [], 0
            for f in sorted(findings, key=lambda f: f.start):
                if f.start < cursor:
                    continue
                key = (f.type, normalise(f.type, f.text))
                if key not in by_value:
                    taken[f.type] = taken.get(f.type, 0) + 1
                    by_value[key] = f"[{f.type}_{taken[f.type]}]"
                    self.originals[by_value[key]] = f.text
                pieces += [text[cursor:f.start], by_value[key]]
                cursor = f.end
            out.append("".join(pieces) + text[cursor:])
        return out

    def reveal(self, text: str) -> str:
        if not self.originals:
            return text
        return PLACEHOLDER.sub(lambda m: self.originals.get(m.group(0), m.group(0)), text)

    def streaming(self, on_token: Callable[[str], None]) -> tuple[Callable[[str], None], Callable[[], None]]:
        """(feed, flush): tokens restored as they come, a placeholder split across tokens held
        back until its closing bracket (or 40 characters) arrives."""
        held = [""]

        def feed(piece: str) -> None:
            buffer = held[0] + piece
            cut = buffer.rfind("[")
            if cut != -1 and "]" not in buffer[cut:] and len(buffer) - cut < 40:
                ready, held[0] = buffer[:cut], buffer[cut:]
            else:
                ready, held[0] = buffer, ""
            if ready:
                on_token(self.reveal(ready))

        def flush() -> None:
            if held[0]:
                on_token(self.reveal(held[0]))
                held[0] = ""

        return feed, flush


class ShieldedLLM:
    """An LLM client whose prompts leave pseudonymised and whose answers come back restored."""

    def __init__(self, inner) -> None:
        self.inner, self.name = inner, inner.name
        self.base_url = getattr(inner, "base_url", "")

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def generate(self, prompt: Prompt, *, max_tokens: int, temperature: float,
                 on_token: Callable[[str], None] | None = None) -> Generation:
        shield = Shield()
        parts = [prompt.system, prompt.user] + ([prompt.completion] if prompt.completion else [])
        hidden = shield.hide(parts)
        safe = Prompt(system=hidden[0], user=hidden[1],
                      completion=hidden[2] if prompt.completion else None)
        feed, flush = shield.streaming(on_token) if on_token else (None, None)
        gen = self.inner.generate(safe, max_tokens=max_tokens, temperature=temperature,
                                  on_token=feed)
        if flush:
            flush()
        gen.text = shield.reveal(gen.text)
        return gen

    def close(self) -> None:
        self.inner.close()


class ShieldedEmbedder:
    """An embeddings client that sends pseudonymised texts (vectors need no restoring)."""

    def __init__(self, inner) -> None:
        self.inner, self.name = inner, inner.name
        self.base_url = getattr(inner, "base_url", "")

    def embed_passages(self, texts: Sequence[str]):
        return self.inner.embed_passages(Shield().hide(texts) if texts else texts)

    def embed_query(self, text: str):
        return self.inner.embed_query(Shield().hide([text])[0])

    def close(self) -> None:
        self.inner.close()
