// Command pulse is Pulse's one binary: the stream processor and its tools.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/rs/zerolog"
)

// CLI lists the subcommands. Each lives in its own file.
type CLI struct {
	LogLevel  string `name:"log-level" env:"PULSE_LOG_LEVEL" default:"info" enum:"trace,debug,info,warn,error" help:"Log level (${enum})."`
	LogFormat string `name:"log-format" env:"PULSE_LOG_FORMAT" default:"auto" enum:"auto,json,console" help:"Log format: console on a terminal, else JSON (${enum})."`

	Run            RunCmd            `cmd:"" help:"Run the stream processor (embedded Pub/Sub and generator when no endpoint is configured)."`
	Generate       GenerateCmd       `cmd:"" help:"Generate realistic order traffic to a topic or an NDJSON file."`
	Replay         ReplayCmd         `cmd:"" help:"Publish an NDJSON file of order events to a topic."`
	PubsubEmulator PubsubEmulatorCmd `cmd:"" name:"pubsub-emulator" help:"Serve the in-process Pub/Sub server standalone (for PUBSUB_EMULATOR_HOST clients)."`
	Backtest       BacktestCmd       `cmd:"" help:"Run an NDJSON event file through the windows (and detectors) offline."`
	Detect         DetectCmd         `cmd:"" help:"Score a CSV series (timestamp,value) with the online detector; CSV out."`
	Recommend      RecommendCmd      `cmd:"" help:"List the items bought with a SKU, offline from an NDJSON event file (bought-together by lift)."`
	Ask            AskCmd            `cmd:"" help:"Answer a plain-language question about a tenant's metrics (\"revenue yesterday\", \"any anomalies today?\") from an NDJSON event file or a running pulse."`
	Migrate        MigrateCmd        `cmd:"" help:"Apply the embedded Postgres migrations (tenant settings, alert history); idempotent, prints each."`
	Bq             BqCmd             `cmd:"" name:"bq" help:"BigQuery administration."`
}

// Globals are what every subcommand gets: the process context (cancelled on
// SIGINT/SIGTERM) and the logger.
type Globals struct {
	Ctx context.Context
	Log zerolog.Logger
}

func main() {
	var cli CLI
	kctx := kong.Parse(&cli,
		kong.Name("pulse"),
		kong.Description("Pulse turns order events into per-tenant real-time business metrics, anomaly alerts and history."),
		kong.UsageOnError(),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &Globals{Ctx: ctx, Log: newLogger(cli.LogLevel, cli.LogFormat, os.Stderr)}
	if err := kctx.Run(g); err != nil {
		g.Log.Error().Err(err).Msg("pulse " + kctx.Command() + " failed")
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
