package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/opentid/opentid/server/notify"
	"github.com/opentid/opentid/server/store/sqlite"
)

// received is one notification a receiver got.
type received struct {
	header http.Header
	body   map[string]any
}

// receiver is an HTTP notification endpoint on loopback.
type receiver struct {
	url  string
	ch   chan received
	fail atomic.Int64 // answer 500 to that many requests first
}

func newReceiver(t *testing.T) *receiver {
	rv := &receiver{ch: make(chan received, 1000)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rv.fail.Add(-1) >= 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		rv.ch <- received{header: r.Header.Clone(), body: m}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hs.Close)
	rv.url = hs.URL + "/notify"
	return rv
}

// next waits for a notification.
func (rv *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case n := <-rv.ch:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5 s")
	}
	return received{}
}

// none checks that no notification comes within d.
func (rv *receiver) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case n := <-rv.ch:
		t.Fatalf("unexpected notification: %v", n.body)
	case <-time.After(d):
	}
}

func fastNotify() Config {
	return Config{AllowPrivateEndpoints: true, Notify: notify.Options{Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Poll: 50 * time.Millisecond}}
}

func subBody(uri string, extra string) string {
	if extra != "" {
		extra = "," + extra
	}
	return fmt.Sprintf(`{"type":"Subscription","entities":[{"type":"Sensor"}],"notification":{"endpoint":{"uri":%q}}%s}`, uri, extra)
}

const sensorA = `{"id":"urn:ngsi-ld:Sensor:a","type":"Sensor","temperature":{"type":"Property","value":20},"humidity":{"type":"Property","value":50},"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[2.35,48.85]}},"scope":"/Paris/Centre"}`

// data returns the only entity of a notification.
func data(t *testing.T, n received) map[string]any {
	t.Helper()
	list, _ := n.body["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("data has %d entities, want 1: %v", len(list), n.body)
	}
	return list[0].(map[string]any)
}

func TestSubscriptionCRUD(t *testing.T) {
	ts := newTestServer(t, Config{AllowPrivateEndpoints: true})
	rv := newReceiver(t)
	resp := ts.must(201, "POST", "/subscriptions", `{"id":"urn:ngsi-ld:Subscription:one","type":"Subscription","subscriptionName":"river","entities":[{"type":"Sensor"}],"watchedAttributes":["temperature"],"q":"temperature>30","notification":{"format":"keyValues","endpoint":{"uri":"`+rv.url+`"}}}`)
	if loc := resp.header.Get("Location"); loc != BasePath+"/subscriptions/urn:ngsi-ld:Subscription:one" {
		t.Errorf("Location = %q", loc)
	}
	ts.wantProblem(409, "AlreadyExists", "POST", "/subscriptions", `{"id":"urn:ngsi-ld:Subscription:one","type":"Subscription","entities":[{"type":"Sensor"}],"notification":{"endpoint":{"uri":"`+rv.url+`"}}}`)
	got := ts.must(200, "GET", "/subscriptions/urn:ngsi-ld:Subscription:one", "").object(t)
	if got["status"] != "active" || got["q"] != "temperature>30" || got["subscriptionName"] != "river" {
		t.Errorf("retrieved %v", got)
	}
	n := got["notification"].(map[string]any)
	if n["format"] != "keyValues" || n["timesSent"] != json.Number("0") {
		t.Errorf("notification = %v", n)
	}
	ts.must(201, "POST", "/subscriptions", subBody(rv.url, ""))
	resp = ts.must(200, "GET", "/subscriptions?count=true&limit=1", "")
	if resp.header.Get("NGSILD-Results-Count") != "2" || len(resp.json(t).([]any)) != 1 || !strings.Contains(resp.header.Get("Link"), `rel="next"`) {
		t.Errorf("query: count %q, link %q, body %s", resp.header.Get("NGSILD-Results-Count"), resp.header.Get("Link"), resp.body)
	}
	ts.must(204, "PATCH", "/subscriptions/urn:ngsi-ld:Subscription:one", `{"isActive":false,"notification":{"format":"concise"}}`)
	got = ts.must(200, "GET", "/subscriptions/urn:ngsi-ld:Subscription:one", "").object(t)
	if got["status"] != "paused" || got["notification"].(map[string]any)["format"] != "concise" || got["q"] != "temperature>30" {
		t.Errorf("after patch: %v", got)
	}
	ts.must(204, "DELETE", "/subscriptions/urn:ngsi-ld:Subscription:one", "")
	ts.wantProblem(404, "ResourceNotFound", "GET", "/subscriptions/urn:ngsi-ld:Subscription:one", "")
	ts.wantProblem(404, "ResourceNotFound", "DELETE", "/subscriptions/urn:ngsi-ld:Subscription:one", "")

	for name, body := range map[string]string{
		"no notification":       `{"type":"Subscription","entities":[{"type":"Sensor"}]}`,
		"no entities":           `{"type":"Subscription","notification":{"endpoint":{"uri":"` + rv.url + `"}}}`,
		"bad q":                 subBody(rv.url, `"q":"temperature>>"`),
		"bad scheme":            subBody("ftp://example.org/x", ""),
		"throttling and period": subBody(rv.url, `"throttling":1,"timeInterval":2`),
		"bad format":            `{"type":"Subscription","entities":[{"type":"Sensor"}],"notification":{"format":"xml","endpoint":{"uri":"` + rv.url + `"}}}`,
		"mqtt without topic":    subBody("mqtt://broker.example.org:1883", ""),
		"bad qos":               `{"type":"Subscription","entities":[{"type":"Sensor"}],"notification":{"endpoint":{"uri":"mqtt://broker.example.org/t","notifierInfo":[{"key":"MQTT-QoS","value":"3"}]}}}`,
	} {
		t.Run(name, func(t *testing.T) { ts.with(t).wantProblem(400, "BadRequestData", "POST", "/subscriptions", body) })
	}
}

