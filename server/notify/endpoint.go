package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrEndpointRefused reports an endpoint on an address the server does
// not notify: loopback, link-local, private, unspecified or multicast,
// unless the configuration allows private endpoints.
var ErrEndpointRefused = errors.New("notification endpoint refused")

// Endpoint schemes.
var schemes = map[string]string{"http": "80", "https": "443", "mqtt": "1883", "mqtts": "8883"}

// ParseEndpoint checks the syntax of a notification endpoint URI: an
// absolute http, https, mqtt or mqtts URI with a host; mqtt and mqtts need
// a topic in the path.
func ParseEndpoint(uri string) (*url.URL, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("endpoint uri %q: %w", uri, err)
	}
	if _, ok := schemes[u.Scheme]; !ok {
		return nil, fmt.Errorf("endpoint uri %q: the scheme must be http, https, mqtt or mqtts", uri)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("endpoint uri %q has no host", uri)
	}
	if isMQTT(u) && strings.Trim(u.Path, "/") == "" {
		return nil, fmt.Errorf("endpoint uri %q: an MQTT endpoint needs a topic in its path", uri)
	}
	return u, nil
}

func isMQTT(u *url.URL) bool { return u.Scheme == "mqtt" || u.Scheme == "mqtts" }

// refusedAddr reports whether notifications must not go to ip.
func refusedAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		// 100.64.0.0/10, shared address space of carrier-grade NAT.
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip)
}

// CheckEndpoint checks an endpoint URI at creation: its syntax and, unless
// allowPrivate, that its host does not resolve to a refused address.
func CheckEndpoint(ctx context.Context, uri string, allowPrivate bool, resolver *net.Resolver) error {
	u, err := ParseEndpoint(uri)
	if err != nil {
		return err
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if refusedAddr(ip) {
			return fmt.Errorf("%w: %s is a loopback, link-local or private address", ErrEndpointRefused, host)
		}
		return nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return fmt.Errorf("%w: %s is a loopback name", ErrEndpointRefused, host)
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	addrs, err := resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		// An unresolvable host is accepted: it may exist later, and it is
		// checked again at each delivery.
		return nil
	}
	for _, ip := range addrs {
		if refusedAddr(ip) {
			return fmt.Errorf("%w: %s resolves to %s, a loopback, link-local or private address", ErrEndpointRefused, host, ip)
		}
	}
	return nil
}

// dialControl refuses connections to refused addresses, after DNS
// resolution, at connection time.
func dialControl(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrEndpointRefused, address)
		}
		if refusedAddr(ap.Addr()) {
			return fmt.Errorf("%w: %s is a loopback, link-local or private address", ErrEndpointRefused, ap.Addr())
		}
		return nil
	}
}
