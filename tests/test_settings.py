from pathlib import Path

import pytest

from clos.errors import ConfigError
from clos.settings import Settings


def test_precedence_flags_over_env_over_file_over_defaults(tmp_path):
    config = tmp_path / "clos.toml"
    config.write_text('[clos]\ntop_k = 7\nmodel = "gemma3-270m"\nmin_relevance = 0.5\n')
    env = {"CLOS_CONFIG": str(config), "CLOS_TOP_K": "9", "CLOS_DATA_DIR": str(tmp_path / "d")}
    s = Settings.load(flags={"min_relevance": 0.2}, env=env)
    assert s.top_k == 9  # env beats file
    assert s.model == "gemma3-270m"  # file beats default
    assert s.min_relevance == 0.2  # flag beats file
    assert s.data_dir == tmp_path / "d"
    assert s.db_path == tmp_path / "d" / "clos.sqlite3"
    assert Settings.load(env={}).max_tokens == Settings().max_tokens


def test_file_in_data_dir_is_found(tmp_path):
    (tmp_path / "clos.toml").write_text("chunk_tokens = 250\n")
    s = Settings.load(env={"CLOS_DATA_DIR": str(tmp_path)})
    assert s.chunk_tokens == 250
    assert s.config_file == tmp_path / "clos.toml"


def test_bad_values_give_french_errors(tmp_path):
    with pytest.raises(ConfigError, match="Valeur invalide pour « CLOS_TOP_K » : .beaucoup."):
        Settings.load(env={"CLOS_TOP_K": "beaucoup"})
    bad = tmp_path / "bad.toml"
    bad.write_text("top_k = = 3")
    with pytest.raises(ConfigError, match="illisible"):
        Settings.load(env={"CLOS_CONFIG": str(bad)})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("couleur = 'bleu'")
    with pytest.raises(ConfigError, match="inconnus : couleur"):
        Settings.load(env={"CLOS_CONFIG": str(unknown)})
    assert isinstance(Settings.load(env={"CLOS_MODEL_PATH": "/x/m.gguf"}).model_path, Path)


def _load(**env):
    return Settings.load(env={"CLOS_DATA_DIR": "/nonexistent-clos", **env})


@pytest.mark.parametrize("text, expected", [
    ("0", False), ("false", False), ("non", False), ("off", False), ("no", False),
    ("1", True), ("true", True), ("oui", True), ("on", True), ("Vrai", True),
])
def test_booleans_read_as_people_write_them(text, expected):
    assert _load(CLOS_DENSE_WINDOWS=text).dense_windows is expected


def test_ranges_and_enumerations_name_the_key_and_the_value(tmp_path):
    with pytest.raises(ConfigError, match=r"« CLOS_CANDIDATES » : '0' \(doit être supérieur ou égal à 1\)"):
        _load(CLOS_CANDIDATES="0")
    with pytest.raises(ConfigError, match=r"« CLOS_MIN_RELEVANCE » : '1.5' \(doit être inférieur ou égal à 1"):
        _load(CLOS_MIN_RELEVANCE="1.5")
    with pytest.raises(ConfigError, match=r"« CLOS_LLM_BACKEND » : 'vllm' \(valeurs possibles : 'llamacpp', 'openai'\)"):
        _load(CLOS_LLM_BACKEND="vllm")
    with pytest.raises(ConfigError, match="« CLOS_PII_POLICY » : 'effacer'"):
        _load(CLOS_PII_POLICY="effacer")
    with pytest.raises(ConfigError, match="« CLOS_DENSE_WINDOWS » : 'peut-être' \\(oui/non"):
        _load(CLOS_DENSE_WINDOWS="peut-être")
    with pytest.raises(ConfigError, match="« CLOS_LANG » : 'de'"):
        _load(CLOS_LANG="de")
    # In clos.toml the key is named as written there, with the file.
    config = tmp_path / "clos.toml"
    config.write_text("candidates = 0\n")
    with pytest.raises(ConfigError, match=f"« candidates \\({config}\\) » : 0"):
        Settings.load(env={"CLOS_DATA_DIR": str(tmp_path)})
    config.write_text('top_k = "trois"\n')
    with pytest.raises(ConfigError, match="« top_k .* 'trois' \\(un nombre entier est attendu\\)"):
        Settings.load(env={"CLOS_DATA_DIR": str(tmp_path)})
    # A flag is named as the command line writes it.
    with pytest.raises(ConfigError, match="« --top-k » : -2"):
        Settings.load(flags={"top_k": -2}, env={"CLOS_DATA_DIR": str(tmp_path / "none")})
    with pytest.raises(ConfigError, match="chunk_tokens"):
        _load(CLOS_CHUNK_TOKENS="500", CLOS_CHUNK_MAX_TOKENS="400")


def test_typed_values_come_out_typed(tmp_path):
    s = _load(CLOS_TOP_K="5", CLOS_MIN_RELEVANCE="0.5", CLOS_MODEL_PATH="~/m.gguf",
              CLOS_POSTURE="Raisonnée", CLOS_ALLOWED_HOSTS="albert.local, 10.0.0.2",
              CLOS_MODEL_PATH_UNUSED="ignored")
    assert (s.top_k, s.min_relevance, s.posture) == (5, 0.5, "raisonnee")
    assert s.allowed_hosts == ["albert.local", "10.0.0.2"]
    assert isinstance(s.model_path, Path) and isinstance(s.data_dir, Path)
    assert _load(CLOS_MODEL_PATH="").model_path is None
    config = tmp_path / "clos.toml"
    config.write_text('allowed_hosts = ["a.local"]\nmin_relevance = 1\ndense_windows = true\n')
    s = Settings.load(env={"CLOS_DATA_DIR": str(tmp_path)})
    assert s.allowed_hosts == ["a.local"] and s.min_relevance == 1.0 and s.dense_windows is True
