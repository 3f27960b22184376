package faultproxy

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// echo serves line echo on a local port.
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
				rd := bufio.NewReader(c)
				for {
					line, err := rd.ReadString('\n')
					if err != nil {
						return
					}
					c.Write([]byte(line))
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(c net.Conn, rd *bufio.Reader, msg string, wait time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write([]byte(msg + "\n")); err != nil {
		return "", err
	}
	return rd.ReadString('\n')
}

func TestStallDropResume(t *testing.T) {
	p, err := New(echo(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	if got, err := roundTrip(c, rd, "a", time.Second); err != nil || got != "a\n" {
		t.Fatalf("pass: %q %v", got, err)
	}
	p.Stall()
	if _, err := roundTrip(c, rd, "b", 100*time.Millisecond); err == nil {
		t.Fatal("stalled: got an answer")
	}
	p.Resume()
	c.SetDeadline(time.Now().Add(time.Second))
	if got, err := rd.ReadString('\n'); err != nil || got != "b\n" {
		t.Fatalf("after resume: %q %v", got, err)
	}
	p.Drop()
	if _, err := roundTrip(c, rd, "c", time.Second); err == nil {
		t.Fatal("dropped: the connection still answers")
	}
	c2, err := net.Dial("tcp", p.Addr())
	if err == nil {
		rd2 := bufio.NewReader(c2)
		if _, err := roundTrip(c2, rd2, "d", 300*time.Millisecond); err == nil {
			t.Fatal("dropped: a new connection answers")
		}
		c2.Close()
	}
	p.Resume()
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if got, err := roundTrip(c3, bufio.NewReader(c3), "e", time.Second); err != nil || got != "e\n" {
		t.Fatalf("after resume: %q %v", got, err)
	}
}
