-- One row per insight id (ids are derived from tenant, kind, metric,
-- window and revision, so a re-published insight has the same id).
SELECT * EXCEPT (dedup_rank)
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY insight_id, generated_at
      ORDER BY ingested_at
    ) AS dedup_rank
  FROM `{{.Project}}.{{.Dataset}}.insights`
)
WHERE dedup_rank = 1
