// tlsclient: a Go HTTPS client (crypto/tls under net/http, standard library
// only), for the Go probes' tests: gosym finds crypto/tls.(*Conn).Write and
// Read in it, with symbols and stripped (-ldflags "-s -w").
//
// usage: tlsclient URL BODY
// POSTs BODY as JSON to URL, certificate unchecked, and prints the answer.
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tlsclient URL BODY")
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Post(os.Args[1], "application/json", strings.NewReader(os.Args[2]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
}
