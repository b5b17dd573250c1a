package events

import "time"

// DeadLetter is what Pulse publishes to the dead-letter topic for input it
// cannot use. The original payload and attributes travel unchanged so the
// message can be fixed and replayed.
type DeadLetter struct {
	Reason       Reason            `json:"reason"`
	Error        string            `json:"error"`
	Payload      []byte            `json:"payload"` // base64 in JSON
	Attributes   map[string]string `json:"attributes,omitempty"`
	MessageID    string            `json:"message_id,omitempty"`
	DeadLetterAt time.Time         `json:"dead_lettered_at"`
}

// DeadLetterAttributes are the Pub/Sub attributes of a dead-letter message:
// the original attributes, prefixed "original_", plus the reason.
func (d *DeadLetter) DeadLetterAttributes() map[string]string {
	a := make(map[string]string, len(d.Attributes)+2)
	for k, v := range d.Attributes {
		a["original_"+k] = v
	}
	a["reason"] = string(d.Reason)
	a["error"] = truncate(d.Error, 1024) // Pub/Sub caps attribute values at 1024 bytes
	if t, ok := d.Attributes["tenant_id"]; ok {
		a["tenant_id"] = t
	}
	return a
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// back up to a rune boundary so the attribute stays valid UTF-8
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
