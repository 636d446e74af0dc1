// node https client (OpenSSL linked into the node binary).
// usage: node node_client.js PORT BODY
// Prints 'ready', waits for 'go' on stdin, POSTs BODY, prints the reply.
const https = require('https');
const [port, body] = process.argv.slice(2);
console.log('ready');
process.stdin.once('data', () => {
  const req = https.request({ host: '127.0.0.1', port: Number(port), method: 'POST', path: '/v1/test',
    rejectUnauthorized: false, headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } },
    (res) => {
      let got = '';
      res.on('data', (d) => { got += d; });
      res.on('end', () => { console.log('reply ' + got); process.exit(0); });
    });
  req.on('error', (e) => { console.error(e); process.exit(1); });
  req.end(body);
});
