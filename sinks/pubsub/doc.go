// Package pubsub connects Pulse to Google Cloud Pub/Sub: the real service,
// an emulator named by PUBSUB_EMULATOR_HOST, or an in-process pstest server
// (the embedded default). It ensures topics and subscriptions exist and
// publishes insights and dead letters.
//
// Every connection is a *Conn; Close releases the client and, for the
// embedded server, stops it. A Conn is safe for concurrent use.
package pubsub
