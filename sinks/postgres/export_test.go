package postgres

// TestSchema exposes testSchema to the package's external tests.
var TestSchema = testSchema
