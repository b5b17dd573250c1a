-- One row per order event: redeliveries (and insertAll retries that BigQuery
-- did not deduplicate) collapse to the first ingested copy. occurred_at is in
-- the PARTITION BY (a duplicate has the same event time) so that filters on
-- it still prune partitions through the window function.
SELECT * EXCEPT (dedup_rank)
FROM (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY event_id, occurred_at
      ORDER BY ingested_at, message_id
    ) AS dedup_rank
  FROM `{{.Project}}.{{.Dataset}}.orders`
)
WHERE dedup_rank = 1
