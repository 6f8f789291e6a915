// Package alertmanager receives Prometheus Alertmanager webhook
// notifications and turns them into incidents.
//
// The path of one notification: Handler authenticates and validates the
// request body (Decode), Batcher writes it to the Inbox together with
// concurrent ones (one insertMany), and only then is the request answered
// 200. Applier later reads the inbox oldest first, routes each notification
// by its labels (routing.Table, which the config fills; the matchers are
// package labels) and hands it to the incidents service. A crash between the answer and the
// apply loses nothing: the item stays in the inbox until it is applied.
package alertmanager
