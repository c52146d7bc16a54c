package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/opentid/opentid/server/ngsild"
)

// permanentError is a failure that retrying cannot fix (a notification
// larger than the limit, an endpoint refused): the notification goes to
// the dead letters at once.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p) || errors.Is(err, ErrEndpointRefused)
}

// headers are the protocol headers of a notification: Content-Type, Link,
// NGSILD-Tenant and the receiverInfo entries.
func headers(sub *ngsild.Subscription, tenant string, n *notification) [][2]string {
	h := [][2]string{{"Content-Type", n.ContentType}}
	if n.Link != "" {
		h = append(h, [2]string{"Link", n.Link})
	}
	if tenant != "" {
		h = append(h, [2]string{"NGSILD-Tenant", tenant})
	}
	for _, kv := range sub.Notify.Endpoint.ReceiverInfo {
		h = append(h, [2]string{kv.Key, kv.Value})
	}
	return h
}

// httpSender posts notifications, keeping connections alive per host.
type httpSender struct {
	client *http.Client
}

func newHTTPSender(timeout time.Duration, allowPrivate bool) *httpSender {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: dialControl(allowPrivate)}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	return &httpSender{client: &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// A notification is not re-posted to another place.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (s *httpSender) send(ctx context.Context, u *url.URL, sub *ngsild.Subscription, tenant string, n *notification) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(n.Body))
	if err != nil {
		return permanentError{err}
	}
	for _, kv := range headers(sub, tenant, n) {
		req.Header.Set(kv[0], kv[1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return nil
}

func (s *httpSender) close() { s.client.CloseIdleConnections() }

// mqttSender publishes notifications (NGSI-LD clause 7): one client per
// broker and user, kept connected.
type mqttSender struct {
	timeout      time.Duration
	allowPrivate bool
	mu           sync.Mutex
	clients      map[string]mqtt.Client
}

func newMQTTSender(timeout time.Duration, allowPrivate bool) *mqttSender {
	return &mqttSender{timeout: timeout, allowPrivate: allowPrivate, clients: map[string]mqtt.Client{}}
}

func notifierInfo(sub *ngsild.Subscription, key string) string {
	for _, kv := range sub.Notify.Endpoint.NotifierInfo {
		if strings.EqualFold(kv.Key, key) {
			return kv.Value
		}
	}
	return ""
}

// MQTTQoS returns the QoS of an MQTT endpoint: notifierInfo MQTT-QoS, 0
// by default; ok is false for a value other than 0, 1 or 2.
func MQTTQoS(sub *ngsild.Subscription) (byte, bool) {
	v := notifierInfo(sub, "MQTT-QoS")
	if v == "" {
		return 0, true
	}
	q, err := strconv.Atoi(v)
	if err != nil || q < 0 || q > 2 {
		return 0, false
	}
	return byte(q), true
}

func (s *mqttSender) client(u *url.URL) (mqtt.Client, error) {
	port := u.Port()
	if port == "" {
		port = schemes[u.Scheme]
	}
	broker := "tcp://"
	if u.Scheme == "mqtts" {
		broker = "ssl://"
	}
	broker += net.JoinHostPort(u.Hostname(), port)
	user, pass := "", ""
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	key := broker + "\x00" + user + "\x00" + pass
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[key]; ok && c.IsConnectionOpen() {
		return c, nil
	}
	opts := mqtt.NewClientOptions().AddBroker(broker).
		SetClientID("opentid-" + strconv.FormatInt(time.Now().UnixNano(), 36)).
		SetConnectTimeout(s.timeout).
		SetWriteTimeout(s.timeout).
		SetAutoReconnect(true).
		SetConnectRetry(false).
		SetCleanSession(true).
		SetDialer(&net.Dialer{Timeout: s.timeout, Control: dialControl(s.allowPrivate)})
	if u.Scheme == "mqtts" {
		opts.SetTLSConfig(&tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
	}
	if user != "" {
		opts.SetUsername(user).SetPassword(pass)
	}
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(s.timeout) {
		c.Disconnect(0)
		return nil, fmt.Errorf("connecting to the MQTT broker %s timed out", broker)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("connecting to the MQTT broker %s: %w", broker, err)
	}
	if old, ok := s.clients[key]; ok {
		old.Disconnect(0)
	}
	s.clients[key] = c
	return c, nil
}

// mqttMessage is the MQTT message of a notification: the metadata that
// HTTP carries in headers, and the notification as the body.
func mqttMessage(sub *ngsild.Subscription, tenant string, n *notification) ([]byte, error) {
	meta := ngsild.Object{}
	for _, kv := range headers(sub, tenant, n) {
		meta = append(meta, ngsild.Member{Key: kv[0], Value: kv[1]})
	}
	msg := ngsild.Object{{Key: "metadata", Value: meta}, {Key: "body", Value: json.RawMessage(n.Body)}}
	return json.Marshal(msg)
}

func (s *mqttSender) send(ctx context.Context, u *url.URL, sub *ngsild.Subscription, tenant string, n *notification) error {
	qos, ok := MQTTQoS(sub)
	if !ok {
		return permanentError{errors.New("notifierInfo MQTT-QoS must be 0, 1 or 2")}
	}
	c, err := s.client(u)
	if err != nil {
		return err
	}
	payload, err := mqttMessage(sub, tenant, n)
	if err != nil {
		return permanentError{err}
	}
	tok := c.Publish(strings.TrimPrefix(u.Path, "/"), qos, false, payload)
	wait := s.timeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
		wait = time.Until(d)
	}
	if !tok.WaitTimeout(wait) {
		return errors.New("publishing to the MQTT broker timed out")
	}
	return tok.Error()
}

func (s *mqttSender) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, c := range s.clients {
		c.Disconnect(250)
		delete(s.clients, k)
	}
}
