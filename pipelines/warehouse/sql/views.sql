-- Stable views for analysts, over the published tables. Their names and columns are a promise like
-- the release's: add columns at the end, never rename or drop one. Run by catalog.document() at the
-- end of every publish, once the tables they read exist; every view and column is described in
-- descriptions.py (written as COMMENT ON), not here. They read only the `published` and `reference`
-- schemas, so they work the same in the pipeline's file and in the release's snapshot (snapshot.py).

-- SDG indicator 16.3.2: unsentenced detainees as a share of the overall prison population. The value
-- is the one published.prisons derives (indicator UNSENTENCED_SHARE, percent, 1 decimal), never
-- recomputed here; its two inputs are named by reference.indicators and shown beside it so that
-- regional aggregates can be weighted: sum(unsentenced_detainees) / sum(prison_population).
CREATE OR REPLACE VIEW published.sdg_16_3_2 AS
SELECT s.iso3, s.country, s.region, s.subregion, s.year, s.value, s.obs_status,
       n.value AS unsentenced_detainees, q.value AS prison_population,
       s.reporting_year, s.submission_id
FROM published.prisons s
JOIN reference.indicators i ON i.code = s.indicator
LEFT JOIN published.prisons n ON n.iso3 = s.iso3 AND n.year = s.year AND n.indicator = i.numerator
LEFT JOIN published.prisons q ON q.iso3 = s.iso3 AND q.year = s.year AND q.indicator = i.denominator
WHERE s.indicator = 'UNSENTENCED_SHARE'
ORDER BY s.iso3, s.year;

-- Reporting coverage per reporting year and UN M49 region: every region of reference.countries for
-- every reporting year any return named, so a region nobody reported from shows zeros.
CREATE OR REPLACE VIEW published.coverage_by_year_region AS
WITH years AS (
    SELECT DISTINCT reporting_year FROM published.coverage WHERE reporting_year IS NOT NULL
), regions AS (
    SELECT region, count(*) AS states_expected FROM reference.countries GROUP BY region
), states AS (
    -- One row per member state and reporting year it sent at least one readable return for.
    SELECT c.reporting_year, k.region, c.iso3,
           bool_or(c.status IN ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS')) AS accepted,
           count(*) AS submissions,
           count(*) FILTER (WHERE c.status = 'REJECTED') AS submissions_rejected,
           count(*) FILTER (WHERE c.status = 'SUPERSEDED') AS submissions_superseded
    FROM published.coverage c
    JOIN reference.countries k ON k.iso3 = c.iso3
    WHERE c.reporting_year IS NOT NULL
    GROUP BY c.reporting_year, k.region, c.iso3
)
SELECT y.reporting_year, r.region, r.states_expected,
       count(s.iso3) AS states_reported,
       count(s.iso3) FILTER (WHERE s.accepted) AS states_accepted,
       count(s.iso3) FILTER (WHERE NOT s.accepted) AS states_rejected,
       r.states_expected - count(s.iso3) AS states_not_reported,
       round(100 * count(s.iso3) FILTER (WHERE s.accepted) / r.states_expected, 1) AS response_rate,
       coalesce(sum(s.submissions), 0) AS submissions,
       coalesce(sum(s.submissions_rejected), 0) AS submissions_rejected,
       coalesce(sum(s.submissions_superseded), 0) AS submissions_superseded
FROM years y
CROSS JOIN regions r
LEFT JOIN states s ON s.reporting_year = y.reporting_year AND s.region = r.region
GROUP BY y.reporting_year, r.region, r.states_expected
ORDER BY y.reporting_year, r.region;

-- The most recent year with a value, per member state and prison indicator.
CREATE OR REPLACE VIEW published.latest_prison_figures AS
SELECT iso3, country, region, subregion, indicator, year, value, unit, obs_status, derived,
       reporting_year, submission_id
FROM published.prisons
WHERE value IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY iso3, indicator ORDER BY year DESC) = 1
ORDER BY iso3, indicator;

-- Technical assistance per reporting year, UN M49 region and thematic area.
CREATE OR REPLACE VIEW published.activities_by_year_region AS
SELECT reporting_year, region, thematic_area,
       count(DISTINCT iso3) AS states,
       count(*) AS activities,
       sum(participants_total) AS participants_total,
       sum(participants_women) AS participants_women,
       round(100 * sum(participants_women) FILTER (WHERE participants_total IS NOT NULL)
             / nullif(sum(participants_total) FILTER (WHERE participants_women IS NOT NULL), 0), 1)
           AS women_share
FROM published.activities
GROUP BY reporting_year, region, thematic_area
ORDER BY reporting_year, region, thematic_area;

-- Every coverage row with where its feedback for the focal point lies (pipelines/feedback).
CREATE OR REPLACE VIEW published.coverage_feedback AS
SELECT submission_id, file_name, iso3, reporting_year, status, errors, warnings,
       'feedback/' || submission_id AS feedback_folder,
       'feedback/' || submission_id || '/feedback.md' AS feedback_md
FROM published.coverage
ORDER BY submission_id;
