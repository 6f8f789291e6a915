package app

import (
	"net"
	"net/netip"

	"github.com/sirupsen/logrus"

	"github.com/incidentbot/incidentbot/internal/config"
)

// warnUnauthenticated logs a warning at start for each way in that asks
// for no credentials: webhooks with INCIDENTBOT_WEBHOOK_AUTH=none, and the
// web view without INCIDENTBOT_WEB_AUTH on an address beyond loopback.
func warnUnauthenticated(log *logrus.Entry, env config.Env, listen net.Addr) {
	if !env.WebhookAuthRequired() {
		log.WithField("setting", "INCIDENTBOT_WEBHOOK_AUTH=none").
			Warn("the webhooks accept anyone: /webhooks/alertmanager, /webhooks/deploy and /heartbeat/ need no token, so anyone who reaches this address can open incidents and page people")
	}
	if env.WebAuth == "" && !loopback(listen) {
		log.WithField("listen", listen.String()).
			Warn("the web view is open: INCIDENTBOT_WEB_AUTH is unset and the listen address is not loopback, so anyone who reaches it can read every incident, postmortem and who is on call (set INCIDENTBOT_WEB_AUTH=user:password)")
	}
}

// loopback reports whether addr is a loopback address. An unspecified one
// (":8080", "0.0.0.0") listens on every interface, so it is not.
func loopback(addr net.Addr) bool {
	if addr == nil {
		return false
	}
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		host = addr.String()
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
