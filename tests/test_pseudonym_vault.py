"""The pseudonym mapping apart from the index, encrypted, its key outside the data folder, each
reveal audited; an older index's in-clear rows moved out on first use."""

from __future__ import annotations

from pathlib import Path

import pytest

from clos.errors import GovernanceError
from clos.govern import reveal
from clos.govern.pseudonymise import StoreMap
from clos.store import open_store
from clos.store.vault import PseudonymVault


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


def test_rows_left_in_an_older_index_move_to_the_vault(settings):
    store = open_store(settings)
    cid = store.collection_id("rh")
    with store.transaction() as conn:
        conn.execute("INSERT INTO governance_pseudonyms (collection_id, type, key, n, original)"
                     " VALUES (?, 'PERSONNE', 'jean dupont', 7, 'Jean Dupont')", (cid,))
    assert StoreMap(store, cid).number("PERSONNE", "jean dupont", "Jean Dupont") == 7
    assert store.conn.execute("SELECT COUNT(*) FROM governance_pseudonyms").fetchone()[0] == 0
    assert StoreMap(store, cid).number("PERSONNE", "anne roy", "Anne Roy") == 8
    store.close()
