package faultproxy

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echo serves an echo server until t ends.
func echo(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					c.Write(buf[:n])
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(c net.Conn, r *bufio.Reader, timeout time.Duration) error {
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err := r.ReadString('\n')
	return err
}

// TestStallResumeDrop: traffic flows, is held while stalled, flows again
// after Resume, and Drop closes open connections.
func TestStallResumeDrop(t *testing.T) {
	p := New(t, echo(t))
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if err := roundTrip(c, r, 2*time.Second); err != nil {
		t.Fatalf("before stall: %v", err)
	}
	p.Stall()
	if err := roundTrip(c, r, 200*time.Millisecond); err == nil {
		t.Fatal("a round trip went through a stalled proxy")
	}
	p.Resume()
	// The held "ping" arrives now, then this one.
	if err := roundTrip(c, r, 2*time.Second); err != nil {
		t.Fatalf("after resume: %v", err)
	}
	p.Drop()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := r.ReadString('\n'); err == nil {
		if _, err = r.ReadString('\n'); err == nil {
			t.Fatal("connection still open after Drop")
		}
	}
	c2, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := roundTrip(c2, bufio.NewReader(c2), 2*time.Second); err != nil {
		t.Fatalf("new connection after drop: %v", err)
	}
}
