package main

import (
	"errors"
	"fmt"
	"time"
)

// RunCmd is `pulse run`: the stream processor. Every flag has a PULSE_*
// environment variable; flags win.
type RunCmd struct {
	Project      string `name:"project" env:"PULSE_PUBSUB_PROJECT" default:"pulse-local" help:"Pub/Sub project id."`
	Real         bool   `name:"real" env:"PULSE_PUBSUB_REAL" help:"Use Google Cloud Pub/Sub with default credentials (otherwise PUBSUB_EMULATOR_HOST, or an embedded server)."`
	EmulatorHost string `name:"emulator-host" env:"PUBSUB_EMULATOR_HOST" help:"host:port of a Pub/Sub emulator."`

	OrdersTopic     string `name:"orders-topic" env:"PULSE_ORDERS_TOPIC" default:"orders" help:"Topic of order events."`
	Subscription    string `name:"subscription" env:"PULSE_SUBSCRIPTION" default:"pulse-orders" help:"Subscription shared by all replicas."`
	DeadLetterTopic string `name:"deadletter-topic" env:"PULSE_DEADLETTER_TOPIC" default:"orders-deadletter" help:"Topic for rejected input."`
	InsightsTopic   string `name:"insights-topic" env:"PULSE_INSIGHTS_TOPIC" default:"insights" help:"Topic for anomaly insights."`
	MetricsTopic    string `name:"metrics-topic" env:"PULSE_METRICS_TOPIC" default:"tenant-metrics" help:"Topic for closed windows (window.metrics)."`

	HTTPAddr string `name:"http-addr" env:"PULSE_HTTP_ADDR" default:":8080" help:"Address of /healthz, /readyz and /metrics (empty disables)."`
	Pprof    bool   `name:"pprof" env:"PULSE_PPROF" help:"Serve /debug/pprof on the HTTP address."`

	Streams         int           `name:"streams" env:"PULSE_STREAMS" default:"4" help:"StreamingPull streams."`
	MaxOutstanding  int           `name:"max-outstanding" env:"PULSE_MAX_OUTSTANDING" default:"1000" help:"Max unacked messages in this process."`
	Shards          int           `name:"shards" env:"PULSE_SHARDS" default:"8" help:"Tenant shard goroutines."`
	ShutdownTimeout time.Duration `name:"shutdown-timeout" env:"PULSE_SHUTDOWN_TIMEOUT" default:"30s" help:"Bound on graceful shutdown."`
	StatsInterval   time.Duration `name:"stats-interval" env:"PULSE_STATS_INTERVAL" default:"5s" help:"How often per-tenant counts are logged (0 = never)."`

	MaxClockSkew time.Duration `name:"max-clock-skew" env:"PULSE_MAX_CLOCK_SKEW" default:"5m" help:"How far in the future occurred_at may be."`
	MaxAge       time.Duration `name:"max-age" env:"PULSE_MAX_AGE" default:"2160h" help:"How far in the past occurred_at may be (negative disables)."`
	MaxAmount    int64         `name:"max-amount" env:"PULSE_MAX_AMOUNT" default:"10000000" help:"Cap on amounts, in major currency units."`
	MaxItems     int           `name:"max-items" env:"PULSE_MAX_ITEMS" default:"1000" help:"Cap on order lines."`

	Generate   bool          `name:"generate" env:"PULSE_GENERATE" default:"true" negatable:"" help:"In embedded mode, run the traffic generator in-process."`
	GenTenants int           `name:"gen-tenants" env:"PULSE_GEN_TENANTS" default:"20" help:"Generator tenants."`
	GenSeed    uint64        `name:"gen-seed" env:"PULSE_GEN_SEED" default:"1" help:"Generator seed."`
	GenHistory time.Duration `name:"gen-history" env:"PULSE_GEN_HISTORY" default:"24h" help:"Simulated history the generator replays before going live."`
	GenSpeed   float64       `name:"gen-speed" env:"PULSE_GEN_SPEED" default:"3600" help:"Simulated seconds per real second while catching up to now."`
}

// Validate reports every configuration problem at once.
func (c *RunCmd) Validate() error {
	var errs []error
	positive := func(name string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive, got %d", name, v))
		}
	}
	positive("streams", c.Streams)
	positive("max-outstanding", c.MaxOutstanding)
	positive("shards", c.Shards)
	positive("max-items", c.MaxItems)
	positive("gen-tenants", c.GenTenants)
	if c.MaxAmount <= 0 {
		errs = append(errs, fmt.Errorf("--max-amount must be positive, got %d", c.MaxAmount))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if c.MaxClockSkew < 0 {
		errs = append(errs, errors.New("--max-clock-skew must not be negative"))
	}
	if c.GenSpeed < 0 {
		errs = append(errs, errors.New("--gen-speed must not be negative"))
	}
	topics := map[string]string{}
	for flag, t := range map[string]string{"orders-topic": c.OrdersTopic, "deadletter-topic": c.DeadLetterTopic,
		"insights-topic": c.InsightsTopic, "metrics-topic": c.MetricsTopic} {
		if t == "" {
			errs = append(errs, fmt.Errorf("--%s must not be empty", flag))
		} else if other, dup := topics[t]; dup {
			errs = append(errs, fmt.Errorf("--%s and --%s name the same topic %q", flag, other, t))
		} else {
			topics[t] = flag
		}
	}
	if c.Subscription == "" {
		errs = append(errs, errors.New("--subscription must not be empty"))
	}
	return errors.Join(errs...)
}

// Run starts the pipeline and blocks until SIGINT/SIGTERM, then shuts down
// within --shutdown-timeout and logs the totals.
func (c *RunCmd) Run(g *Globals) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	p, err := startPipeline(g.Ctx, c, g.Log)
	if err != nil {
		return err
	}
	<-g.Ctx.Done()
	return p.shutdown()
}
