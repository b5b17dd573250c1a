package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"
	"google.golang.org/api/option"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/processors"
	"github.com/olympus-cloud/pulse/processors/analytics/rediscustomers"
	"github.com/olympus-cloud/pulse/processors/api"
	"github.com/olympus-cloud/pulse/processors/detect"
	"github.com/olympus-cloud/pulse/processors/recommend"
	"github.com/olympus-cloud/pulse/sinks/postgres"
	"github.com/olympus-cloud/pulse/sinks/pubsub"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore"
)

// pipeline is a running `pulse run`: everything it started, in the order it
// must be stopped.
type pipeline struct {
	cfg    *RunCmd
	log    zerolog.Logger
	conn   *pubsub.Conn
	router *message.Router
	shards *processors.Shards
	stats  *processors.Stats
	topics []*pubsub.Topic
	ops    *opsServer

	outputs *processors.Outputs
	states  []*processors.WindowState
	rows    rowSink
	pg      *postgres.Store
	pgLive  *postgres.Live
	history *postgres.HistoryWriter
	stopPg  context.CancelFunc
	redis   *redisstore.Store
	stopRed context.CancelFunc
	api     *api.Server
	apiSrv  *http.Server
	open    *processors.OpenWindows // the API's view of open windows, read on the shards
	recs    recommend.Registry      // the shards' latest bought-together snapshots, for the API
	// sharedRecs reads the models the lease holders save (--state redis
	// with shared recommendations); the API's source then, instead of recs
	sharedRecs *processors.SharedRecommendations

	bg       sync.WaitGroup     // background loops (router, stats, generator)
	stopBg   context.CancelFunc // stops the stats and generator loops
	routerCh chan error
	started  time.Time
}

