// tlsclient: a Go HTTPS client (crypto/tls under net/http, standard library
// only), for the Go probes' tests: gosym finds crypto/tls.(*Conn).Write and
// Read in it, with symbols and stripped (-ldflags "-s -w"), and the agent
// captures its side of real exchanges.
//
// usage: tlsclient [-wait] [-h2] [-n N] [-c C] URL BODY
//
//	POSTs BODY as JSON to URL, certificate unchecked, and prints the answer.
//	-n N -c C: N requests, C at a time, each BODY with "{i}" replaced by
//	its number; prints "ok N" when every answer was a 200.
//	-h2: HTTP/2 by ALPN (the transport's default when it isn't customised).
//	BODY "@PATH": the body is the file at PATH (a command line holds 128 KiB).
//
// usage: tlsclient [-wait] -raw [-lines] ADDR SIZE REPLY SEED
//
//	One TLS connection to ADDR: SIZE bytes of pattern(SEED) in a single
//	Write (which blocks while a slow peer doesn't read), then reads REPLY
//	bytes; prints "ok" and how long the Write took. -lines: the bytes are
//	text, lines of 63 hex digits of the pattern and a newline (for a
//	line-oriented echo server).
//
// -wait: print "ready" and wait for a line on stdin first (so the agent can
// attach before the first byte).
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pattern is tests/e2e/peers/pattern.py's: a SHA-256 chain from the seed.
func pattern(seed string, n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	block := sha256.Sum256([]byte(seed))
	for len(out) < n {
		block = sha256.Sum256(block[:])
		out = append(out, block[:]...)
	}
	return out[:n]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// textLines is pattern(seed) as text: lines of 63 hex digits and "\n".
func textLines(seed string, n int) []byte {
	h := []byte(hex.EncodeToString(pattern(seed, n)))
	out := make([]byte, 0, n+64)
	for i := 0; len(out) < n; i += 63 {
		out = append(append(out, h[i:i+63]...), '\n')
	}
	return out[:n]
}

func raw(addr string, payload []byte, reply int) {
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		fail(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write(payload); err != nil {
		fail(err)
	}
	took := time.Since(start)
	got, err := io.ReadAll(io.LimitReader(c, int64(reply)))
	if err != nil || len(got) != reply {
		fail(fmt.Errorf("read %d of %d bytes: %v", len(got), reply, err))
	}
	if reply == len(payload) && !bytes.Equal(got, payload) {
		fail(fmt.Errorf("the answer is not the echo of what was sent"))
	}
	fmt.Printf("ok write_seconds=%.3f\n", took.Seconds())
}

func main() {
	wait := flag.Bool("wait", false, "wait for a line on stdin first")
	h2 := flag.Bool("h2", false, "HTTP/2 by ALPN")
	n := flag.Int("n", 1, "requests")
	conc := flag.Int("c", 1, "requests at a time")
	rawMode := flag.Bool("raw", false, "one TLS connection, one big Write")
	lines := flag.Bool("lines", false, "-raw: text lines")
	flag.Parse()
	args := flag.Args()
	if *wait {
		fmt.Println("ready")
		bufio.NewReader(os.Stdin).ReadString('\n')
	}
	if *rawMode {
		if len(args) != 4 {
			fail(fmt.Errorf("usage: tlsclient -raw [-lines] ADDR SIZE REPLY SEED"))
		}
		size, _ := strconv.Atoi(args[1])
		reply, _ := strconv.Atoi(args[2])
		payload := pattern(args[3], size)
		if *lines {
			payload = textLines(args[3], size)
		}
		raw(args[0], payload, reply)
		return
	}
	if len(args) != 2 {
		fail(fmt.Errorf("usage: tlsclient [-wait] [-h2] [-n N] [-c C] URL BODY"))
	}
	template := []byte(args[1])
	if strings.HasPrefix(args[1], "@") {
		var err error
		if template, err = os.ReadFile(args[1][1:]); err != nil {
			fail(err)
		}
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: *h2,
		MaxIdleConnsPerHost: *conc}
	client := &http.Client{Transport: tr}
	post := func(i int) ([]byte, error) {
		body := bytes.ReplaceAll(template, []byte("{i}"), []byte(strconv.Itoa(i)))
		resp, err := client.Post(args[0], "application/json", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("request %d: %s", i, resp.Status)
		}
		if err == nil && *h2 && resp.ProtoMajor != 2 {
			err = fmt.Errorf("request %d: %s, not HTTP/2", i, resp.Proto)
		}
		return out, err
	}
	if *n == 1 {
		out, err := post(0)
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(out)
		return
	}
	var wg sync.WaitGroup
	errs := make(chan error, *n)
	next := make(chan int)
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, err := post(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < *n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		fail(err)
	}
	fmt.Printf("ok %d\n", *n)
}
