-- The published layer's bookkeeping, rebuilt whole on every publish: which accepted submission is
-- current per (state, reporting year), and what became of every received file. Cheap, and it must
-- reflect every submission received so far, so it is never partitioned.

-- Accepted submissions per (state, reporting year), newest first: newest received, then the
-- later Cover submission date, then the later file path (KAZ_2021_v2 after KAZ_2021).
CREATE OR REPLACE TABLE published.submission_ranks AS
SELECT s.submission_id, c.iso3, c.reporting_year, s.received_at,
       row_number() OVER newest_first AS rank,
       first_value(s.submission_id) OVER newest_first AS newest_submission_id
FROM received.submissions s
JOIN validated.covers c USING (submission_id)
WHERE s.status IN ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')
WINDOW newest_first AS (PARTITION BY c.iso3, c.reporting_year
                        ORDER BY s.received_at DESC, c.submission_date DESC NULLS LAST, s.rel_path DESC,
                                 s.submission_id DESC);

CREATE OR REPLACE TABLE published.current_submissions AS
SELECT submission_id, iso3, reporting_year FROM published.submission_ranks WHERE rank = 1;

CREATE OR REPLACE TABLE published.coverage AS
WITH findings AS (
    SELECT submission_id, severity FROM received.findings
    UNION ALL SELECT submission_id, severity FROM parsed.findings
    UNION ALL SELECT submission_id, severity FROM validated.findings
), finding_counts AS (
    SELECT submission_id,
           count(*) FILTER (WHERE severity = 'error') AS errors,
           count(*) FILTER (WHERE severity = 'warning') AS warnings
    FROM findings GROUP BY submission_id
), activity_counts AS (
    SELECT submission_id, count(*) FILTER (WHERE NOT quarantined) AS accepted,
           count(*) FILTER (WHERE quarantined) AS quarantined
    FROM validated.activities GROUP BY submission_id
), outcome_counts AS (
    SELECT submission_id, count(*) FILTER (WHERE NOT quarantined) AS accepted,
           count(*) FILTER (WHERE quarantined) AS quarantined
    FROM validated.outcomes GROUP BY submission_id
), prison_counts AS (
    SELECT submission_id, count(*) FILTER (WHERE NOT quarantined) AS accepted,
           count(*) FILTER (WHERE quarantined) AS quarantined
    FROM validated.prison_values GROUP BY submission_id
)
SELECT s.submission_id, s.file_name, s.sha256, s.received_at,
       k.iso3, c.reporting_year,
       CASE WHEN r.rank > 1 THEN 'SUPERSEDED' ELSE s.status END AS status,
       CASE WHEN r.rank > 1 THEN r.newest_submission_id END AS superseded_by,
       coalesce(a.accepted, 0) AS activities_accepted, coalesce(a.quarantined, 0) AS activities_quarantined,
       coalesce(o.accepted, 0) AS outcomes_accepted, coalesce(o.quarantined, 0) AS outcomes_quarantined,
       coalesce(p.accepted, 0) AS prison_values_accepted, coalesce(p.quarantined, 0) AS prison_values_quarantined,
       coalesce(f.errors, 0) AS errors, coalesce(f.warnings, 0) AS warnings
FROM received.submissions s
LEFT JOIN validated.covers c USING (submission_id)
LEFT JOIN reference.countries k ON k.iso3 = c.iso3
LEFT JOIN published.submission_ranks r USING (submission_id)
LEFT JOIN finding_counts f USING (submission_id)
LEFT JOIN activity_counts a USING (submission_id)
LEFT JOIN outcome_counts o USING (submission_id)
LEFT JOIN prison_counts p USING (submission_id)
WHERE s.status NOT IN ('RECEIVED', 'PARSED')
ORDER BY s.submission_id;
