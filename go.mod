module github.com/olympus-cloud/pulse

go 1.26.0

require github.com/goccy/go-json v0.12.0
