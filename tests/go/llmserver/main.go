// llmserver: a Go HTTPS model server (net/http over crypto/tls, standard
// library only) for the Go probes' tests: an OpenAI-compatible chat
// completions endpoint that streams its answer as server-sent events in
// small deltas, flushed one by one, and an echo endpoint for byte-exact
// bodies.
//
// usage: llmserver PORT CERT KEY h1|h2
// Prints "ready" once listening on 127.0.0.1:PORT; serves until killed.
// h1 offers HTTP/1.1 only; h2 offers HTTP/2 by ALPN (and HTTP/1.1).
//
// POST /v1/chat/completions  {"stream": bool, "sealtap_test_reply": text}:
//
//	SSE deltas of three characters, or one JSON answer
//
// POST /echo                 the request body, back
package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

const model = "sealtap-test-model"

type request struct {
	Stream bool   `json:"stream"`
	Reply  string `json:"sealtap_test_reply"`
}

type delta struct {
	Content string `json:"content,omitempty"`
}

type choice struct {
	Index        int     `json:"index"`
	Delta        *delta  `json:"delta,omitempty"`
	Message      *delta  `json:"message,omitempty"`
	FinishReason *string `json:"finish_reason"`
}

type answer struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Model   string   `json:"model"`
	Choices []choice `json:"choices"`
}

// pieces splits text into runs of n characters (never inside a character).
func pieces(text string, n int) []string {
	var out []string
	r := []rune(text)
	for i := 0; i < len(r); i += n {
		j := i + n
		if j > len(r) {
			j = len(r)
		}
		out = append(out, string(r[i:j]))
	}
	return out
}

func chat(w http.ResponseWriter, r *http.Request) {
	var req request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
		return
	}
	stop := "stop"
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(answer{ID: "cmpl-1", Object: "chat.completion", Model: model,
			Choices: []choice{{Message: &delta{Content: req.Reply}, FinishReason: &stop}}})
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no flush", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	send := func(a answer) {
		b, _ := json.Marshal(a)
		fmt.Fprintf(w, "data: %s\n\n", b)
		flusher.Flush()
	}
	for _, p := range pieces(req.Reply, 3) {
		send(answer{ID: "cmpl-1", Object: "chat.completion.chunk", Model: model,
			Choices: []choice{{Delta: &delta{Content: p}}}})
	}
	send(answer{ID: "cmpl-1", Object: "chat.completion.chunk", Model: model,
		Choices: []choice{{Delta: &delta{}, FinishReason: &stop}}})
	fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
}

func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", fmt.Sprint(len(body))) // not chunked: the body comes back as it went
	w.Write(body)
}

func main() {
	if len(os.Args) != 5 || (os.Args[4] != "h1" && os.Args[4] != "h2") {
		fmt.Fprintln(os.Stderr, "usage: llmserver PORT CERT KEY h1|h2")
		os.Exit(2)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", chat)
	mux.HandleFunc("/echo", echo)
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{}}
	if os.Args[4] == "h1" {
		// A non-nil, empty map: no protocol upgrade by ALPN, HTTP/1.1 only.
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("ready")
	if err := srv.ServeTLS(ln, os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
