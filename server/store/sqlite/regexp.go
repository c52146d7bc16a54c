package sqlite

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"regexp"
	"sync"

	sqlite "modernc.org/sqlite"
)

var (
	registerOnce sync.Once
	registerErr  error
)

// registerFunctions adds the functions of the store to the driver, once
// per process: connections opened afterwards have them. REGEXP, and the
// Go side of queries (eval.go).
func registerFunctions() error {
	registerOnce.Do(func() {
		registerErr = errors.Join(
			sqlite.RegisterDeterministicScalarFunction("regexp", 2, regexpFunc),
			sqlite.RegisterScalarFunction("opentid_match", 3, matchFunc),
			sqlite.RegisterScalarFunction("opentid_sort", 4, sortFunc),
			sqlite.RegisterCollationUtf8("opentid_value", collateValues),
		)
		if registerErr != nil {
			registerErr = fmt.Errorf("sqlite: register functions: %w", registerErr)
		}
	})
	return registerErr
}

// regexpFunc implements "X REGEXP Y", which SQLite calls as regexp(Y, X):
// whether the text X matches the Go (RE2) pattern Y, unanchored.
func regexpFunc(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	pattern, ok1 := text(args[0])
	s, ok2 := text(args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	re, err := patterns.compile(pattern)
	if err != nil {
		return nil, err
	}
	if re.MatchString(s) {
		return int64(1), nil
	}
	return int64(0), nil
}

func text(v driver.Value) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// patternCache keeps compiled patterns, so that a query compiles its
// pattern once rather than once per row. It is bounded: patterns come
// from requests.
type patternCache struct {
	mu sync.Mutex
	m  map[string]*regexp.Regexp
}

const maxCachedPatterns = 128

var patterns = &patternCache{m: map[string]*regexp.Regexp{}}

func (c *patternCache) compile(pattern string) (*regexp.Regexp, error) {
	c.mu.Lock()
	re := c.m[pattern]
	c.mu.Unlock()
	if re != nil {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCachedPatterns {
		clear(c.m)
	}
	c.m[pattern] = re
	c.mu.Unlock()
	return re, nil
}
