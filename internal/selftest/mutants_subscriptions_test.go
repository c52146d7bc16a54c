package selftest

import (
	"net/http"
	"strings"

	"github.com/opentid/opentid/spec"
)

// Paths of the subscription API.
const (
	pSubs = "/subscriptions"
	pSub  = "/subscriptions/[^/]+"
)

// subscriptionMutants break the requirements of the subscriptions class.
// Notifications leave the server by its own connections, so most of these
// rewrite the subscriptions clients send: a server that ignores a member
// behaves as if the member had not been sent.
func subscriptionMutants() []mutant {
	sub := func(name string) spec.ReqID { return spec.ReqID("/req/subscriptions/" + name) }
	createOrPatch := func(r *http.Request) bool { return route(post, pSubs)(r) || route(patch, pSub)(r) }
	dropMember := func(keys ...string) func(v any) any {
		return func(v any) any {
			if m, ok := v.(map[string]any); ok {
				for _, k := range keys {
					delete(m, k)
				}
			}
			return v
		}
	}
	editNotification := func(fn func(n map[string]any)) func(v any) any {
		return func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if n, ok := m["notification"].(map[string]any); ok {
					fn(n)
				}
			}
			return v
		}
	}
	editEndpoint := func(fn func(ep map[string]any)) func(v any) any {
		return editNotification(func(n map[string]any) {
			if ep, ok := n["endpoint"].(map[string]any); ok {
				fn(ep)
			}
		})
	}
	return []mutant{
		{"subscription create answers 200", sub("create"), statusSwap(route(post, pSubs), 201, 200)},
		{"subscription create accepts any type", sub("invalid"), editBody(route(post, pSubs), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				m["type"] = "Subscription"
			}
			return v
		})},
		{"retrieved subscription without status", sub("retrieve"), editJSON(route(get, pSub), dropMember("status"))},
		{"subscription count missing", sub("query"), onResponse(route(get, pSubs), func(_ *http.Request, c *captured) { c.header.Del("NGSILD-Results-Count") })},
		{"isActive ignored", sub("update"), editBody(route(patch, pSub), dropMember("isActive"))},
		{"subscription delete does nothing", sub("delete"), reply(route(del, pSub), 204, nil, "")},
		{"notification never sent", sub("notify-create"), editBody(route(post, pSubs), editEndpoint(func(ep map[string]any) {
			ep["uri"] = "http://192.0.2.1:9/nowhere"
		}))},
		{"updates not notified", sub("notify-update"), editBody(route(post, pSubs), func(v any) any {
			if m, ok := v.(map[string]any); ok && m["notificationTrigger"] == nil {
				m["notificationTrigger"] = []any{"entityCreated", "entityDeleted"}
			}
			return v
		})},
		{"deletions not notified", sub("notify-delete"), editBody(route(post, pSubs), func(v any) any {
			if m, ok := v.(map[string]any); ok && m["notificationTrigger"] == nil {
				m["notificationTrigger"] = []any{"entityCreated", "entityUpdated", "attributeCreated", "attributeUpdated"}
			}
			return v
		})},
		{"watchedAttributes ignored", sub("watched-attributes"), editBody(route(post, pSubs), dropMember("watchedAttributes"))},
		{"subscription q ignored", sub("q"), editBody(route(post, pSubs), dropMember("q"))},
		{"geoQ ignored", sub("geoq"), editBody(route(post, pSubs), dropMember("geoQ"))},
		{"entity id ignored", sub("entities"), editBody(route(post, pSubs), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if list, ok := m["entities"].([]any); ok {
					for _, x := range list {
						if e, ok := x.(map[string]any); ok {
							delete(e, "id")
						}
					}
				}
			}
			return v
		})},
		{"wrong format", sub("format"), editBody(createOrPatch, editNotification(func(n map[string]any) {
			if n["format"] == "keyValues" {
				n["format"] = "normalized"
			}
		}))},
		{"accept ignored", sub("accept"), editBody(route(post, pSubs), editEndpoint(func(ep map[string]any) { delete(ep, "accept") }))},
		{"receiverInfo dropped", sub("receiver-info"), editBody(route(post, pSubs), editEndpoint(func(ep map[string]any) { delete(ep, "receiverInfo") }))},
		{"showChanges ignored", sub("show-changes"), editBody(route(post, pSubs), editNotification(func(n map[string]any) { delete(n, "showChanges") }))},
		{"throttling ignored", sub("throttling"), editBody(route(post, pSubs), dropMember("throttling"))},
		{"timeInterval ignored", sub("time-interval"), editBody(route(post, pSubs), dropMember("timeInterval"))},
		{"expiresAt ignored", sub("expiry"), editBody(route(post, pSubs), dropMember("expiresAt"))},
		{"status counters not updated", sub("status"), editJSON(route(get, pSub), editNotification(func(n map[string]any) {
			n["timesSent"], n["timesFailed"] = 0, 0
			delete(n, "lastSuccess")
			delete(n, "lastFailure")
		}))},
		{"failed notifications not retried", sub("at-least-once"), editBody(route(post, pSubs), editEndpoint(func(ep map[string]any) {
			if uri, ok := ep["uri"].(string); ok && strings.Contains(uri, "retry") {
				ep["uri"] = uri + "-lost"
			}
		}))},
	}
}
