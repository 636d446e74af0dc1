// notls: a Go program that links no crypto/tls (net/http would: it serves
// HTTPS too), for the tests of what the agent says of Go binaries: a Go
// process that is no TLS peer, watched by its sockets alone.
//
// usage: notls PORT
// Prints "ready"; answers each connection's first request with a fixed
// HTTP/1.1 response and closes it.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
)

func serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if line == "\r\n" {
			break
		}
	}
	body := "plain go"
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: notls PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		c, err := ln.Accept()
		if err != nil {
			os.Exit(1)
		}
		go serve(c)
	}
}
