"""Shared fixtures. The network is blocked for the whole suite by pytest-socket (see pyproject):
only loopback is allowed, so any test that reaches outside fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clos.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLOS_SHARED_DIR", ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own data folder; the model cache is shared across the run."""
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("CLOS_DATA_DIR", str(data))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Everything that generates in the suite uses the small real model.
    monkeypatch.setenv("CLOS_MODEL", os.environ.get("CLOS_TEST_MODEL", "gemma3-270m"))
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    # Embedding costs ~0.3 s per chunk here: tests that are about dense retrieval, and the CLI
    # end-to-end test, use the default embedder (fixture ``dense``); the others index lexically.
    monkeypatch.setenv("CLOS_EMBEDDER", "off")
    if "CLOS_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("CLOS_CACHE_DIR", str(Path.home() / ".cache" / "clos"))
    yield data


@pytest.fixture
def settings(_isolated_dirs) -> Settings:
    return Settings.load()


@pytest.fixture
def dense(monkeypatch):
    """The default embedder (multilingual-e5-small) back on, as a user has it."""
    monkeypatch.delenv("CLOS_EMBEDDER")


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"Le dossier partagé {SHARED} est absent (CLOS_SHARED_DIR) : test ignoré.")
    return SHARED


@pytest.fixture(scope="session")
def corpus(shared) -> Path:
    return shared / "corpus"