func startPipeline(ctx context.Context, cfg *RunCmd, log zerolog.Logger) (p *pipeline, err error) {
	p = &pipeline{cfg: cfg, log: log, stats: processors.NewStats(), started: time.Now(), routerCh: make(chan error, 1)}
	defer func() {
		if err != nil {
			p.closeOutputs()
		}
	}()
	if cfg.HTTPAddr != "" {
		if p.ops, err = newOpsServer(cfg.HTTPAddr, cfg.Pprof, log); err != nil {
			return nil, err
		}
		p.ops.registry.MustRegister(p.stats)
	}
	p.conn, err = pubsub.Connect(ctx, pubsub.Config{ProjectID: cfg.Project, EmulatorHost: cfg.EmulatorHost, Real: cfg.Real})
	if err != nil {
		return nil, err
	}
	log.Info().Str("mode", p.conn.Mode()).Str("endpoint", p.conn.Endpoint).Str("project", p.conn.Project).Msg("pubsub connected")
	for _, t := range []string{cfg.DeadLetterTopic, cfg.InsightsTopic, cfg.MetricsTopic} {
		if err := p.conn.EnsureTopic(ctx, t); err != nil {
			return nil, err
		}
	}
	// The subscription must exist before anything publishes, or the first
	// messages have nowhere to go.
	if err := p.conn.EnsureSubscription(ctx, cfg.OrdersTopic, cfg.Subscription, 60); err != nil {
		return nil, err
	}

	dlTopic := p.conn.Topic(cfg.DeadLetterTopic, false)
	p.topics = append(p.topics, dlTopic)
	dead := &pubsub.DeadLetterPublisher{Topic: dlTopic}

	insights := &pubsub.InsightPublisher{
		Metrics:  p.conn.Topic(cfg.MetricsTopic, true),
		Insights: p.conn.Topic(cfg.InsightsTopic, true),
	}
	p.topics = append(p.topics, insights.Metrics, insights.Insights)
	sinkObs := newSinkMetrics(cfg.BigQueryFlags.sinkName())
	if p.rows, err = openRowSink(ctx, cfg.BigQueryFlags, sinkObs, log); err != nil {
		return nil, fmt.Errorf("row sink: %w", err)
	}
	p.outputs = processors.NewOutputs(processors.OutputsConfig{}, insights, pairRows{p.rows}, log)
	wsCfg := cfg.windowState()
	wsCfg.RecommendSnapshots = p.recs.Publish
	wsCfg.RecommendPairs = p.outputs.EmitPairs
	wsCfg.Metrics = processors.NewWindowMetrics()
	wsCfg.Windows.WatermarkLag = wsCfg.Metrics.Lag
	p.register(sinkObs, p.outputs, wsCfg.Metrics)
	emit := p.outputs.Emit
	if cfg.PostgresURL != "" {
		if _, err := p.startPostgres(ctx); err != nil {
			return nil, err
		}
		live := p.pgLive
		// Zones follow the settings while running: a change applies at the
		// day boundary every replica derives from the row (windows.Zone).
		defZone := wsCfg.Windows.DefaultZone
		if defZone == nil {
			defZone = time.UTC
		}
		wsCfg.Windows.TenantZone = func(tenant string) windows.Zone { return live.Settings().TenantZone(tenant, defZone) }
		base := wsCfg.Detect.Detector
		wsCfg.Detect.Tenant = func(tenant, metric string) (detect.Config, bool) {
			d, ok := live.Settings().Detector(tenant, metric)
			if !ok {
				return detect.Config{}, false
			}
			c := base
			if d.Method != "" {
				c.Method = detect.Method(d.Method)
			}
			if d.Threshold > 0 {
				c.Threshold = d.Threshold
			}
			if d.Critical > 0 {
				c.Critical = d.Critical
			}
			return c, true
		}
		wsCfg.TenantDetectSizes = func(tenant string) []string { return live.Settings().WindowSizes(tenant) }
		emit = func(in events.Insight) {
			if live.Allow(in) { // muted periods withhold alerts
				p.outputs.Emit(in)
			}
		}
	}
	var leases *redisstore.Leases
	shareRecs := cfg.State == "redis" && cfg.SharedRecommendations
	if cfg.State == "redis" {
		if leases, err = p.startRedis(ctx, wsCfg); err != nil {
			return nil, err
		}
	}
	if shareRecs {
		// Any replica answers /recommendations from the model the tenant's
		// lease holder saved; the shards' own snapshots would cover only
		// the tenants this replica holds.
		wsCfg.RecommendSnapshots = nil
		if p.sharedRecs, err = processors.NewSharedRecommendations(processors.SharedRecommendationsConfig{
			Models: p.redis, Recommend: wsCfg.Recommend,
		}); err != nil {
			return nil, err
		}
	}
	if err := p.startAPI(wsCfg.Detect.Detector.Location); err != nil {
		return nil, err
	}
	states := make([]*processors.WindowState, cfg.Shards)
	for i := range states {
		c := wsCfg
		if leases != nil {
			c.Windows.Distributed = &windows.Distributed{Remote: p.redis, Leases: leases,
				Shards: cfg.LeaseShards, Member: i, Members: cfg.Shards,
				// A close step commits once its results are published, so a
				// replica killed mid-close loses nothing.
				Sync: p.outputs.Sync}
			// Scored windows go to Redis too, so whichever replica closes a
			// tenant next continues its detectors and analytics.
			c.Log = p.redis
			if shareRecs {
				// Every order's basket goes to its tenant's log in Redis;
				// the tenant's lease holder learns them all.
				c.Models = p.redis
			}
			// Customer state is shared too: any replica applies any order,
			// the lease holder of a tenant's shard sweeps its customers.
			if c.Analytics.Customers, err = rediscustomers.New(rediscustomers.Config{
				Client: p.redis.Client(), Prefix: p.redis.Prefix(), MaxPerTenant: c.Analytics.MaxCustomersPerTenant,
				Leases: leases, Shards: cfg.LeaseShards, Member: i, Members: cfg.Shards,
			}); err != nil {
				return nil, fmt.Errorf("redis customers: %w", err)
			}
		}
		if states[i], err = processors.NewWindowState(c, emit, p.stats, log); err != nil {
			return nil, err
		}
	}
	p.states = states
	p.shards = processors.NewShards(processors.ShardsConfig{Shards: cfg.Shards, MaxBatch: cfg.MaxBatch, Log: log},
		func(i int) processors.ShardState { return states[i] }, p.stats)
	p.open.Attach(p.shards)
	if p.pg != nil && cfg.WarmStart {
		p.warmStart(ctx, wsCfg)
	}
	ingest := processors.NewIngest(processors.IngestConfig{Limits: events.Limits{
		MaxItems: cfg.MaxItems, MaxAmount: cfg.MaxAmount, MaxClockSkew: cfg.MaxClockSkew, MaxAge: cfg.MaxAge,
	}}, dead, p.rows, p.shards, p.stats, log)

	var opts []option.ClientOption
	if p.conn.Endpoint != "" {
		opts = pubsub.EmulatorOptions(p.conn.Endpoint)
	}
	p.router, err = processors.NewRouter(processors.SubscriberConfig{
		ProjectID: p.conn.Project, ClientOptions: opts, Topic: cfg.OrdersTopic,
		Subscription: cfg.Subscription, Streams: cfg.Streams, MaxOutstanding: cfg.MaxOutstanding,
	}, ingest, cfg.ShutdownTimeout, processors.WatermillLogger(log))
	if err != nil {
		return nil, err
	}
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		// The router has its own lifetime: shutdown closes it explicitly so
		// in-flight messages finish before anything downstream stops.
		p.routerCh <- p.router.Run(context.Background())
	}()
	select {
	case <-p.router.Running():
	case err := <-p.routerCh:
		return nil, fmt.Errorf("router stopped at start: %w", err)
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	if p.ops != nil {
		p.ops.addCheck("subscription", func(context.Context) error {
			if !p.router.IsRunning() || p.router.IsClosed() {
				return errors.New("order subscription is not attached")
			}
			return nil
		})
		p.ops.addCheck("pubsub", func(ctx context.Context) error {
			_, err := p.conn.Client.TopicAdminClient.GetTopic(ctx, &pubsubpb.GetTopicRequest{Topic: p.conn.TopicName(cfg.OrdersTopic)})
			return err
		})
	}

	bgCtx, stop := context.WithCancel(context.Background())
	p.stopBg = stop
	if cfg.StatsInterval > 0 {
		p.bg.Add(1)
		go func() { defer p.bg.Done(); p.logStats(bgCtx) }()
	}
	if p.conn.Server != nil && cfg.Generate {
		if err := p.startGenerator(bgCtx); err != nil {
			return nil, err
		}
	}
	log.Info().Str("topic", cfg.OrdersTopic).Str("subscription", cfg.Subscription).
		Int("streams", cfg.Streams).Int("shards", cfg.Shards).Msg("pulse running")
	return p, nil
}

