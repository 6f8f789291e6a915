package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// launcher makes the command that runs `incidentbot args...`: the built
// binary, or (in the test) the test binary playing it.
type launcher func(args ...string) *exec.Cmd

// binary runs the incidentbot binary at path.
func binary(path string) launcher {
	return func(args ...string) *exec.Cmd { return exec.Command(path, args...) }
}

// buildBinary builds ./cmd/incidentbot of the module that holds the
// working directory into dir.
func buildBinary(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || len(out) < 2 {
		return "", fmt.Errorf("find the module: %v", err)
	}
	root := filepath.Dir(string(out[:len(out)-1]))
	bin := filepath.Join(dir, "incidentbot")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/incidentbot")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/incidentbot: %v\n%s", err, out)
	}
	return bin, nil
}

// environOf is the environment cmd runs with before ours is added.
func environOf(cmd *exec.Cmd) []string {
	if cmd.Env != nil {
		return cmd.Env
	}
	return os.Environ()
}

// bot is one `incidentbot serve` process at a time, started and killed at will.
type bot struct {
	env    *env
	launch launcher
	cmd    *exec.Cmd
	done   chan error
	log    *os.File
	starts int
}

func newBot(e *env, l launcher) (*bot, error) {
	f, err := os.OpenFile(e.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &bot{env: e, launch: l, log: f}, nil
}

// start starts serve; it does not wait for it to be ready.
func (b *bot) start() error {
	if b.cmd != nil {
		return errors.New("bot already running")
	}
	cmd := b.launch("serve")
	cmd.Env = append(environOf(cmd), b.env.environ()...)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start serve: %w", err)
	}
	b.starts++
	b.cmd, b.done = cmd, make(chan error, 1)
	go func() { b.done <- cmd.Wait() }()
	return nil
}

// waitReady polls /readyz until it answers 200 and returns how long that
// took since start; it fails if the process exits or timeout passes.
func (b *bot) waitReady(since time.Time, timeout time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-b.done:
			b.done <- err
			return 0, fmt.Errorf("serve exited before it was ready: %v (see %s)", err, b.env.logPath)
		default:
		}
		resp, err := client.Get(b.env.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(since), nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("serve not ready within %s (see %s)", timeout, b.env.logPath)
}

// kill sends SIGKILL and waits for the process to be gone.
func (b *bot) kill() {
	if b.cmd == nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGKILL)
	<-b.done
	b.cmd = nil
}

// stop asks for a clean shutdown (SIGTERM) and waits, killing after grace.
func (b *bot) stop(grace time.Duration) error {
	if b.cmd == nil {
		return nil
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-b.done:
		b.cmd = nil
		return err
	case <-time.After(grace):
		b.kill()
		return fmt.Errorf("serve did not stop within %s; killed", grace)
	}
}

func (b *bot) close() {
	b.kill()
	b.log.Close()
}