func TestSubscriptionRefusesPrivateEndpoints(t *testing.T) {
	ts := newTestServer(t, Config{})
	for _, uri := range []string{"http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest", "mqtt://192.168.1.4/topic"} {
		ts.wantProblem(400, "BadRequestData", "POST", "/subscriptions", subBody(uri, ""))
	}
	ts.must(201, "POST", "/subscriptions", subBody("http://192.0.2.10/notify", ""))
}

func TestNotificationOnCreateUpdateDelete(t *testing.T) {
	ts := newTestServer(t, fastNotify())
	rv := newReceiver(t)
	ts.must(201, "POST", "/subscriptions", `{"id":"urn:ngsi-ld:Subscription:cud","type":"Subscription","entities":[{"type":"Sensor"}],"notification":{"endpoint":{"uri":"`+rv.url+`","receiverInfo":[{"key":"X-Token","value":"s3cret"}]}}}`, "NGSILD-Tenant", "lyon")
	ts.must(201, "POST", "/entities", sensorA, "NGSILD-Tenant", "lyon")
	n := rv.next(t)
	if n.body["type"] != "Notification" || n.body["subscriptionId"] != "urn:ngsi-ld:Subscription:cud" || n.body["triggerReason"] != "entityCreated" ||
		!strings.HasPrefix(n.body["id"].(string), "urn:ngsi-ld:Notification:") || n.body["notifiedAt"] == nil {
		t.Errorf("create notification = %v", n.body)
	}
	if n.header.Get("NGSILD-Tenant") != "lyon" || n.header.Get("X-Token") != "s3cret" || n.header.Get("Content-Type") != "application/json" || !strings.Contains(n.header.Get("Link"), "ngsi-ld-core-context") {
		t.Errorf("headers = %v", n.header)
	}
	e := data(t, n)
	if e["id"] != "urn:ngsi-ld:Sensor:a" || e["temperature"].(map[string]any)["value"] != 20.0 {
		t.Errorf("entity = %v", e)
	}
	ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", `{"temperature":{"type":"Property","value":21}}`, "NGSILD-Tenant", "lyon")
	n = rv.next(t)
	if n.body["triggerReason"] != "entityUpdated" || data(t, n)["temperature"].(map[string]any)["value"] != 21.0 {
		t.Errorf("update notification = %v", n.body)
	}
	ts.must(204, "DELETE", "/entities/urn:ngsi-ld:Sensor:a", "", "NGSILD-Tenant", "lyon")
	n = rv.next(t)
	if e := data(t, n); n.body["triggerReason"] != "entityDeleted" || e["deletedAt"] == nil || e["type"] != "Sensor" {
		t.Errorf("delete notification = %v", n.body)
	}
	// The counters follow.
	deadline := time.Now().Add(2 * time.Second)
	for {
		s := ts.must(200, "GET", "/subscriptions/urn:ngsi-ld:Subscription:cud", "", "NGSILD-Tenant", "lyon").object(t)["notification"].(map[string]any)
		if s["timesSent"] == json.Number("3") && s["lastSuccess"] != nil && s["lastNotification"] != nil && s["status"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNotificationFilters(t *testing.T) {
	cases := []struct {
		name, member string
		notify       bool // on the update of temperature to 35
	}{
		{"type", `"entities":[{"type":"Sensor"}]`, true},
		{"other type", `"entities":[{"type":"Parking"}]`, false},
		{"id", `"entities":[{"id":"urn:ngsi-ld:Sensor:a","type":"Sensor"}]`, true},
		{"other id", `"entities":[{"id":"urn:ngsi-ld:Sensor:b","type":"Sensor"}]`, false},
		{"idPattern", `"entities":[{"idPattern":"^urn:ngsi-ld:Sensor:[a-c]$","type":"Sensor"}]`, true},
		{"other idPattern", `"entities":[{"idPattern":"^urn:ngsi-ld:Sensor:z","type":"Sensor"}]`, false},
		{"watched", `"entities":[{"type":"Sensor"}],"watchedAttributes":["temperature"]`, true},
		{"not watched", `"entities":[{"type":"Sensor"}],"watchedAttributes":["humidity"]`, false},
		{"q true", `"entities":[{"type":"Sensor"}],"q":"temperature>30"`, true},
		{"q false", `"entities":[{"type":"Sensor"}],"q":"temperature<30"`, false},
		{"geoQ in", `"entities":[{"type":"Sensor"}],"geoQ":{"geometry":"Point","coordinates":[2.35,48.85],"georel":"near;maxDistance==1000"}`, true},
		{"geoQ out", `"entities":[{"type":"Sensor"}],"geoQ":{"geometry":"Point","coordinates":[4.83,45.76],"georel":"near;maxDistance==1000"}`, false},
		{"scopeQ in", `"entities":[{"type":"Sensor"}],"scopeQ":"/Paris/#"`, true},
		{"scopeQ out", `"entities":[{"type":"Sensor"}],"scopeQ":"/Lyon/#"`, false},
		{"trigger", `"entities":[{"type":"Sensor"}],"notificationTrigger":["entityDeleted"]`, false},
		{"paused", `"entities":[{"type":"Sensor"}],"isActive":false`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, fastNotify())
			rv := newReceiver(t)
			ts.must(201, "POST", "/entities", sensorA)
			ts.must(201, "POST", "/subscriptions", fmt.Sprintf(`{"type":"Subscription",%s,"notification":{"endpoint":{"uri":%q}}}`, c.member, rv.url))
			ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", `{"temperature":{"type":"Property","value":35}}`)
			if c.notify {
				if v := data(t, rv.next(t))["temperature"].(map[string]any)["value"]; v != 35.0 {
					t.Errorf("temperature = %v", v)
				}
			} else {
				rv.none(t, 300*time.Millisecond)
			}
		})
	}
}

func TestNotificationFormats(t *testing.T) {
	ctx := contextServer(t, map[string]string{"/ctx.jsonld": `{"@context":{"temp":"https://example.org/temperature","Sensor":"https://example.org/Sensor"}}`})
	link := linkHeader(ctx.URL + "/ctx.jsonld")
	cases := []struct {
		name, notification string
		check              func(t *testing.T, n received)
	}{
		{"normalized", `{"endpoint":{"uri":"%s"}}`, func(t *testing.T, n received) {
			if e := data(t, n); e["temp"].(map[string]any)["type"] != "Property" || e["type"] != "Sensor" {
				t.Errorf("entity = %v", e)
			}
			if !strings.Contains(n.header.Get("Link"), "/ctx.jsonld") {
				t.Errorf("Link = %q", n.header.Get("Link"))
			}
		}},
		{"concise", `{"format":"concise","endpoint":{"uri":"%s"}}`, func(t *testing.T, n received) {
			if e := data(t, n); e["temp"] != 35.0 {
				t.Errorf("entity = %v", e)
			}
		}},
		{"keyValues", `{"format":"keyValues","attributes":["temp"],"endpoint":{"uri":"%s"}}`, func(t *testing.T, n received) {
			if e := data(t, n); e["temp"] != 35.0 || e["https://example.org/humidity"] != nil || len(e) != 3 {
				t.Errorf("entity = %v", e)
			}
		}},
		{"ld+json", `{"sysAttrs":true,"endpoint":{"uri":"%s","accept":"application/ld+json"}}`, func(t *testing.T, n received) {
			if n.header.Get("Content-Type") != "application/ld+json" || n.body["@context"] == nil {
				t.Errorf("content type %q, body %v", n.header.Get("Content-Type"), n.body)
			}
			if e := data(t, n); e["modifiedAt"] == nil {
				t.Errorf("sysAttrs: %v", e)
			}
		}},
		{"showChanges", `{"showChanges":true,"endpoint":{"uri":"%s"}}`, func(t *testing.T, n received) {
			if a := data(t, n)["temp"].(map[string]any); a["previousValue"] != 20.0 {
				t.Errorf("attribute = %v", a)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, fastNotify())
			rv := newReceiver(t)
			ts.must(201, "POST", "/entities", `{"id":"urn:ngsi-ld:Sensor:f","type":"Sensor","temp":{"type":"Property","value":20},"humidity":{"type":"Property","value":1}}`, "Link", link)
			ts.must(201, "POST", "/subscriptions", fmt.Sprintf(`{"type":"Subscription","entities":[{"type":"Sensor"}],"watchedAttributes":["temp"],"notification":`+c.notification+`}`, rv.url), "Link", link)
			ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:f/attrs", `{"temp":{"type":"Property","value":35}}`, "Link", link)
			c.check(t, rv.next(t))
		})
	}
}

func TestThrottling(t *testing.T) {
	ts := newTestServer(t, fastNotify())
	rv := newReceiver(t)
	ts.must(201, "POST", "/entities", sensorA)
	ts.must(201, "POST", "/subscriptions", subBody(rv.url, `"throttling":1`))
	for i := 1; i <= 5; i++ {
		ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", fmt.Sprintf(`{"temperature":{"type":"Property","value":%d}}`, i))
	}
	start := time.Now()
	var last float64
	count := 0
	for last != 5 {
		n := rv.next(t)
		count++
		last = data(t, n)["temperature"].(map[string]any)["value"].(float64)
	}
	if count > 2 {
		t.Errorf("%d notifications for 5 updates with throttling 1 s, want at most 2", count)
	}
	// Two notifications are at least the throttling period apart.
	ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", `{"temperature":{"type":"Property","value":6}}`)
	rv.next(t)
	if el := time.Since(start); count == 1 && el < 900*time.Millisecond {
		t.Errorf("second notification after %v, want about 1 s", el)
	}
}

func TestPeriodicNotifications(t *testing.T) {
	ts := newTestServer(t, fastNotify())
	rv := newReceiver(t)
	ts.must(201, "POST", "/entities", sensorA)
	ts.must(201, "POST", "/subscriptions", subBody(rv.url, `"timeInterval":0.5`))
	first := rv.next(t)
	second := rv.next(t)
	if first.body["triggerReason"] != "timeInterval" || data(t, second)["id"] != "urn:ngsi-ld:Sensor:a" {
		t.Errorf("periodic notifications: %v, %v", first.body, second.body)
	}
	t1, _ := time.Parse(time.RFC3339, first.body["notifiedAt"].(string))
	t2, _ := time.Parse(time.RFC3339, second.body["notifiedAt"].(string))
	if d := t2.Sub(t1); d < 400*time.Millisecond {
		t.Errorf("interval between periodic notifications %v, want about 500 ms", d)
	}
}

func TestExpiry(t *testing.T) {
	ts := newTestServer(t, fastNotify())
	rv := newReceiver(t)
	ts.must(201, "POST", "/entities", sensorA)
	exp := time.Now().Add(700 * time.Millisecond).UTC().Format(time.RFC3339Nano)
	ts.must(201, "POST", "/subscriptions", subBody(rv.url, `"id":"urn:ngsi-ld:Subscription:exp","expiresAt":"`+exp+`"`))
	ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", `{"temperature":{"type":"Property","value":1}}`)
	rv.next(t)
	time.Sleep(800 * time.Millisecond)
	ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", `{"temperature":{"type":"Property","value":2}}`)
	rv.none(t, 300*time.Millisecond)
	if st := ts.must(200, "GET", "/subscriptions/urn:ngsi-ld:Subscription:exp", "").object(t)["status"]; st != "expired" {
		t.Errorf("status = %v", st)
	}
}

func TestRetriesThenRecovery(t *testing.T) {
	ts := newTestServer(t, fastNotify())
	rv := newReceiver(t)
	rv.fail.Store(3)
	ts.must(201, "POST", "/entities", sensorA)
	ts.must(201, "POST", "/subscriptions", subBody(rv.url, `"id":"urn:ngsi-ld:Subscription:retry"`))
	for i := 1; i <= 3; i++ {
		ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", fmt.Sprintf(`{"temperature":{"type":"Property","value":%d}}`, i))
	}
	for i := 1; i <= 3; i++ { // every one, in order
		if v := data(t, rv.next(t))["temperature"].(map[string]any)["value"]; v != float64(i) {
			t.Fatalf("notification %d carries %v", i, v)
		}
	}
	time.Sleep(100 * time.Millisecond)
	n := ts.must(200, "GET", "/subscriptions/urn:ngsi-ld:Subscription:retry", "").object(t)["notification"].(map[string]any)
	if n["timesFailed"] != json.Number("3") || n["timesSent"] != json.Number("3") || n["lastFailure"] == nil || n["status"] != "ok" {
		t.Errorf("status = %v", n)
	}
}

func TestDeadLetter(t *testing.T) {
	cfg := fastNotify()
	cfg.Notify.MaxAttempts = 2
	ts := newTestServer(t, cfg)
	rv := newReceiver(t)
	rv.fail.Store(1000)
	ts.must(201, "POST", "/entities", sensorA)
	ts.must(201, "POST", "/subscriptions", subBody(rv.url, `"id":"urn:ngsi-ld:Subscription:dead"`))
	ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", `{"temperature":{"type":"Property","value":1}}`)
	deadline := time.Now().Add(3 * time.Second)
	for {
		n := ts.must(200, "GET", "/subscriptions/urn:ngsi-ld:Subscription:dead", "").object(t)["notification"].(map[string]any)
		if n["deadLettered"] == json.Number("1") {
			if n["status"] != "failed" || n["timesFailed"] != json.Number("2") || n["pending"] != json.Number("0") {
				t.Errorf("status = %v", n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not dead-lettered: %v", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRestartBetweenChangeAndDelivery commits a change while no delivery
// runs, closes the store, and opens it again: the notification is sent.
func TestRestartBetweenChangeAndDelivery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "restart.db")
	rv := newReceiver(t)
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(fastNotify(), st, nil) // not started: nothing is delivered
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	ts := &testServer{t: t, url: hs.URL + BasePath, root: hs.URL}
	ts.must(201, "POST", "/subscriptions", subBody(rv.url, ""))
	ts.must(201, "POST", "/entities", sensorA)
	ts.must(204, "PATCH", "/entities/urn:ngsi-ld:Sensor:a/attrs", `{"temperature":{"type":"Property","value":7}}`)
	hs.Close()
	st.Close()
	rv.none(t, 200*time.Millisecond)

	st, err = sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := New(fastNotify(), st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer h.(*Server).Close()
	if r := rv.next(t); r.body["triggerReason"] != "entityCreated" {
		t.Errorf("first = %v", r.body)
	}
	if v := data(t, rv.next(t))["temperature"].(map[string]any)["value"]; v != 7.0 {
		t.Errorf("second carries %v", v)
	}
}

// TestMQTTNotification publishes through the broker named by
// OPENTID_TEST_MQTT (for example tcp://127.0.0.1:1883).
func TestMQTTNotification(t *testing.T) {
	broker := os.Getenv("OPENTID_TEST_MQTT")
	if broker == "" {
		t.Skip("set OPENTID_TEST_MQTT=tcp://host:1883 to an MQTT broker to run this test")
	}
	topic := fmt.Sprintf("opentid/test/%d", time.Now().UnixNano())
	got := make(chan []byte, 10)
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("opentid-test-" + topic[len("opentid/test/"):]))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect to %s: %v", broker, tok.Error())
	}
	defer c.Disconnect(100)
	var once sync.Once
	if tok := c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) { got <- m.Payload() }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	once.Do(func() {})
	ts := newTestServer(t, fastNotify())
	uri := "mqtt://" + strings.TrimPrefix(strings.TrimPrefix(broker, "tcp://"), "mqtt://") + "/" + topic
	ts.must(201, "POST", "/subscriptions", `{"type":"Subscription","entities":[{"type":"Sensor"}],"notification":{"endpoint":{"uri":"`+uri+`","notifierInfo":[{"key":"MQTT-QoS","value":"1"}]}}}`, "NGSILD-Tenant", "mq")
	ts.must(201, "POST", "/entities", sensorA, "NGSILD-Tenant", "mq")
	select {
	case p := <-got:
		var msg struct {
			Metadata map[string]string `json:"metadata"`
			Body     map[string]any    `json:"body"`
		}
		if err := json.Unmarshal(p, &msg); err != nil {
			t.Fatalf("message is not JSON: %v: %s", err, p)
		}
		if msg.Metadata["Content-Type"] != "application/json" || msg.Metadata["NGSILD-Tenant"] != "mq" || msg.Body["type"] != "Notification" {
			t.Errorf("message = %s", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no MQTT message within 5 s")
	}
}