// startRedis connects the shared window state and starts taking closing
// leases: any replica applies any event; each tenant shard's windows are
// closed by the one replica holding its lease.
func (p *pipeline) startRedis(ctx context.Context, ws processors.WindowStateConfig) (*redisstore.Leases, error) {
	w := ws.Windows
	ttl := max(redisstore.DefaultTTL, w.CorrectionHorizon+25*time.Hour+w.OutOfOrderness+w.AllowedLateness+w.IdleTimeout+time.Hour)
	obs := newStoreMetrics()
	rs, err := redisstore.New(ctx, redisstore.Config{URL: p.cfg.RedisURL, Prefix: p.cfg.RedisPrefix, TTL: ttl, Observer: obs,
		BasketMax: p.cfg.RecommendLogMax})
	if err != nil {
		return nil, fmt.Errorf("redis state: %w", err)
	}
	p.register(obs)
	p.redis = rs
	leases, err := redisstore.NewLeases(rs, redisstore.LeasesConfig{Shards: p.cfg.LeaseShards, TTL: p.cfg.LeaseTTL})
	if err != nil {
		return nil, err
	}
	leaseCtx, stop := context.WithCancel(context.Background())
	p.stopRed = stop
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		// Run releases the leases when it stops, so the next holder need
		// not wait for them to expire.
		_ = leases.Run(leaseCtx, func(err error) { p.log.Warn().Err(err).Msg("redis leases") }) // errors reported through the callback
	}()
	if p.ops != nil {
		p.ops.addCheck("redis", func(ctx context.Context) error { return rs.Client().Ping(ctx).Err() })
	}
	p.log.Info().Str("prefix", p.cfg.RedisPrefix).Int("lease_shards", p.cfg.LeaseShards).Msg("window state in redis")
	return leases, nil
}

// startPostgres opens the store (migrating when asked), keeps the tenant
// settings fresh, and records every incident in the alert history. With
// Postgres down it still starts, on default settings, and logs why.
func (p *pipeline) startPostgres(ctx context.Context) (*postgres.Settings, error) {
	store, settings, err := openPostgres(ctx, p.cfg.PostgresFlags, p.log)
	if store == nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err != nil {
		p.log.Warn().Err(err).Msg("postgres not ready: starting on default settings")
	}
	p.pg = store
	p.pgLive = postgres.NewLive(settings)
	watchCtx, stop := context.WithCancel(context.Background())
	p.stopPg = stop
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		store.WatchSettings(watchCtx, p.cfg.SettingsRefresh, settings, p.pgLive.Set)
	}()
	p.history = postgres.NewHistoryWriter(postgres.HistoryWriterConfig{}, store, p.log)
	p.outputs.Observe(p.history.Observe)
	if p.ops != nil {
		p.ops.addCheck("postgres", store.Ping)
	}
	return settings, nil
}

