-- Energy and CO2 of every answer and every ingestion (issue « Sobriété »), with the cloud estimate
-- for the same token counts. One row per answer, per ingestion run and per ingested document;
-- a run's energy already includes its documents', so totals add 'answer' and 'ingest_run' only.
-- ref_id points to answers.id, ingest_runs.id or documents.id depending on kind: no foreign key,
-- and rows outlive what they describe (an impact happened even if the document is deleted).
CREATE TABLE impacts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('answer', 'ingest_run', 'ingest_document')),
    ref_id INTEGER,
    collection_id INTEGER REFERENCES collections(id) ON DELETE SET NULL,
    user_name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    energy_wh REAL NOT NULL,
    gco2e REAL NOT NULL,
    primary_energy_wh REAL,
    carbon_intensity_g_per_kwh REAL,
    country TEXT,
    method TEXT NOT NULL,
    duration_s REAL NOT NULL DEFAULT 0,
    cpu_s REAL NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cloud_model TEXT,
    cloud_energy_wh_min REAL,
    cloud_energy_wh_max REAL,
    cloud_gco2e_min REAL,
    cloud_gco2e_max REAL,
    cloud_source TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX impacts_created ON impacts (created_at);
CREATE INDEX impacts_ref ON impacts (kind, ref_id);
CREATE INDEX impacts_collection ON impacts (collection_id);
