package runs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/agentgate/agentgate/storage"
)

// CheckWebhookURL validates a run's webhook when the run is created: an
// absolute http or https URL with a host. Relative URLs are refused here;
// see CheckLocalWebhook for servers with custom routes.
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid webhook URL: %v", err)
	}
	if !u.IsAbs() || u.Host == "" {
		return errors.New("invalid webhook URL: it must be absolute (http:// or https://); relative webhooks need custom routes (langgraph.json http.app)")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("invalid webhook URL: scheme %q is not http or https", u.Scheme)
	}
	if u.User != nil {
		return errors.New("invalid webhook URL: credentials in the URL are not allowed")
	}
	return nil
}

// LocalWebhook reports whether raw is a relative webhook ("/path"), which
// a server with custom routes delivers to itself (Options.LocalWebhooks).
func LocalWebhook(raw string) bool {
	return strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//")
}

// CheckLocalWebhook validates a relative webhook: a path starting with a
// single "/", without scheme, host or fragment.
func CheckLocalWebhook(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid webhook URL: %v", err)
	}
	if !LocalWebhook(raw) || u.Scheme != "" || u.Host != "" || u.Fragment != "" {
		return errors.New("invalid webhook URL: a relative webhook must be a path starting with \"/\"")
	}
	return nil
}

// errPrivateTarget refuses a connection to a non-public address.
var errPrivateTarget = errors.New("webhook target is a loopback, private or link-local address")

var (
	sharedAddrs = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	siteLocal   = netip.MustParsePrefix("fec0::/10")
	nat64Local  = netip.MustParsePrefix("64:ff9b:1::/48")
	// IPv6 prefixes that carry an IPv4 address, checked like that address.
	nat64    = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4   = netip.MustParsePrefix("2002::/16")
	v4Compat = netip.MustParsePrefix("::/96")
)

// publicAddr reports whether a webhook may connect to ip.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || sharedAddrs.Contains(ip) || thisNetwork.Contains(ip) ||
		siteLocal.Contains(ip) || nat64Local.Contains(ip) {
		return false
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip), v4Compat.Contains(ip):
			return publicAddr(netip.AddrFrom4([4]byte(b[12:16])))
		case sixTo4.Contains(ip):
			return publicAddr(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}

// dialControl checks the address a webhook connection is about to use,
// after DNS resolution, so that a name resolving (or re-resolving) to a
// private address is refused too.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: unexpected address %q: %w", address, err)
	}
	if !publicAddr(ap.Addr()) {
		return fmt.Errorf("%w (%s)", errPrivateTarget, ap.Addr())
	}
	return nil
}

// webhooks posts run results. Calls run in the background; Stop waits.
type webhooks struct {
	client   *http.Client
	local    http.Handler // receives relative webhooks; nil refuses them
	disabled bool
	log      *slog.Logger
	wg       sync.WaitGroup
}

func newWebhooks(opts Options, log *slog.Logger) *webhooks {
	timeout := opts.WebhookTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: timeout}
	if !opts.AllowPrivateWebhooks {
		d.Control = dialControl
	}
	tr := &http.Transport{
		Proxy:               nil, // a proxy would make the dialer check the proxy, not the target
		DialContext:         d.DialContext,
		TLSHandshakeTimeout: timeout,
		MaxIdleConns:        10,
		IdleConnTimeout:     30 * time.Second,
	}
	client := &http.Client{Transport: tr, Timeout: timeout,
		// Redirects are not followed: the target answers for itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &webhooks{client: client, local: opts.LocalWebhooks, disabled: opts.DisableWebhooks, log: log}
}

// wait waits for the calls in flight and closes idle connections.
func (w *webhooks) wait() {
	w.wg.Wait()
	w.client.CloseIdleConnections()
}

// WebhookPayload is what a webhook receives (§7.7): the run (Redacted) with its final
// status, when it started and ended, when the call was made, the thread's
// values and, for a failed run, the error message.
func WebhookPayload(r storage.Run, started, ended time.Time, values any, errMsg string) map[string]any {
	b, _ := json.Marshal(Redacted(r))
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	m["run_started_at"] = started.UTC().Format(time.RFC3339Nano)
	m["run_ended_at"] = ended.UTC().Format(time.RFC3339Nano)
	m["webhook_sent_at"] = time.Now().UTC().Format(time.RFC3339Nano)
	m["values"] = values
	if errMsg != "" {
		m["error"] = errMsg
	}
	return m
}

// send posts the payload to url in the background; failures are logged.
func (w *webhooks) send(ctx context.Context, url string, r storage.Run, payload map[string]any) {
	log := w.log.With(slog.String("run_id", r.RunID), slog.String("webhook", url))
	if w.disabled {
		log.InfoContext(ctx, "webhooks are disabled: not calling the run's webhook")
		return
	}
	check := CheckWebhookURL
	if w.local != nil && LocalWebhook(url) {
		check = CheckLocalWebhook
	}
	if err := check(url); err != nil {
		log.WarnContext(ctx, "not calling the run's webhook", slog.Any("error", err))
		return
	}
	body, err := json.Marshal(payload)
	if err != nil {
		log.ErrorContext(ctx, "encoding a webhook payload", slog.Any("error", err))
		return
	}
	ctx = context.WithoutCancel(ctx)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			log.WarnContext(ctx, "calling the run's webhook", slog.Any("error", err))
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "agentgate-webhook")
		injectTrace(ctx, req.Header)
		res, err := w.do(req)
		if err != nil {
			log.WarnContext(ctx, "calling the run's webhook", slog.Any("error", err))
			return
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if res.StatusCode >= 300 {
			log.WarnContext(ctx, "the run's webhook answered with an error", slog.Int("status", res.StatusCode))
			return
		}
		log.InfoContext(ctx, "called the run's webhook", slog.Int("status", res.StatusCode))
	}()
}

// do sends req: over the network, or to the local handler for a
// relative webhook (the way the Python server calls its own app).
func (w *webhooks) do(req *http.Request) (*http.Response, error) {
	if req.URL.IsAbs() {
		return w.client.Do(req)
	}
	req.RequestURI, req.RemoteAddr = req.URL.RequestURI(), "127.0.0.1:0"
	if req.Host == "" {
		req.Host = "localhost"
	}
	rec := httptest.NewRecorder()
	w.local.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// sendWebhook calls the webhook of a run that ended (when it has one).
func (s *Scheduler) sendWebhook(ctx context.Context, r storage.Run, out outcome, f storage.RunFinish) {
	if out.kw.Webhook == "" {
		return
	}
	ended := time.Now()
	r.Status, r.UpdatedAt = f.Status, ended.UTC().Truncate(time.Microsecond)
	errMsg := ""
	if e, ok := f.Error.(map[string]any); ok {
		errMsg, _ = e["message"].(string)
	}
	s.hooks.send(ctx, out.kw.Webhook, r, WebhookPayload(r, out.started, ended, f.Values, errMsg))
}