// warmStart seeds each tenant's detectors with its closed windows rebuilt
// from the commerce platform's order history, so a tenant with history is
// scored from its first live window. It runs before any shard takes an
// event (the detectors are the shards' own), bounded by
// --postgres-start-timeout; a tenant it cannot read warms up live.
func (p *pipeline) warmStart(ctx context.Context, ws processors.WindowStateConfig) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.StartTimeout)
	defer cancel()
	now := time.Now()
	wcfg := postgres.WarmConfig{OrdersTable: p.cfg.OrdersTable}
	tenants, err := p.pg.HistoryTenants(ctx, wcfg, now.Add(-120*24*time.Hour))
	if err != nil {
		p.log.Warn().Err(err).Msg("warm start skipped")
		return
	}
	settings := p.pgLive.Settings()
	seeded := 0
	for _, t := range tenants {
		zone := ws.Windows.DefaultZone
		if z := settings.Zone(t); z != nil {
			zone = z
		}
		sizes := ws.DetectSizes
		if s := settings.WindowSizes(t); len(s) > 0 {
			sizes = s
		}
		past, err := p.pg.WarmStart(ctx, wcfg, t, settings.Currency(t), zone, sizes, now)
		if err != nil {
			p.log.Warn().Str("tenant_id", t).Err(err).Msg("warm start of tenant skipped")
			continue
		}
		err = p.shards.Do(ctx, t, func(st processors.ShardState) {
			ws := st.(*processors.WindowState)
			for _, windows := range past {
				for _, w := range windows {
					if ws.Seed(t, w.Window, w.Metrics) {
						seeded++
					}
				}
			}
		})
		if err != nil {
			p.log.Warn().Str("tenant_id", t).Err(err).Msg("warm start of tenant skipped")
		}
	}
	p.log.Info().Int("tenants", len(tenants)).Int("windows", seeded).Msg("detectors warm-started from order history")
}

// startAPI builds the query API and dashboard, feeds it every delivered
// insight, and serves it on --api-addr or next to the probes.
func (p *pipeline) startAPI(zone *time.Location) error {
	tokens, err := api.ParseTokens(p.cfg.APITokens)
	if err != nil {
		return fmt.Errorf("--api-tokens: %w", err)
	}
	if len(tokens) == 0 {
		p.log.Warn().Msg("no API tokens configured (--api-tokens): every /v1 call will be refused")
	}
	p.open = &processors.OpenWindows{}
	acfg := api.Config{Tokens: tokens, RatePerSecond: p.cfg.APIRate, Burst: p.cfg.APIBurst, Location: zone, Open: p.open, Log: p.log,
		Recommendations: &p.recs}
	if p.sharedRecs != nil {
		acfg.Recommendations = p.sharedRecs
	}
	if p.pg != nil {
		acfg.Incidents = pgIncidents{p.pg} // the alert history, shared by every replica
	}
	p.api, err = api.New(acfg)
	if err != nil {
		return err
	}
	p.outputs.Observe(p.api.Observe)
	switch {
	case p.cfg.APIAddr != "":
		ln, err := net.Listen("tcp", p.cfg.APIAddr)
		if err != nil {
			return fmt.Errorf("api listen on %s: %w", p.cfg.APIAddr, err)
		}
		// No write timeout: it would cut the live stream.
		p.apiSrv = &http.Server{Handler: p.api.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := p.apiSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				p.log.Error().Err(err).Msg("api server stopped")
			}
		}()
		p.log.Info().Str("addr", ln.Addr().String()).Msg("api and dashboard listening")
	case p.ops != nil:
		p.ops.mount(p.api.Handler())
	}
	return nil
}

