"""The pseudonym mapping apart from the index, encrypted, its key outside the data folder, each
reveal audited; an older index's in-clear rows moved out on first use. On SQLite the vault is a
file beside the index; on PostgreSQL an encrypted table under a key per store (pg_vault)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clos.errors import GovernanceError
from clos.govern import reveal
from clos.govern.pseudonymise import StoreMap
from clos.pipeline import Clos
from clos.store import open_store
from clos.store.vault import PseudonymVault

from test_store_contract import pg_url, target  # noqa: F401  (fixtures: both backends)

PRIVATE = ("Madame Sophie MARTIN, demeurant 4 impasse des Tilleuls à Lunel, est recrutée comme"
           " adjointe administrative au service des ressources humaines à compter du 1er mars.")


def schema_text(store) -> str:
    """Every row of every table of a PostgreSQL store's schema, as PostgreSQL prints it."""
    tables = [r[0] for r in store.conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema ="
        " current_schema() AND table_type = 'BASE TABLE'").fetchall()]
    assert {"pseudonym_vault", "governance_pseudonyms", "chunks"} <= set(tables)
    return "\n".join(str(r[0]) for t in tables
                     for r in store.conn.execute(f"SELECT t::text FROM {t} t").fetchall())


def test_mapping_is_encrypted_apart_and_reveals_are_audited(settings):
    store = open_store(settings)
    cid = store.collection_id("rh")
    mapping = StoreMap(store, cid)
    assert mapping.number("PERSONNE", "sophie martin", "Sophie MARTIN") == 1
    assert mapping.number("PERSONNE", "paul durand", "Paul Durand") == 2
    assert StoreMap(store, cid).number("PERSONNE", "sophie martin", "Sophie MARTIN") == 1
    assert StoreMap(store, cid).people_with_surname("martin") == ["sophie martin"]
    vault = store.pseudonym_vault()
    assert vault.path.parent == Path(settings.data_dir)
    key = Path(settings.cache_dir) / "secrets" / "pseudonyms.key"
    assert key.exists() and not key.is_relative_to(Path(settings.data_dir))
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    raw = b"".join(p.read_bytes() for p in vault.path.parent.glob("pseudonyms.sqlite3*"))
    assert b"MARTIN" not in raw and b"martin" not in raw
    rows = reveal(store, cid, by="delegue-rgpd")
    assert [(r["placeholder"], r["original"]) for r in rows] == [
        ("[PERSONNE_1]", "Sophie MARTIN"), ("[PERSONNE_2]", "Paul Durand")]
    (entry,) = store.audit_entries(user="delegue-rgpd")
    assert entry["action"] == "reveal" and entry["detail"]["count"] == 2
    # Another key does not open it, and says so in French.
    from cryptography.fernet import Fernet

    with pytest.raises(GovernanceError, match="clé de chiffrement"):
        PseudonymVault(vault.path, Fernet.generate_key()).entries(cid)
    store.close()


def test_rows_left_in_an_older_index_move_to_the_vault(settings, target):
    store = open_store(settings.replace(store=target))
    cid = store.collection_id("rh")
    with store.transaction() as conn:
        conn.execute("INSERT INTO governance_pseudonyms (collection_id, type, key, n, original)"
                     " VALUES (?, 'PERSONNE', 'jean dupont', 7, 'Jean Dupont')", (cid,))
    assert StoreMap(store, cid).number("PERSONNE", "jean dupont", "Jean Dupont") == 7
    assert store.conn.execute("SELECT COUNT(*) FROM governance_pseudonyms").fetchone()[0] == 0
    assert StoreMap(store, cid).number("PERSONNE", "anne roy", "Anne Roy") == 8
    store.close()


