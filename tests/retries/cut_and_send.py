#!/usr/bin/env python3
"""cut_and_send.py HOST PORT METHOD PATH KEY [CONTENT_TYPE BODY_FILE]

Sends one HTTP request with an Idempotency-Key and closes the connection as soon as the last byte
is written, without reading the answer: the client of a request whose response was lost. Owned by
tests/retries/run.sh. Exits 0 once the request was written.
"""
import socket
import sys


def main() -> int:
    host, port, method, path, key = sys.argv[1:6]
    content_type = sys.argv[6] if len(sys.argv) > 6 else ""
    body = open(sys.argv[7], "rb").read() if len(sys.argv) > 7 else b""
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f'Idempotency-Key: "{key}"',
            f"Content-Length: {len(body)}", "Connection: close"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_RDWR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