// startGenerator publishes generated traffic into the embedded server:
// --gen-history of simulated past at --gen-speed, then live traffic paced by
// the real clock, so no event is ever ahead of now.
func (p *pipeline) startGenerator(ctx context.Context) error {
	now := time.Now()
	gen, err := eventgen.New(eventgen.Config{
		Seed: p.cfg.GenSeed, Tenants: p.cfg.GenTenants, Now: now,
		Backfill: p.cfg.GenHistory, Duration: p.cfg.GenHistory + 365*24*time.Hour,
	})
	if err != nil {
		return fmt.Errorf("generator: %w", err)
	}
	bp := newBulkPublisher(p.conn.Client, p.cfg.OrdersTopic, bulkOptions{})
	pacer := &eventgen.Pacer{Speed: p.cfg.GenSpeed, Live: true}
	p.log.Info().Int("tenants", p.cfg.GenTenants).Dur("history", p.cfg.GenHistory).
		Float64("speed", p.cfg.GenSpeed).Msg("generator publishing into the embedded Pub/Sub")
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		err := pump(ctx, gen, pacer, time.Now, func(ctx context.Context, m *eventgen.Message) error {
			return bp.Publish(ctx, m.Payload, m.Attributes)
		})
		closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, cerr := bp.Close(closeCtx)
		if err = errors.Join(err, cerr); err != nil {
			p.log.Error().Err(err).Msg("generator stopped with an error")
		}
		p.log.Info().Int64("published", st.Published).Int64("failed", st.Failed).Msg("generator stopped")
	}()
	return nil
}

func (p *pipeline) logStats(ctx context.Context) {
	t := time.NewTicker(p.cfg.StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tenants := p.stats.Tenants()
			d := zerolog.Dict()
			for i, tc := range tenants {
				if i == 20 {
					d.Int("other_tenants", len(tenants)-20)
					break
				}
				d.Int64(tc.Tenant, tc.Events)
			}
			p.log.Info().Int64("received", p.stats.Received.Load()).Int64("acked", p.stats.Acked.Load()).
				Int64("dead_lettered", p.stats.DeadLettered.Load()).Dict("events_by_tenant", d).Msg("tenant counts")
		}
	}
}

// shutdown stops pulling, finishes in-flight messages, flushes state and
// outputs, and logs the totals, all within the shutdown timeout.
func (p *pipeline) shutdown() error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.ShutdownTimeout)
	defer cancel()
	p.log.Info().Msg("shutting down: no new messages; finishing in-flight ones")
	if p.stopBg != nil {
		p.stopBg()
	}
	var errs []error
	if p.router != nil {
		errs = append(errs, p.router.Close())
	}
	if p.shards != nil {
		errs = append(errs, p.shards.Close(ctx))
	}
	if p.outputs != nil {
		errs = append(errs, p.outputs.Close(ctx))
	}
	if p.rows != nil {
		errs = append(errs, p.rows.Close(ctx))
	}
	if p.history != nil {
		errs = append(errs, p.history.Close(ctx))
	}
	if p.stopRed != nil {
		p.stopRed() // after the shards: their last closes held the leases
	}
	if p.stopPg != nil {
		p.stopPg()
	}
	p.bg.Wait()
	errs = append(errs, p.closeOutputs())
	byReason := zerolog.Dict()
	for r, n := range p.stats.DeadLetteredByReason() {
		byReason.Int64(string(r), n)
	}
	p.log.Info().Int64("received", p.stats.Received.Load()).Int64("acked", p.stats.Acked.Load()).
		Int64("nacked", p.stats.Nacked.Load()).Int64("valid", p.stats.Valid.Load()).
		Int64("dead_lettered", p.stats.DeadLettered.Load()).Dict("dead_lettered_by_reason", byReason).
		Int64("insights_published", p.outputs.Published.Load()).Int64("insights_lost", p.outputs.Lost.Load()).
		Dur("shutdown", time.Since(start)).Dur("uptime", time.Since(p.started)).Msg("pulse stopped: totals")
	return errors.Join(errs...)
}

func (p *pipeline) closeOutputs() error {
	if p.api != nil {
		p.api.Close() // ends open streams, which would hold the servers' shutdown
	}
	if p.apiSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = p.apiSrv.Shutdown(ctx) // best effort: the API is read-only
		cancel()
		p.apiSrv = nil
	}
	if p.ops != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = p.ops.shutdown(ctx) // best effort: probes only
		cancel()
		p.ops = nil
	}
	for _, t := range p.topics {
		t.Stop()
	}
	p.topics = nil
	if p.pg != nil {
		p.pg.Close()
		p.pg = nil
	}
	if p.redis != nil {
		_ = p.redis.Close() // nothing left to write: shards and leases are done
		p.redis = nil
	}
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn = nil
	return err
}
