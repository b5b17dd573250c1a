package bigquery

import (
	"embed"
	"fmt"

	"cloud.google.com/go/bigquery"
)

//go:embed schema/*.json
var schemaFiles embed.FS

// TableSpec describes one table: its schema file (as `bq mk --schema`
// takes it), day partitioning column and clustering.
type TableSpec struct {
	Name        string
	Description string
	Partition   string   // TIMESTAMP column partitioned by DAY
	Clustering  []string // clustering columns
}

// Tables lists the sink's tables.
var Tables = []TableSpec{
	{Name: TableOrders, Description: "One row per delivered valid order event; deduplicate with orders_dedup.", Partition: "occurred_at", Clustering: []string{"tenant_id"}},
	{Name: TableTenantMetrics, Description: "One row per closed window and revision; latest revision in tenant_metrics_latest.", Partition: "window_start", Clustering: []string{"tenant_id", "window_size"}},
	{Name: TableInsights, Description: "One row per insight event; deduplicate with insights_dedup.", Partition: "generated_at", Clustering: []string{"tenant_id", "kind"}},
	{Name: TablePairs, Description: "Bought-together SKU pairs of each tenant, one snapshot per tenant and recommendation period.", Partition: "computed_at", Clustering: []string{"tenant_id", "sku_a"}},
}

// SchemaJSON returns the schema file of a table, in `bq mk` form.
func SchemaJSON(table string) ([]byte, error) {
	return schemaFiles.ReadFile("schema/" + table + ".json")
}

// Schema returns the parsed schema of a table.
func Schema(table string) (bigquery.Schema, error) {
	b, err := SchemaJSON(table)
	if err != nil {
		return nil, fmt.Errorf("schema of %s: %w", table, err)
	}
	s, err := bigquery.SchemaFromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("schema of %s: %w", table, err)
	}
	return s, nil
}
