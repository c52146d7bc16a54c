package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests start the server as a child process: the test binary itself,
// told by childEnv to behave as the opentid program.
const childEnv = "OPENTID_TEST_RUN_AS_PROGRAM"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// child is a running "opentid serve" process.
type child struct {
	cmd  *exec.Cmd
	base string // http://host:port
	logs chan map[string]any
	done chan error
}

func startServer(t *testing.T, db string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--db", db, "--log-format", "json")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, logs: make(chan map[string]any, 100), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil {
				select {
				case c.logs <- line:
				default:
				}
			}
		}
		close(c.logs)
	}()
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-c.done
		}
	})
	deadline := time.After(30 * time.Second)
	for c.base == "" {
		select {
		case line, ok := <-c.logs:
			if !ok {
				t.Fatal("the server exited before listening")
			}
			if line["msg"] == "listening" {
				c.base = "http://" + line["addr"].(string)
			}
		case <-deadline:
			t.Fatal("the server did not start listening")
		}
	}
	return c
}

func (c *child) send(t *testing.T, method, path, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, c.base+"/ngsi-ld/v1"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (c *child) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(c.base + "/ngsi-ld/v1" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestAcknowledgedWritesSurviveKill kills the server with SIGKILL right
// after acknowledged writes, restarts it on the same database and finds
// every one of them.
func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kill.db")
	srv := startServer(t, db)
	const n = 200
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"id": "urn:ngsi-ld:ParkingSpot:%d", "type": "ParkingSpot", "status": "free", "n": %d}`, i, i)
		if st := srv.send(t, "POST", "/entities", body); st != http.StatusCreated {
			t.Fatalf("create %d: status %d", i, st)
		}
	}
	var batch []string
	for i := n; i < n+500; i++ {
		batch = append(batch, fmt.Sprintf(`{"id": "urn:ngsi-ld:ParkingSpot:%d", "type": "ParkingSpot", "status": "free", "n": %d}`, i, i))
	}
	if st := srv.send(t, "POST", "/entityOperations/upsert", "["+strings.Join(batch, ",")+"]"); st != http.StatusCreated {
		t.Fatalf("batch upsert: status %d", st)
	}
	if st := srv.send(t, "PATCH", "/entities/urn:ngsi-ld:ParkingSpot:7/attrs", `{"status": "occupied"}`); st != http.StatusNoContent {
		t.Fatalf("update: status %d", st)
	}
	if st := srv.send(t, "DELETE", "/entities/urn:ngsi-ld:ParkingSpot:8", ""); st != http.StatusNoContent {
		t.Fatalf("delete: status %d", st)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.done

	again := startServer(t, db)
	for i := 0; i < n+500; i++ {
		st, e := again.get(t, fmt.Sprintf("/entities/urn:ngsi-ld:ParkingSpot:%d?options=keyValues", i))
		switch {
		case i == 8:
			if st != http.StatusNotFound {
				t.Errorf("deleted entity 8 is back: status %d", st)
			}
		case st != http.StatusOK:
			t.Fatalf("entity %d lost after kill -9: status %d", i, st)
		case i == 7 && e["status"] != "occupied":
			t.Errorf("update of entity 7 lost: %v", e)
		case e["n"] != float64(i):
			t.Errorf("entity %d: n = %v", i, e["n"])
		}
	}
}

// TestGracefulShutdown sends SIGTERM and expects a clean exit.
func TestGracefulShutdown(t *testing.T) {
	srv := startServer(t, filepath.Join(t.TempDir(), "term.db"))
	if resp, err := http.Get(srv.base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	stopped := false
	for line := range srv.logs {
		if line["msg"] == "stopped" {
			stopped = true
		}
	}
	if !stopped {
		t.Error(`no "stopped" log line`)
	}
}

// TestServeCacheEntries: --cache-entries and OPENTID_CACHE_ENTRIES reach
// the configuration, the flag over the variable.
func TestServeCacheEntries(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want int
	}{{nil, "", 0}, {nil, "20000", 20000}, {[]string{"--cache-entries", "-1"}, "20000", -1}} {
		getenv := func(name string) string {
			if name == "OPENTID_CACHE_ENTRIES" {
				return c.env
			}
			return ""
		}
		conf, err := parseServeFlags(c.args, getenv, io.Discard)
		if err != nil || conf.cacheEntries != c.want {
			t.Errorf("%v with %q: cache entries %d (%v), want %d", c.args, c.env, conf.cacheEntries, err, c.want)
		}
	}
}

func TestRunUsage(t *testing.T) {
	var out, errOut strings.Builder
	ctx := context.Background()
	if err := run(ctx, nil, os.Getenv, &out, &errOut); exitCode(err) != 2 {
		t.Errorf("no command: %v", err)
	}
	if err := run(ctx, []string{"frobnicate"}, os.Getenv, &out, &errOut); exitCode(err) != 2 {
		t.Errorf("unknown command: %v", err)
	}
	if err := run(ctx, []string{"serve", "--no-such-flag"}, os.Getenv, &out, &errOut); exitCode(err) != 2 {
		t.Errorf("unknown flag: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"version"}, os.Getenv, &out, &errOut); err != nil || !strings.Contains(out.String(), "NGSI-LD 1.9.1") {
		t.Errorf("version: %v %q", err, out.String())
	}
	env := func(name string) string {
		if name == "OPENTID_DB" {
			return "postgres://localhost/x"
		}
		return ""
	}
	if err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env, &out, &errOut); err == nil || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("postgres URL: %v", err)
	}
}
