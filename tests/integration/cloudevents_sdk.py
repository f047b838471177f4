"""Sends one access event with the official CloudEvents SDK for Python (PyPI `cloudevents`), in
structured and in binary content mode: over HTTP to Einblick's feed, or over NATS JetStream
with the official NATS client (PyPI `nats-py`), the way a retailer's system would.

Usage:
  python3 cloudevents_sdk.py http URL TOKEN EVENT.json
  python3 cloudevents_sdk.py nats NATS_URL SUBJECT EVENT.json

EVENT.json holds {"attributes": {...}, "data": {...}}; ids get "-structured"/"-binary" appended
when "suffix_modes" is true. Prints one JSON line per message sent.
"""

import asyncio
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime

from cloudevents.core.bindings.http import to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent


def events(spec):
    for mode in ("structured", "binary"):
        attributes = dict(spec["attributes"])
        if spec.get("suffix_modes"):
            attributes["id"] = f"{attributes['id']}-{mode}"
        # The SDK takes the time as a datetime and writes it as RFC 3339 itself.
        if "time" in attributes:
            attributes["time"] = datetime.fromisoformat(attributes["time"].replace("Z", "+00:00"))
        event = CloudEvent(attributes, spec["data"])
        convert = to_structured if mode == "structured" else to_binary
        yield mode, convert(event, JSONFormat())


def over_http(url, token, spec):
    for mode, message in events(spec):
        headers = dict(message.headers)
        headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=message.body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        print(json.dumps({"mode": mode, "status": status, "body": body}))


async def over_nats(url, subject, spec):
    import nats

    client = await nats.connect(url)
    stream = client.jetstream()
    for mode, message in events(spec):
        # The NATS binding maps the attributes to the same ce-* headers as HTTP; in structured
        # mode the payload is the whole event.
        headers = dict(message.headers) if mode == "binary" else None
        ack = await stream.publish(subject, message.body, headers=headers)
        print(json.dumps({"mode": mode, "stream": ack.stream, "seq": ack.seq}))
    await client.drain()


def main():
    transport, target, third, event_file = sys.argv[1:5]
    with open(event_file, encoding="utf-8") as f:
        spec = json.load(f)
    if transport == "http":
        over_http(target, third, spec)
    else:
        asyncio.run(over_nats(target, third, spec))


if __name__ == "__main__":
    main()
