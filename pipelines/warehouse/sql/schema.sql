-- The warehouse's tables, layer by layer. Idempotent: run at the start of every write.
-- Nothing is ever deleted from received.*; rows of later layers are replaced per submission.

CREATE SCHEMA IF NOT EXISTS reference;
CREATE SCHEMA IF NOT EXISTS received;
CREATE SCHEMA IF NOT EXISTS parsed;
CREATE SCHEMA IF NOT EXISTS validated;
CREATE SCHEMA IF NOT EXISTS published;

CREATE TABLE IF NOT EXISTS received.submissions (
    submission_id VARCHAR PRIMARY KEY,
    rel_path      VARCHAR NOT NULL,   -- path below the inputs folder when received
    file_name     VARCHAR NOT NULL,
    size_bytes    BIGINT NOT NULL,
    received_at   TIMESTAMP NOT NULL, -- the file's modification time, UTC
    fingerprint   VARCHAR NOT NULL,   -- size:mtime_ns, to skip re-hashing unchanged files
    sha256        VARCHAR NOT NULL,   -- the archived bytes: archive/<sha256[:2]>/<sha256>
    duplicate_of  VARCHAR,
    status        VARCHAR NOT NULL    -- RECEIVED DUPLICATE PARSED REJECTED ACCEPTED ACCEPTED_WITH_WARNINGS
);

CREATE TABLE IF NOT EXISTS received.findings (
    submission_id VARCHAR, stage VARCHAR, severity VARCHAR, action VARCHAR, rule VARCHAR, message VARCHAR,
    sheet VARCHAR, row_no INTEGER, cell_ref VARCHAR, field VARCHAR, value_found VARCHAR
);

CREATE TABLE IF NOT EXISTS parsed.returns (
    submission_id VARCHAR NOT NULL,
    status        VARCHAR NOT NULL,   -- PARSED or REJECTED
    language      VARCHAR,
    cover_sheet VARCHAR, activities_sheet VARCHAR, prisons_sheet VARCHAR, outcomes_sheet VARCHAR
);

CREATE TABLE IF NOT EXISTS parsed.cells (
    submission_id VARCHAR NOT NULL,
    sheet_kind    VARCHAR NOT NULL,
    sheet_name    VARCHAR NOT NULL,
    row_no        INTEGER NOT NULL,
    col_no        INTEGER NOT NULL,
    cell_ref      VARCHAR,
    header        VARCHAR,
    field         VARCHAR,   -- NULL: a column kept aside (not part of the form)
    year          INTEGER,
    raw           VARCHAR,   -- as sent
    value         VARCHAR,   -- as normalised by the parser
    obs_status    VARCHAR,
    is_error      BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS parsed.findings AS SELECT * FROM received.findings LIMIT 0;
CREATE TABLE IF NOT EXISTS validated.findings AS SELECT * FROM received.findings LIMIT 0;

CREATE TABLE IF NOT EXISTS validated.covers (
    submission_id VARCHAR NOT NULL, iso3 VARCHAR, reporting_year INTEGER, institution VARCHAR,
    focal_point VARCHAR, email VARCHAR, template_version VARCHAR, language VARCHAR, submission_date DATE
);

CREATE TABLE IF NOT EXISTS validated.activities (
    submission_id VARCHAR NOT NULL, row_no INTEGER NOT NULL, activity_id VARCHAR, thematic_area VARCHAR,
    activity_type VARCHAR, title VARCHAR, start_date DATE, end_date DATE, delivery_mode VARCHAR,
    participants_total BIGINT, participants_women BIGINT, beneficiary_group VARCHAR, standards VARCHAR,
    partners VARCHAR, notes VARCHAR, quarantined BOOLEAN NOT NULL, quarantine_reasons VARCHAR
);

CREATE TABLE IF NOT EXISTS validated.outcomes (
    submission_id VARCHAR NOT NULL, row_no INTEGER NOT NULL, outcome_no INTEGER NOT NULL, outcome_area VARCHAR,
    result_type VARCHAR, description VARCHAR, value DOUBLE, unit VARCHAR, status VARCHAR, activity_id VARCHAR,
    evidence VARCHAR, quarantined BOOLEAN NOT NULL, quarantine_reasons VARCHAR
);

CREATE TABLE IF NOT EXISTS validated.prison_values (
    submission_id VARCHAR NOT NULL, indicator VARCHAR NOT NULL, year INTEGER NOT NULL, value DOUBLE,
    obs_status VARCHAR, cell_ref VARCHAR, quarantined BOOLEAN NOT NULL, quarantine_reasons VARCHAR
);

CREATE TABLE IF NOT EXISTS validated.suite_results (
    batch_id VARCHAR NOT NULL, suite VARCHAR, rule VARCHAR, "column" VARCHAR, severity VARCHAR,
    success BOOLEAN, unexpected_count BIGINT, element_count BIGINT
);

-- Year partitions whose published data tables lag the validated layer. A year is added in the
-- transaction that saves the validation results changing it, and removed only in the transaction
-- that publishes it, so a run that dies in between (or a publish run that fails) loses no year:
-- the publish sensor reads this table, not a run's metadata.
CREATE TABLE IF NOT EXISTS validated.unpublished_years (year INTEGER PRIMARY KEY);

CREATE TABLE IF NOT EXISTS reference.countries (
    iso3 VARCHAR, name VARCHAR, region VARCHAR, subregion VARCHAR, m49 INTEGER
);