def test_postgres_holds_no_name_in_clear_after_ingesting_a_private_person(settings, pg_url,
                                                                        tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "arrete-recrutement.txt").write_text(PRIVATE, encoding="utf-8")
    with Clos(settings.replace(store=pg_url)) as clos:
        assert clos.ingest([docs], collection="rh").indexed == 1
        store, cid = clos.store, clos.store.collection_id("rh")
        texts = [h.text for h in clos.retrieve("adjointe administrative", collection="rh")]
        assert texts and "[PERSONNE_1]" in texts[0] and "MARTIN" not in texts[0]
        everything = schema_text(store)
        for word in ("MARTIN", "Martin", "martin", "Tilleuls"):
            assert word not in everything
        assert store.conn.execute("SELECT COUNT(*) FROM governance_pseudonyms").fetchone()[0] == 0
        assert store.conn.execute("SELECT COUNT(*) FROM pseudonym_vault").fetchone()[0] >= 1
        # The administrator still gets the person back, and the reveal is audited.
        revealed = {r["placeholder"]: r["original"] for r in reveal(store, cid, by="dpo")}
        assert revealed["[PERSONNE_1]"] == "Sophie MARTIN"
        assert store.audit_entries(user="dpo")[0]["action"] == "reveal"
        # The key: one per store, outside the data folder, readable by its owner only.
        store_id = store.conn.execute("SELECT store_id FROM pseudonym_vault_key").fetchone()[0]
        key = Path(settings.cache_dir) / "secrets" / f"pseudonyms-{store_id}.key"
        assert key.exists() and oct(key.stat().st_mode & 0o777) == "0o600"
        assert not key.is_relative_to(Path(settings.data_dir))


def test_postgres_vault_refuses_a_missing_or_wrong_key_in_french(settings, pg_url):
    from cryptography.fernet import Fernet

    from clos.store.pg_vault import PgPseudonymVault

    store = open_store(settings.replace(store=pg_url))
    cid = store.collection_id("rh")
    assert StoreMap(store, cid).number("PERSONNE", "paul durand", "Paul Durand") == 1
    store_id = store.conn.execute("SELECT store_id FROM pseudonym_vault_key").fetchone()[0]
    key = Path(settings.cache_dir) / "secrets" / f"pseudonyms-{store_id}.key"
    saved = key.read_bytes()
    key.unlink()
    try:
        with pytest.raises(GovernanceError, match=f"copiez le fichier « pseudonyms-{store_id}"):
            PgPseudonymVault.open(store, settings)
        assert not key.exists()  # no new key made over a vault that has one
        key.write_bytes(Fernet.generate_key())
        with pytest.raises(GovernanceError, match="n'ouvre pas les pseudonymes"):
            PgPseudonymVault.open(store, settings)
    finally:
        key.unlink(missing_ok=True)
        key.write_bytes(saved)
    assert [e["original"] for e in PgPseudonymVault.open(store, settings).entries(cid)] == [
        "Paul Durand"]
    store.close()


def test_doctor_says_whether_this_machine_holds_the_vault_key(settings, target, tmp_path):
    from clos.doctor import run_checks

    # A cache folder of its own: the key is removed for a moment, and the suite's shared
    # pseudonyms.key must never be.
    settings = settings.replace(store=target, cache_dir=tmp_path / "cache")
    store = open_store(settings)
    cid = store.collection_id("rh")
    ok, detail = store.vault_check(settings)
    assert ok and "créée au premier pseudonyme" in detail
    StoreMap(store, cid).number("PERSONNE", "paul durand", "Paul Durand")
    key = store.pseudonym_vault().key_path
    ok, detail = store.vault_check(settings)
    assert ok and str(key) in detail
    (check,) = [c for c in run_checks(settings) if c.name == "pseudonymes"]
    assert check.ok and str(key) in check.detail
    saved = key.read_bytes()
    key.unlink()  # the index copied to a machine without its key
    try:
        ok, detail = store.vault_check(settings)
        assert not ok and detail.startswith("clé absente") and str(key) in detail
        assert not key.exists()  # the check creates nothing
        key.write_bytes(saved)
        (check,) = [c for c in run_checks(settings) if c.name == "pseudonymes"]
        assert check.ok
    finally:
        key.write_bytes(saved)
        key.chmod(0o600)
    store.close()
