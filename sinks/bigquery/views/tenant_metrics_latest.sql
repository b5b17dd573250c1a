-- One row per (tenant, window, currency): the latest revision, duplicates
-- of the same revision collapsed.
SELECT * EXCEPT (dedup_rank)
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY tenant_id, window_size, window_start, currency
      ORDER BY revision DESC, ingested_at, insight_id
    ) AS dedup_rank
  FROM `{{.Project}}.{{.Dataset}}.tenant_metrics`
)
WHERE dedup_rank = 1
