// tlsloop: an in-process Go crypto/tls write/read loop for the probe-cost
// benchmark (the Go twin of tests/bench/tlsloop.c). A client and a server
// tls.Conn talk over net.Pipe (no sockets); each iteration is one Write of
// SIZE bytes on the client and the Read that takes them on the server.
//
// usage: tlsloop CERT KEY ITERATIONS [SIZE]
// Prints "ready" after the handshake, waits for a line on stdin (so probes
// can be attached to this pid), runs, prints "ns_per_iter N".
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 4 {
		fail(fmt.Errorf("usage: tlsloop CERT KEY ITERATIONS [SIZE]"))
	}
	iters, _ := strconv.Atoi(os.Args[3])
	size := 1024
	if len(os.Args) > 4 {
		size, _ = strconv.Atoi(os.Args[4])
	}
	cert, err := tls.LoadX509KeyPair(os.Args[1], os.Args[2])
	if err != nil {
		fail(err)
	}
	a, b := net.Pipe()
	srv := tls.Server(a, &tls.Config{Certificates: []tls.Certificate{cert}})
	cli := tls.Client(b, &tls.Config{InsecureSkipVerify: true})
	done := make(chan error, 1)
	go func() { done <- srv.Handshake() }()
	if err := cli.Handshake(); err != nil {
		fail(err)
	}
	if err := <-done; err != nil {
		fail(err)
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	msg := make([]byte, size)
	go func() {
		for i := 0; i < iters; i++ {
			if _, err := cli.Write(msg); err != nil {
				fail(err)
			}
		}
	}()
	got := make([]byte, size)
	start := time.Now()
	for i := 0; i < iters; i++ {
		if _, err := io.ReadFull(srv, got); err != nil {
			fail(err)
		}
	}
	fmt.Printf("ns_per_iter %.1f\n", float64(time.Since(start).Nanoseconds())/float64(iters))
}
