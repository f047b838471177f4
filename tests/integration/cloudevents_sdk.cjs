// Sends one access event with the official CloudEvents SDK for JavaScript (npm `cloudevents`,
// installed in .tools/), in structured and in binary content mode, over HTTP to Einblick's feed.
// Usage: node cloudevents_sdk.cjs URL TOKEN EVENT.json   (EVENT.json as for cloudevents_sdk.py)
// Prints one JSON line per message sent.
const { createRequire } = require('node:module');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const tools = createRequire(join(__dirname, '../../.tools/package.json'));
const { CloudEvent, HTTP } = tools('cloudevents');

async function main() {
  const [url, token, eventFile] = process.argv.slice(2);
  const spec = JSON.parse(readFileSync(eventFile, 'utf8'));
  for (const mode of ['structured', 'binary']) {
    const attributes = { ...spec.attributes };
    if (spec.suffix_modes) attributes.id = `${attributes.id}-${mode}`;
    const event = new CloudEvent({ ...attributes, data: spec.data });
    const message = mode === 'structured' ? HTTP.structured(event) : HTTP.binary(event);
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...message.headers, Authorization: `Bearer ${token}` },
      body: typeof message.body === 'string' ? message.body : JSON.stringify(message.body),
    });
    console.log(JSON.stringify({ mode, status: response.status, body: await response.text() }));
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
