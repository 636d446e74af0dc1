// The official openai npm client (v4) against a local OpenAI-compatible server.
// usage: node openai_client.js BASE_URL stream|whole
// Prints 'ready', waits for a line on stdin, makes one chat completion with
// the prompt below, prints {"text": <completion>} and exits.
const http = require('http');
const https = require('https');
const OpenAI = require('openai');

const [baseURL, mode] = process.argv.slice(2);
const client = new OpenAI({
  baseURL,
  apiKey: 'sk-test-not-a-real-key',
  httpAgent: baseURL.startsWith('https:')
    ? new https.Agent({ rejectUnauthorized: false, keepAlive: true })
    : new http.Agent({ keepAlive: true }),
  maxRetries: 0,
});
const messages = [
  { role: 'system', content: 'You are a test fixture.' },
  { role: 'user', content: 'Tell me about \u00fcn\u00efc\u00f8d\u00e9, "quotes", a\ttab and an emoji \u{1F600}\nthanks' },
];

async function main() {
  let text = '';
  if (mode === 'stream') {
    const stream = await client.chat.completions.create({ model: 'test-model', messages, stream: true });
    for await (const chunk of stream) text += (chunk.choices[0] && chunk.choices[0].delta.content) || '';
  } else {
    const r = await client.chat.completions.create({ model: 'test-model', messages });
    text = r.choices[0].message.content;
  }
  console.log(JSON.stringify({ text }));
}

console.log('ready');
process.stdin.once('data', () => main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); }));
