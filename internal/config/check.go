package config

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// The rules several components share, in the words the file's reader sees. Each names the field
// by its path below f's root and shows its value as f says.

// CheckListen accepts host:port with a numeric port, as net.Listen("tcp", addr) takes it.
func CheckListen(f *Fields, rel, addr string) error {
	field := f.Path(rel)
	if addr == "" {
		return fmt.Errorf("%s: required (host:port, e.g. 127.0.0.1:8080 or :8080)", field)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: %s is not host:port (e.g. 127.0.0.1:8080 or :8080)", field, f.Show(rel, addr))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		if f.FromEnv(rel) {
			return fmt.Errorf("%s: the port in %s is not a number from 0 to 65535", field, f.Show(rel, addr))
		}
		return fmt.Errorf("%s: port %q is not a number from 0 to 65535", field, port)
	}
	return nil
}

// CheckPositive accepts a duration greater than zero.
func CheckPositive(f *Fields, rel string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("%s: must be greater than 0 (got %s)", f.Path(rel), f.Show(rel, d))
	}
	return nil
}
