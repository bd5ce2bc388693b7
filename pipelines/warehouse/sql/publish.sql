-- Rebuild the published layer from the validated one. Pure SQL over the whole history, so
-- supersession and revisions always reflect every submission received so far.

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

CREATE OR REPLACE TABLE published.activities AS
SELECT k.iso3, k.name AS country, k.region, k.subregion, cur.reporting_year,
       a.activity_id, a.thematic_area, a.activity_type, a.title, a.start_date, a.end_date, a.delivery_mode,
       a.participants_total, a.participants_women, a.beneficiary_group, a.standards, a.partners,
       a.submission_id
FROM validated.activities a
JOIN published.current_submissions cur USING (submission_id)
JOIN reference.countries k ON k.iso3 = cur.iso3
WHERE NOT a.quarantined
ORDER BY k.iso3, cur.reporting_year, a.activity_id;

CREATE OR REPLACE TABLE published.assistance_outcomes AS
SELECT k.iso3, k.name AS country, k.region, k.subregion, cur.reporting_year, o.outcome_no,
       o.outcome_area, o.result_type, o.description, o.value, o.unit, o.status, o.activity_id, o.evidence,
       o.submission_id
FROM validated.outcomes o
JOIN published.current_submissions cur USING (submission_id)
JOIN reference.countries k ON k.iso3 = cur.iso3
WHERE NOT o.quarantined
ORDER BY k.iso3, cur.reporting_year, o.outcome_no;

-- Every valid reported observation of a current submission, latest reporting year first.
CREATE OR REPLACE TABLE published.prison_candidates AS
SELECT cur.iso3, v.year, v.indicator, v.value, v.obs_status, cur.reporting_year, v.submission_id,
       r.received_at,
       row_number() OVER (PARTITION BY cur.iso3, v.year, v.indicator
                          ORDER BY cur.reporting_year DESC, r.received_at DESC, v.submission_id DESC) AS rank
FROM validated.prison_values v
JOIN published.current_submissions cur USING (submission_id)
JOIN published.submission_ranks r USING (submission_id)
WHERE NOT v.quarantined AND v.obs_status IS NOT NULL;

CREATE OR REPLACE TABLE published.prisons_reported AS
SELECT iso3, year, indicator, value, obs_status, reporting_year, submission_id, received_at
FROM published.prison_candidates WHERE rank = 1;

CREATE OR REPLACE TABLE published.prisons AS
WITH derived AS (
    SELECT n.iso3, n.year, d.code AS indicator,
           round(n.value / q.value * 100, 1) AS value,
           CASE WHEN 'E' IN (n.obs_status, q.obs_status) THEN 'E'
                WHEN 'P' IN (n.obs_status, q.obs_status) THEN 'P'
                ELSE 'A' END AS obs_status,
           -- The derived value comes from the more recent of its two inputs.
           CASE WHEN (q.reporting_year, q.received_at) > (n.reporting_year, n.received_at)
                THEN q.reporting_year ELSE n.reporting_year END AS reporting_year,
           CASE WHEN (q.reporting_year, q.received_at) > (n.reporting_year, n.received_at)
                THEN q.submission_id ELSE n.submission_id END AS submission_id
    FROM reference.derived_indicators d
    JOIN published.prisons_reported n ON n.indicator = d.numerator
    JOIN published.prisons_reported q ON q.indicator = d.denominator AND q.iso3 = n.iso3 AND q.year = n.year
    WHERE n.value IS NOT NULL AND q.value > 0
), observations AS (
    SELECT iso3, year, indicator, value, obs_status, false AS derived, reporting_year, submission_id
    FROM published.prisons_reported
    UNION ALL
    SELECT iso3, year, indicator, value, obs_status, true AS derived, reporting_year, submission_id
    FROM derived
)
SELECT k.iso3, k.name AS country, k.region, k.subregion, o.year, o.indicator, o.value, i.unit, o.obs_status,
       o.derived, o.reporting_year, o.submission_id
FROM observations o
JOIN reference.indicators i ON i.code = o.indicator
JOIN reference.countries k ON k.iso3 = o.iso3
ORDER BY k.iso3, o.year, o.indicator;

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
