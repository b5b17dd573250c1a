package processors

import (
	"github.com/ThreeDotsLabs/watermill"
	"github.com/rs/zerolog"
)

// watermillLogger adapts zerolog to Watermill's logger interface. Watermill's
// info chatter goes to debug; its errors stay errors.
type watermillLogger struct{ l zerolog.Logger }

// WatermillLogger returns a Watermill logger writing to l.
func WatermillLogger(l zerolog.Logger) watermill.LoggerAdapter {
	return watermillLogger{l.With().Str("component", "watermill").Logger()}
}

func (w watermillLogger) Error(msg string, err error, f watermill.LogFields) {
	w.l.Error().Err(err).Fields(map[string]any(f)).Msg(msg)
}
func (w watermillLogger) Info(msg string, f watermill.LogFields) {
	w.l.Debug().Fields(map[string]any(f)).Msg(msg)
}
func (w watermillLogger) Debug(msg string, f watermill.LogFields) {
	w.l.Trace().Fields(map[string]any(f)).Msg(msg)
}
func (w watermillLogger) Trace(msg string, f watermill.LogFields) {
	w.l.Trace().Fields(map[string]any(f)).Msg(msg)
}
func (w watermillLogger) With(f watermill.LogFields) watermill.LoggerAdapter {
	return watermillLogger{w.l.With().Fields(map[string]any(f)).Logger()}
}
