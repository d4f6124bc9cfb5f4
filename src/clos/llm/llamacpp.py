"""Embedded llama.cpp backend (llama-cpp-python), with the model loaded once per process.

The fixed system prompt comes first so llama.cpp's prefix matching reuses its KV cache from one
question to the next within a process.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import pickle
import time
from pathlib import Path
from typing import Callable

from clos.errors import GenerationError, ModelError
from clos.llm.protocol import Generation, Prompt
from clos.llm.registry import ModelSpec

_LOADED: dict[tuple, "LlamaCppLLM"] = {}


@atexit.register
def _close_all() -> None:
    # Closing at interpreter exit, after llama.cpp's module globals are gone, raises noise.
    for llm in list(_LOADED.values()):
        llm.close()
    _LOADED.clear()


def chatml(prompt: Prompt) -> str:
    return (
        f"<|im_start|>system\n{prompt.system}<|im_end|>\n"
        f"<|im_start|>user\n{prompt.user}<|im_end|>\n<|im_start|>assistant\n"
    )


class StopScanner:
    """Applies stop sequences to streamed text, ignoring leading blank lines: base models often
    open with "\n\n", which must not end an answer that has not started. Text that could be the
    start of a stop sequence is held back until it is known not to be one."""

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.hold = max((len(s) for s in self.stops), default=1) - 1
        self.text = ""
        self.emitted = 0
        self.stopped = False

    def feed(self, piece: str) -> str:
        if self.stopped:
            return ""
        if not self.text:
            piece = piece.lstrip()
        self.text += piece
        cut = min((i for i in (self.text.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.text = self.text[:cut].rstrip()
            self.stopped = True
            return self._emit(len(self.text))
        return self._emit(max(self.emitted, len(self.text) - self.hold))

    def flush(self) -> str:
        self.text = self.text.rstrip()
        return self._emit(len(self.text))

    def _emit(self, upto: int) -> str:
        ready = self.text[self.emitted:upto]
        self.emitted = max(self.emitted, upto)
        return ready


class LlamaCppLLM:
    def __init__(self, spec: ModelSpec, path: Path, *, n_ctx: int, n_threads: int, seed: int,
                 state_dir: Path | None = None) -> None:
        if n_ctx < 256:
            raise ModelError("La fenêtre de contexte doit faire au moins 256 jetons.")
        self.spec = spec
        self.name = spec.name
        self.path = Path(path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.state_dir = Path(state_dir) if state_dir else None
        self._llm = None

    @classmethod
    def shared(cls, spec: ModelSpec, path: Path, *, n_ctx: int, n_threads: int, seed: int,
               state_dir: Path | None = None):
        """One instance per (model, context) per process: loading costs seconds."""
        key = (str(path), n_ctx, n_threads)
        if key not in _LOADED:
            _LOADED[key] = cls(spec, path, n_ctx=n_ctx, n_threads=n_threads, seed=seed,
                               state_dir=state_dir)
        return _LOADED[key]

    @property
    def llm(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError(
                    "llama-cpp-python n'est pas installé : lancez « make install »."
                ) from exc
            _silence_llama_log()
            try:
                with _quiet_stderr():
                    self._llm = Llama(
                        model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                        n_threads_batch=self.n_threads, seed=self.seed, verbose=False,
                        n_batch=512,
                    )
            except (ValueError, RuntimeError, OSError) as exc:
                raise ModelError(f"Impossible de charger le modèle {self.path} : {exc}") from exc
        return self._llm

    def render(self, prompt: Prompt) -> str:
        if self.spec.template == "completion":
            return prompt.completion if prompt.completion is not None else (
                f"{prompt.system}\n\n{prompt.user}"
            )
        return chatml(prompt)

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def generate(
        self, prompt: Prompt, *, max_tokens: int, temperature: float,
        on_token: Callable[[str], None] | None = None,
    ) -> Generation:
        text = self.render(prompt)
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        if len(tokens) + max_tokens > self.n_ctx:
            raise GenerationError(
                f"Question et extraits trop longs pour le modèle ({len(tokens)} jetons, "
                f"fenêtre de {self.n_ctx})."
            )
        start = time.perf_counter()
        self._restore_prefix(prompt)
        stops = StopScanner(self.spec.stop)
        ttft = 0.0
        finish = "length"
        try:
            stream = self.llm.create_completion(
                tokens, max_tokens=max_tokens, temperature=temperature, top_p=0.9,
                repeat_penalty=1.1, stream=True, seed=self.seed,
            )
            for event in stream:
                choice = event["choices"][0]
                ready = stops.feed(choice.get("text") or "")
                if ready:
                    ttft = ttft or time.perf_counter() - start
                    if on_token:
                        on_token(ready)
                if stops.stopped:
                    finish = "stop"
                    break
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
        except (RuntimeError, ValueError) as exc:
            raise GenerationError(f"Le modèle a échoué pendant la génération : {exc}") from exc
        tail = stops.flush()
        if tail and on_token:
            on_token(tail)
        total = time.perf_counter() - start
        out = stops.text
        completion_tokens = len(self.llm.tokenize(out.encode("utf-8"), add_bos=False)) if out else 0
        return Generation(text=out, prompt_tokens=len(tokens), completion_tokens=completion_tokens,
                          ttft_s=ttft or total, total_s=total, finish_reason=finish)

    def prefix(self, prompt: Prompt) -> str | None:
        """The part of the rendered prompt that is the same for every question."""
        if self.spec.template != "chatml":
            return None
        return f"<|im_start|>system\n{prompt.system}<|im_end|>\n<|im_start|>user\n"

    def _restore_prefix(self, prompt: Prompt) -> None:
        """Make the fixed prefix's KV cache current: already there in a warm process, else read
        from a state file saved by an earlier process, else evaluated once and saved.

        Whatever followed the prefix is dropped, so the rest of every prompt is evaluated from
        the same point in the same batches: a generation depends on its prompt alone, not on
        the questions asked before in the process. Reusing a longer common prefix changed the
        batch split and, through float rounding, the small model's words (a web test's answer
        changed with the tests run before it); the replay cache relies on it too."""
        text = self.prefix(prompt)
        llm = self.llm
        if text is None:
            llm.n_tokens = 0  # no fixed prefix: every prompt from the start
            return
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        n = len(tokens)
        if llm.n_tokens >= n and list(llm.input_ids[:n]) == tokens:
            llm.n_tokens = n
            return
        state_file = self._state_file(text)
        if state_file is not None and state_file.exists():
            try:
                with state_file.open("rb") as fh:
                    llm.load_state(pickle.load(fh))
                if list(llm.input_ids[:n]) == tokens:
                    return
            except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError,
                    RuntimeError):
                state_file.unlink(missing_ok=True)  # stale or from another build: rebuild it
        llm.reset()
        llm.eval(tokens)
        if state_file is not None:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = state_file.with_suffix(".tmp")
            state = llm.save_state()
            # Only the last row of logits matters for what follows; the full matrix is
            # prefix × vocabulary floats (≈60 MB for Qwen), and load_state broadcasts one row.
            state.scores = state.scores[-1:].copy()
            with tmp.open("wb") as fh:
                pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, state_file)

    def _state_file(self, prefix: str) -> Path | None:
        if self.state_dir is None:
            return None
        import llama_cpp

        st = self.path.stat()
        key = hashlib.sha256(
            f"{self.path}|{st.st_size}|{st.st_mtime}|{self.n_ctx}|{llama_cpp.__version__}|{prefix}"
            .encode()
        ).hexdigest()[:24]
        return self.state_dir / f"{self.spec.name}-{key}.state"

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None


_LOG_CALLBACK = None


def _silence_llama_log() -> None:
    """llama.cpp logs some messages at level NONE, which llama-cpp-python prints whatever its
    verbosity; they would corrupt `clos ask --json`. Keep them only with CLOS_DEBUG."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None or os.environ.get("CLOS_DEBUG"):
        return
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def _discard(level, text, user_data):  # noqa: ARG001
        return None

    _LOG_CALLBACK = _discard  # a ctypes callback must outlive its registration
    llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))


@contextlib.contextmanager
def _quiet_stderr():
    """llama.cpp writes its loading log straight to fd 2; keep the terminal readable."""
    if os.environ.get("CLOS_DEBUG"):
        yield
        return
    fd = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)
