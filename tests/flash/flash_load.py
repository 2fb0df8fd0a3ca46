#!/usr/bin/env python3
"""flash_load.py: the HTTP clients of tests/flash/run.sh (asyncio, standard library only).

Every client holds one keep-alive connection and sends POST /v1/reservations; every request has a
20 s bound, and one that gets no answer in time is recorded as "timeout". Results are written as
JSON lines, one per request: {"order", "product", "lines", "status", "body", "t"} (t: seconds
since the start). Subcommands:

  race HOST PORT PRODUCT CLIENTS OUT      CLIENTS connections, all open first; then every client
                                          sends one order of 1 unit at the same moment.
  mixed HOST PORT SECONDS CLIENTS HOT PRODUCTS OUT
                                          closed loop for SECONDS: a third of the orders take 1 unit
                                          of HOT, the rest 1-3 units of 1 or 2 of PRODUCTS random
                                          products (p-1..p-N); every tenth order repeats one of the
                                          client's granted orders (an idempotent repeat).
  outage HOST PORT SECONDS CLIENTS PREFIX PRODUCTS OUT
                                          closed loop of new orders of 1 unit of PREFIX1..PREFIXN; a
                                          503 is retried with the same order_id after a short pause
                                          until a definitive answer.
  vanish HOST PORT SECONDS CLIENTS PRODUCT
                                          closed loop: connect, send an order of 1 unit of PRODUCT,
                                          hang up after 0-5 ms without reading; prints the count.
  pipeline HOST PORT SLOW_BODY            one connection, the slow reservation and, before it is
                                          answered, GET /health; prints "status request-id" for
                                          each answer, in the order they arrived.
"""
import asyncio
import json
import random
import sys
import time

REQUEST_TIMEOUT = 20.0


class Connection:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self):
        if self.writer:
            self.writer.close()
        self.reader = self.writer = None

    async def read_response(self):
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await self.reader.readexactly(length) if length else b""
        return status, headers, body.decode("utf-8", "replace")

    async def post(self, path, payload):
        if self.writer is None:
            await self.open()
        body = json.dumps(payload).encode()
        self.writer.write(
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: flash\r\nConnection: keep-alive\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await self.writer.drain()
        status, headers, text = await self.read_response()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, text


class Recorder:
    def __init__(self, out):
        self.out = open(out, "w")
        self.started = time.monotonic()

    def record(self, order, lines, status, body):
        entry = {"order": order, "lines": lines, "status": status, "body": body,
                 "t": round(time.monotonic() - self.started, 3)}
        self.out.write(json.dumps(entry) + "\n")


async def reserve(connection, order, lines):
    """One POST with the 20 s bound; returns (status, headers, body) or ("timeout"/"error", {}, why)."""
    try:
        return await asyncio.wait_for(connection.post("/v1/reservations", {"order_id": order, "lines": lines}),
                                      REQUEST_TIMEOUT)
    except asyncio.TimeoutError:
        connection.close()
        return "timeout", {}, ""
    except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        connection.close()
        return "error", {}, str(error)


async def race(host, port, product, clients, out):
    recorder = Recorder(out)
    connections = [Connection(host, port) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in connections))
    start = asyncio.Event()

    async def one(index, connection):
        await start.wait()
        lines = [{"product_id": product, "quantity": 1}]
        status, _, body = await reserve(connection, f"race-{index}", lines)
        recorder.record(f"race-{index}", lines, status, body)

    tasks = [asyncio.create_task(one(i, c)) for i, c in enumerate(connections)]
    await asyncio.sleep(0.2)
    start.set()
    await asyncio.gather(*tasks)


async def mixed(host, port, seconds, clients, hot, products, out):
    recorder = Recorder(out)
    deadline = time.monotonic() + seconds

    async def client(index):
        rng = random.Random(index)
        connection = Connection(host, port)
        granted = []
        count = 0
        while time.monotonic() < deadline:
            count += 1
            if granted and count % 10 == 0:
                order, lines = rng.choice(granted)
            else:
                order = f"mix-{index}-{count}"
                roll = rng.random()
                if roll < 0.33:
                    lines = [{"product_id": hot, "quantity": 1}]
                elif roll < 0.8:
                    lines = [{"product_id": f"p-{rng.randint(1, products)}", "quantity": rng.randint(1, 3)}]
                else:
                    first, second = rng.sample(range(1, products + 1), 2)
                    lines = [{"product_id": f"p-{first}", "quantity": 1}, {"product_id": f"p-{second}", "quantity": 2}]
            status, _, body = await reserve(connection, order, lines)
            recorder.record(order, lines, status, body)
            if status == 201:
                granted.append((order, lines))

    await asyncio.gather(*(client(i) for i in range(clients)))


async def outage(host, port, seconds, clients, prefix, products, out):
    recorder = Recorder(out)
    deadline = time.monotonic() + seconds

    async def client(index):
        rng = random.Random(1000 + index)
        connection = Connection(host, port)
        count = 0
        while time.monotonic() < deadline:
            count += 1
            order = f"out-{index}-{count}"
            lines = [{"product_id": f"{prefix}{rng.randint(1, products)}", "quantity": 1}]
            for _ in range(200):  # a definitive answer, or give up after ~40 s of 503s
                status, _, body = await reserve(connection, order, lines)
                recorder.record(order, lines, status, body)
                if status not in (503, "error"):
                    break
                await asyncio.sleep(0.2)

    await asyncio.gather(*(client(i) for i in range(clients)))


async def vanish(host, port, seconds, clients, product):
    deadline = time.monotonic() + seconds
    sent = 0

    async def client(index):
        nonlocal sent
        rng = random.Random(2000 + index)
        count = 0
        while time.monotonic() < deadline:
            count += 1
            body = json.dumps({"order_id": f"gone-{index}-{count}",
                               "lines": [{"product_id": product, "quantity": 1}]}).encode()
            try:
                reader, writer = await asyncio.open_connection(host, port)
                writer.write(b"POST /v1/reservations HTTP/1.1\r\nHost: flash\r\nContent-Type: application/json\r\n"
                             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
                await asyncio.sleep(rng.random() * 0.005)
                writer.transport.abort()
                sent += 1
            except OSError:
                await asyncio.sleep(0.01)

    await asyncio.gather(*(client(i) for i in range(clients)))
    print(sent)


async def pipeline(host, port, slow_body):
    reader, writer = await asyncio.open_connection(host, port)
    body = slow_body.encode()
    writer.write(b"POST /v1/reservations HTTP/1.1\r\nHost: flash\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.write(b"GET /health HTTP/1.1\r\nHost: flash\r\nX-Request-Id: pipelined-health\r\n\r\n")
    await writer.drain()
    connection = Connection(host, port)
    connection.reader = reader
    for _ in range(2):
        status, headers, _ = await asyncio.wait_for(connection.read_response(), REQUEST_TIMEOUT)
        print(status, headers.get("x-request-id", ""))
    writer.close()


def main():
    command, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = sys.argv[4:]
    if command == "race":
        asyncio.run(race(host, port, args[0], int(args[1]), args[2]))
    elif command == "mixed":
        asyncio.run(mixed(host, port, float(args[0]), int(args[1]), args[2], int(args[3]), args[4]))
    elif command == "outage":
        asyncio.run(outage(host, port, float(args[0]), int(args[1]), args[2], int(args[3]), args[4]))
    elif command == "vanish":
        asyncio.run(vanish(host, port, float(args[0]), int(args[1]), args[2]))
    elif command == "pipeline":
        asyncio.run(pipeline(host, port, args[0]))
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
