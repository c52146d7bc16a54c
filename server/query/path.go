package query

import "strings"

// members are the attribute members a path may end with instead of a
// sub-attribute name; they are not expanded.
var members = map[string]bool{
	"observedAt": true, "createdAt": true, "modifiedAt": true, "unitCode": true, "datasetId": true,
}

// scanner reads one request parameter. Positions are byte offsets.
type scanner struct {
	param string
	s     string
	i     int
}

func (p *scanner) errf(pos int, format string, args ...any) error {
	return syntaxErr(p.param, pos, format, args...)
}

func (p *scanner) eof() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *scanner) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isNameByte reports whether c may appear in an attribute name or a JSON
// key. Every byte of a multi-byte UTF-8 sequence is accepted, so names
// may be written in any script.
func isNameByte(c byte) bool {
	if c >= 0x80 {
		return true
	}
	if c <= ' ' || c == 0x7f {
		return false
	}
	return !strings.ContainsRune(`;|()[]{}=!<>~,."'`, rune(c))
}

func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// scanName reads one segment of an attribute path. A dot ends a segment,
// except in the authority of a full IRI: in "https://example.org/ns/temp"
// the dots of "example.org" belong to the name and the first dot after
// the next '/' ends it ("https://example.org/ns/temp.observedAt" is the
// member observedAt of that attribute). Names of the form "prefix:term"
// and "urn:..." have no authority and end at their first dot.
func (p *scanner) scanName() string {
	start := p.i
	j := p.i
	for j < len(p.s) && isSchemeByte(p.s[j]) {
		j++
	}
	if j > start && isLetter(p.s[start]) && strings.HasPrefix(p.s[j:], "://") {
		p.i = j + 3
		for p.i < len(p.s) && (isNameByte(p.s[p.i]) || p.s[p.i] == '.') && p.s[p.i] != '/' {
			p.i++
		}
	}
	for p.i < len(p.s) && isNameByte(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// parsePath reads an attribute path: name(.name)* then optionally one or
// more [key.key] groups. "a[b][c]" is the same path as "a[b.c]". A last
// segment among the members (observedAt, ...) after at least one dot is
// Path.Member; attribute and sub-attribute names are expanded, members and
// JSON keys are not.
func (p *scanner) parsePath(expand func(string) string) (Path, error) {
	var segs []string
	for {
		start := p.i
		seg := p.scanName()
		if seg == "" {
			if p.eof() {
				return Path{}, p.errf(start, "expected an attribute name")
			}
			return Path{}, p.errf(start, "expected an attribute name, found %q", p.s[start])
		}
		segs = append(segs, seg)
		if p.peek() != '.' {
			break
		}
		p.i++
	}
	var path Path
	if n := len(segs); n > 1 && members[segs[n-1]] {
		path.Member = segs[n-1]
		segs = segs[:n-1]
	}
	for p.peek() == '[' {
		open := p.i
		if path.Member != "" {
			return Path{}, p.errf(open, "a JSON key path cannot follow the member %q", path.Member)
		}
		p.i++
		for {
			start := p.i
			for p.i < len(p.s) && isNameByte(p.s[p.i]) {
				p.i++
			}
			if p.i == start {
				return Path{}, p.errf(start, "expected a key inside [ ]")
			}
			path.JSON = append(path.JSON, p.s[start:p.i])
			if p.peek() != '.' {
				break
			}
			p.i++
		}
		if p.peek() != ']' {
			return Path{}, p.errf(p.i, "expected ']' to close the '[' at position %d", open)
		}
		p.i++
	}
	if p.peek() == '.' {
		return Path{}, p.errf(p.i, "a sub-attribute cannot follow a JSON key path")
	}
	path.Attr = expand(segs[0])
	for _, s := range segs[1:] {
		path.Sub = append(path.Sub, expand(s))
	}
	return path, nil
}
