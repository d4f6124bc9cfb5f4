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
    with pytest.raises(ConfigError, match="Valeur invalide pour « top_k »"):
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
