package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/olympus-cloud/pulse/processors"
	"github.com/olympus-cloud/pulse/processors/api"
	"github.com/olympus-cloud/pulse/processors/detect"
	"github.com/olympus-cloud/pulse/windows"
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

	BigQueryFlags
	PostgresFlags

	State       string        `name:"state" env:"PULSE_STATE" default:"memory" enum:"memory,redis" help:"Where window state lives: memory (one replica) or redis (any number of replicas on one subscription)."`
	RedisURL    string        `name:"redis-url" env:"PULSE_REDIS_URL" default:"redis://127.0.0.1:6379/0" help:"Redis of the shared window state (--state redis)."`
	RedisPrefix string        `name:"redis-prefix" env:"PULSE_REDIS_PREFIX" default:"pulse:" help:"Prefix of every Redis key, so deployments can share a Redis."`
	LeaseShards int           `name:"lease-shards" env:"PULSE_LEASE_SHARDS" default:"64" help:"Tenant shards whose windows one replica at a time closes; the same on every replica."`
	LeaseTTL    time.Duration `name:"lease-ttl" env:"PULSE_LEASE_TTL" default:"10s" help:"How long a closing lease lasts without renewal (a dead replica's shards pass on after it)."`

	SharedRecommendations bool          `name:"shared-recommendations" env:"PULSE_SHARED_RECOMMENDATIONS" default:"true" negatable:"" help:"With --state redis, replicas share each tenant's bought-together model through Redis: its lease holder learns every order, whichever replica received it (off: each replica learns the orders it receives)."`
	RecommendSaveEvery    time.Duration `name:"recommend-save-every" env:"PULSE_RECOMMEND_SAVE_EVERY" default:"10s" help:"With shared recommendations, how often a lease holder saves a changed model to Redis (what other replicas answer /recommendations from, and where a new holder starts)."`
	RecommendLogMax       int           `name:"recommend-log-max" env:"PULSE_RECOMMEND_LOG_MAX" default:"100000" help:"With shared recommendations, most baskets a tenant's Redis log keeps unread by its lease holder; older ones are lost to the model."`

	APITokens string  `name:"api-tokens" env:"PULSE_API_TOKENS" help:"API bearer tokens as name:sha256hex:tenant1|tenant2 or name:sha256hex:*, separated by ';' (hashes only: printf %s SECRET | sha256sum)."`
	APIAddr   string  `name:"api-addr" env:"PULSE_API_ADDR" help:"Own address for /v1 and the dashboard (empty: served on --http-addr)."`
	APIRate   float64 `name:"api-rate" env:"PULSE_API_RATE" default:"10" help:"Requests per second per API token."`
	APIBurst  int     `name:"api-burst" env:"PULSE_API_BURST" default:"40" help:"Request burst per API token."`

	HTTPAddr string `name:"http-addr" env:"PULSE_HTTP_ADDR" default:":8080" help:"Address of /healthz, /readyz and /metrics (empty disables)."`
	Pprof    bool   `name:"pprof" env:"PULSE_PPROF" help:"Serve /debug/pprof on the HTTP address."`

	Streams         int           `name:"streams" env:"PULSE_STREAMS" default:"4" help:"StreamingPull streams."`
	MaxOutstanding  int           `name:"max-outstanding" env:"PULSE_MAX_OUTSTANDING" default:"1000" help:"Max unacked messages in this process."`
	Shards          int           `name:"shards" env:"PULSE_SHARDS" default:"8" help:"Tenant shard goroutines."`
	MaxBatch        int           `name:"max-batch" env:"PULSE_MAX_BATCH" default:"256" help:"Most queued orders a shard applies in one state call (one Redis round trip)."`
	ShutdownTimeout time.Duration `name:"shutdown-timeout" env:"PULSE_SHUTDOWN_TIMEOUT" default:"30s" help:"Bound on graceful shutdown."`
	StatsInterval   time.Duration `name:"stats-interval" env:"PULSE_STATS_INTERVAL" default:"5s" help:"How often per-tenant counts are logged (0 = never)."`

	OutOfOrderness    time.Duration `name:"out-of-orderness" env:"PULSE_OUT_OF_ORDERNESS" default:"1m" help:"Watermark lag behind the largest event time seen."`
	AllowedLateness   time.Duration `name:"allowed-lateness" env:"PULSE_ALLOWED_LATENESS" default:"0s" help:"Extra wait after the watermark passes a window's end before its first result."`
	CorrectionHorizon time.Duration `name:"correction-horizon" env:"PULSE_CORRECTION_HORIZON" default:"24h" help:"How long late events still revise a closed window (window.correction)."`
	IdleTimeout       time.Duration `name:"idle-timeout" env:"PULSE_IDLE_TIMEOUT" default:"2m" help:"A tenant silent this long (processing time) gets its windows closed."`
	DefaultZone       string        `name:"default-zone" env:"PULSE_DEFAULT_ZONE" default:"UTC" help:"Time zone of daily windows and seasonal baselines."`
	DetectSizes       []string      `name:"detect-sizes" env:"PULSE_DETECT_SIZES" default:"1h,1d" help:"Window sizes scored by the anomaly detectors."`
	DetectThreshold   float64       `name:"detect-threshold" env:"PULSE_DETECT_THRESHOLD" default:"2.5" help:"Warning threshold (standard deviations)."`
	DetectCritical    float64       `name:"detect-critical" env:"PULSE_DETECT_CRITICAL" default:"4" help:"Critical threshold (standard deviations)."`

	RecommendSnapshotEvery time.Duration `name:"recommend-snapshot-every" env:"PULSE_RECOMMEND_SNAPSHOT_EVERY" default:"10s" help:"How often the bought-together models of tenants with new orders are snapshotted for the API's /recommendations."`

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
	positive("max-batch", c.MaxBatch)
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
	if c.RecommendSnapshotEvery < 0 {
		errs = append(errs, errors.New("--recommend-snapshot-every must not be negative"))
	}
	if c.GenSpeed < 0 {
		errs = append(errs, errors.New("--gen-speed must not be negative"))
	}
	if _, err := time.LoadLocation(c.DefaultZone); err != nil {
		errs = append(errs, fmt.Errorf("--default-zone: %w", err))
	}
	if c.DetectCritical < c.DetectThreshold {
		errs = append(errs, fmt.Errorf("--detect-critical %g is below --detect-threshold %g", c.DetectCritical, c.DetectThreshold))
	}
	if _, err := api.ParseTokens(c.APITokens); err != nil {
		errs = append(errs, fmt.Errorf("--api-tokens: %w", err))
	}
	if c.BigQueryFlags.Project != "" {
		if err := c.BigQueryFlags.Config().Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.State == "redis" {
		if c.RedisURL == "" {
			errs = append(errs, errors.New("--state redis needs --redis-url"))
		}
		if c.LeaseShards <= 0 {
			errs = append(errs, fmt.Errorf("--lease-shards must be positive, got %d", c.LeaseShards))
		}
		if c.SharedRecommendations && c.RecommendSaveEvery <= 0 {
			errs = append(errs, fmt.Errorf("--recommend-save-every must be positive, got %s", c.RecommendSaveEvery))
		}
		if c.SharedRecommendations && c.RecommendLogMax <= 0 {
			errs = append(errs, fmt.Errorf("--recommend-log-max must be positive, got %d", c.RecommendLogMax))
		}
		if c.LeaseTTL < time.Second {
			errs = append(errs, fmt.Errorf("--lease-ttl %s is under a second", c.LeaseTTL))
		}
	}
	if err := c.windowState().Validate(); err != nil {
		errs = append(errs, err)
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

// windowState is the windows and detector configuration the flags give.
func (c *RunCmd) windowState() processors.WindowStateConfig {
	zone, err := time.LoadLocation(c.DefaultZone)
	if err != nil {
		zone = time.UTC // Validate reports it
	}
	return processors.WindowStateConfig{
		Windows: windows.Config{
			OutOfOrderness: c.OutOfOrderness, AllowedLateness: c.AllowedLateness,
			CorrectionHorizon: c.CorrectionHorizon, IdleTimeout: c.IdleTimeout, DefaultZone: zone,
		},
		Detect: detect.MonitorConfig{Detector: detect.Config{
			Threshold: c.DetectThreshold, Critical: c.DetectCritical, Location: zone,
		}},
		DetectSizes:    c.DetectSizes,
		SnapshotEvery:  c.RecommendSnapshotEvery,
		ModelSaveEvery: c.RecommendSaveEvery,
	}
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
