-- The published data tables as they would be now, into temporary tables `next_*`; the Store then
-- replaces only the requested years of published.activities / assistance_outcomes / prisons with
-- them (a year partition: activities and outcomes by reporting year, prisons by observation year).
-- Computed over the whole history so a revision from a later return is always applied.
-- Needs published.submission_ranks and published.current_submissions (coverage.sql).

CREATE OR REPLACE TEMP TABLE next_activities AS
SELECT k.iso3, k.name AS country, k.region, k.subregion, cur.reporting_year,
       a.activity_id, a.thematic_area, a.activity_type, a.title, a.start_date, a.end_date, a.delivery_mode,
       a.participants_total, a.participants_women, a.beneficiary_group, a.standards, a.partners,
       a.submission_id
FROM validated.activities a
JOIN published.current_submissions cur USING (submission_id)
JOIN reference.countries k ON k.iso3 = cur.iso3
WHERE NOT a.quarantined
ORDER BY k.iso3, cur.reporting_year, a.activity_id;

CREATE OR REPLACE TEMP TABLE next_assistance_outcomes AS
SELECT k.iso3, k.name AS country, k.region, k.subregion, cur.reporting_year, o.outcome_no,
       o.outcome_area, o.result_type, o.description, o.value, o.unit, o.status, o.activity_id, o.evidence,
       o.submission_id
FROM validated.outcomes o
JOIN published.current_submissions cur USING (submission_id)
JOIN reference.countries k ON k.iso3 = cur.iso3
WHERE NOT o.quarantined
ORDER BY k.iso3, cur.reporting_year, o.outcome_no;

-- Every observation a current submission gave, latest reporting year first. A quarantined value
-- was given too: it revises the older value (which would otherwise come back, e.g. the MALE and
-- FEMALE of an older return beside the TOTAL a later one revised, breaking MALE + FEMALE = TOTAL)
-- and is itself not published, so that observation stays empty until the state corrects it.
-- Within one submission a value can only be quarantined beside a kept one when the parse step set
-- a repeated Prisons row or column aside: the kept value (the first occurrence) ranks first.
CREATE OR REPLACE TABLE published.prison_candidates AS
SELECT cur.iso3, v.year, v.indicator, v.value, v.obs_status, cur.reporting_year, v.submission_id,
       r.received_at, v.quarantined,
       row_number() OVER (PARTITION BY cur.iso3, v.year, v.indicator
                          ORDER BY cur.reporting_year DESC, r.received_at DESC, v.submission_id DESC,
                                   v.quarantined, v.cell_ref) AS rank
FROM validated.prison_values v
JOIN published.current_submissions cur USING (submission_id)
JOIN published.submission_ranks r USING (submission_id)
WHERE v.quarantined OR v.obs_status IS NOT NULL;

CREATE OR REPLACE TABLE published.prisons_reported AS
SELECT iso3, year, indicator, value, obs_status, reporting_year, submission_id, received_at
FROM published.prison_candidates WHERE rank = 1 AND NOT quarantined;

CREATE OR REPLACE TEMP TABLE next_prisons AS
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
