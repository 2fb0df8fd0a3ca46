#!/usr/bin/env python3
"""hostile_matrix.py: the crafted HTTP requests of tests/hostile/run.sh.

Sends every case to the service and prints one line per case: "ok   - NAME" when the answer was
not a 5xx and met the case's expectation, "FAIL - NAME: why" otherwise. Every case is built so
that it must not change stock, reservations, ledger or outbox (writes carry something the service
must refuse, or name products and orders that do not exist); run.sh checks that afterwards.

usage: hostile_matrix.py HOST PORT ADMIN_TOKEN READER_TOKEN EXISTING_PRODUCT
"""
import http.client
import json
import socket
import sys

host, port, admin, reader, product = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
results = []

ANY_4XX = "4xx"
NOT_5XX = "not 5xx"


def record(name, ok, why=""):
    results.append(ok)
    print(("ok   - " if ok else "FAIL - ") + name + ("" if ok else ": " + why), flush=True)


def judge(name, status, expect, detail=""):
    if status is None:
        record(name, False, "no HTTP answer " + detail)
    elif status >= 500:
        record(name, False, "got %d %s" % (status, detail[:200]))
    elif expect == NOT_5XX:
        record(name, True)
    elif expect == ANY_4XX:
        record(name, 400 <= status < 500, "got %d, expected a 4xx %s" % (status, detail[:200]))
    else:
        record(name, status in expect, "got %d, expected %s %s" % (status, sorted(expect), detail[:200]))


def send(name, method, path, body=b"", headers=None, expect=ANY_4XX, token=admin, content_type="application/json"):
    all_headers = {"Connection": "close"}
    if token is not None:
        all_headers["Authorization"] = "Bearer " + token
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    all_headers.update(headers or {})
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    try:
        connection = http.client.HTTPConnection(host, port, timeout=15)
        connection.putrequest(method, path, skip_accept_encoding=True)
        for key, value in all_headers.items():
            connection.putheader(key, value)
        if body or method in ("POST", "PUT"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body if body else None)
        response = connection.getresponse()
        payload = response.read()
        status = response.status
        connection.close()
        if status >= 400 and response.getheader("Content-Type", "").startswith("application/problem+json"):
            try:
                json.loads(payload)
            except ValueError:
                record(name, False, "problem body is not JSON")
                return
        judge(name, status, expect, payload[:200].decode("utf-8", "replace"))
    except (OSError, http.client.HTTPException) as error:
        record(name, False, "%s: %s" % (type(error).__name__, error))


def send_raw(name, data, expect=NOT_5XX, allow_close=True, known=None):
    """Writes bytes to a fresh connection; a closed connection without an answer is acceptable when
    allow_close (the server may drop garbage), a 5xx never is. known names a 5xx that Pistache
    itself gives before any service code runs: reported as "known", counted neither way."""
    try:
        with socket.create_connection((host, port), timeout=10) as connection:
            connection.sendall(data)
            try:
                connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            received = b""
            while True:
                try:
                    chunk = connection.recv(65536)
                except (socket.timeout, ConnectionResetError):
                    break
                if not chunk:
                    break
                received += chunk
    except OSError as error:
        record(name, allow_close, "connection failed: %s" % error)
        return
    if not received:
        record(name, allow_close, "connection closed without an answer")
        return
    try:
        status = int(received.split(b" ", 2)[1])
    except (IndexError, ValueError):
        record(name, False, "unparseable answer %r" % received[:80])
        return
    if known and status >= 500:
        print("known - %s: %d; %s" % (name, status, known), flush=True)
        return
    judge(name, status, expect, received[:200].decode("latin-1"))


reserve_valid = json.dumps({"order_id": "hostile-order", "lines": [{"product_id": "no-such-product", "quantity": 1}]})

# --- malformed and truncated JSON (to three write routes) -----------------------------------------
malformed = ["", "{", "}", "[", "]", "{\"order_id\":", "null", "true", "\"text\"", "123", "[]", "{}",
             "{\"order_id\": \"o\", \"lines\": [}", "{'order_id': 'o'}", "{order_id: \"o\"}",
             "{\"order_id\": \"o\",}", "{\"a\": NaN}", "{\"a\": Infinity}", "{\"a\": -Infinity}",
             "// comment\n{}", "\ufeff{}", "{\"order_id\": \"o\"} trailing", "{\"a\": \"\\ud800\"}",
             "{\"a\": \"\\u00\"}", "{\"a\": 01}", "{\"a\": .5}", "{\"a\": 1.}", "{\"a\": +1}",
             "\x00", "{\"a\":\"\x01\"}"]
for index, body in enumerate(malformed):
    send("malformed JSON #%d to POST /v1/reservations" % index, "POST", "/v1/reservations", body)
    send("malformed JSON #%d to PUT stock" % index, "PUT", "/v1/stock/%s/main" % product, body)
    send("malformed JSON #%d to POST restock" % index, "POST", "/v1/stock/%s/main/restock" % product, body)
send("invalid UTF-8 in a JSON body", "POST", "/v1/reservations", b"{\"order_id\": \"\xff\xfe\", \"lines\": []}")
send("overlong UTF-8 in a JSON body", "POST", "/v1/reservations", b"{\"order_id\": \"\xc0\xaf\", \"lines\": []}")
for cut in range(5, len(reserve_valid) - 1, 7):
    send("truncated reservation body at %d bytes" % cut, "POST", "/v1/reservations", reserve_valid[:cut])

# --- deep nesting ---------------------------------------------------------------------------------
for depth in (100, 1000, 10000, 100000):
    send("array nested %d deep" % depth, "POST", "/v1/reservations", "[" * depth + "]" * depth)
    send("object nested %d deep" % depth, "POST", "/v1/reservations", "{\"a\":" * depth + "1" + "}" * depth)
send("unterminated nesting 100000 deep", "POST", "/v1/reservations", "[" * 100000)
send("lines nested inside lines", "POST", "/v1/reservations",
     json.dumps({"order_id": "o", "lines": [[[[{"product_id": "x", "quantity": 1}]]]]}))
send("deep nesting inside an import line", "POST", "/v1/stock/import", "{\"product_id\":" + "[" * 5000 + "]" * 5000 + "}\n",
     content_type="application/x-ndjson")

# --- numbers --------------------------------------------------------------------------------------
for value in ["0", "-1", "-9223372036854775808", "9223372036854775808", "1e400", "-1e400", "1.5", "1e-400",
              "\"1\"", "true", "null", "[]", "{}", "99999999999999999999999999999999999999"]:
    send("reservation quantity %s" % value, "POST", "/v1/reservations",
         "{\"order_id\": \"hostile-q\", \"lines\": [{\"product_id\": \"%s\", \"quantity\": %s}]}" % (product, value))
    send("on_hand %s" % value, "PUT", "/v1/stock/%s/main" % product,
         "{\"on_hand\": %s}" % ("-1" if value in ("0",) else value))
for value in ["0", "-5", "1e400", "9223372036854775808", "2.5", "\"5\""]:
    send("restock quantity %s" % value, "POST", "/v1/stock/%s/main/restock" % product, "{\"quantity\": %s}" % value)
for value in ["0", "9223372036854775807", "-9223372036854775808", "-1000000000", "1e30"]:
    send("adjust delta %s" % value, "POST", "/v1/stock/%s/main/adjust" % product,
         "{\"delta\": %s, \"reason\": \"count\"}" % value)
send("reservation of 2^63-1 units", "POST", "/v1/reservations",
     "{\"order_id\": \"hostile-big\", \"lines\": [{\"product_id\": \"%s\", \"quantity\": 9223372036854775807}]}" % product,
     expect={409, 422})
for value in ["-1", "0", "1e12", "\"60\"", "9223372036854775807"]:
    send("ttl_seconds %s" % value, "POST", "/v1/reservations",
         "{\"order_id\": \"hostile-ttl\", \"lines\": [{\"product_id\": \"no-such\", \"quantity\": 1}], \"ttl_seconds\": %s}" % value)
for value in ["-1", "0", "100001", "1e9", "\"5\""]:
    send("expire max_rows %s" % value, "POST", "/v1/admin/expire-reservations", "{\"max_rows\": %s}" % value)

# --- ids: Unicode, control characters, SQL, traversal ---------------------------------------------
hostile_ids = ["%00", "%01", "a%0Db", "a%0D%0Ab", "%09", "%7F", "%E2%80%AE", "%F0%9F%92%A3", "%C0%AF", "%FF",
               "%ED%A0%80", "%EF%BF%BF", "a" * 5000, "%25", "%", "%G1", "%2", "'%20OR%201=1%20--",
               "1';DROP%20TABLE%20inventory.stock;--", "%24%24", "%5C", "x%22%7D", "..", ".", "%2E%2E",
               "..%2F..%2Fetc%2Fpasswd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "a%2Fb", "%3Cscript%3E", "NULL",
               "%E2%80%8B", "%CC%81"]
for raw in hostile_ids:
    send("GET stock of id %s" % raw[:40], "GET", "/v1/stock/%s" % raw, token=reader, content_type=None,
         expect={400, 404, 422})
    send("PUT stock with id %s and a refused body" % raw[:40], "PUT", "/v1/stock/%s/main" % raw, "{\"on_hand\": -1}")
    send("confirm order %s" % raw[:40], "POST", "/v1/orders/%s/confirm" % raw, content_type=None,
         expect={400, 404, 409, 422})
for text in ["' OR 1=1 --", "'; DELETE FROM inventory.stock; --", "\u202eevil", "\U0001F4A3", "a\u0000b", "a\u0007b",
             "x" * 300, "$1", "%s%s%s", "\\x00", "\ud83d", "robert'); DROP TABLE students;--"]:
    # A lone surrogate ("\ud83d") is not valid JSON text: 400 is right for it.
    send("reservation for product %r" % text[:30], "POST", "/v1/reservations",
         json.dumps({"order_id": "hostile-sql", "lines": [{"product_id": text, "quantity": 1}]}),
         expect={400, 404, 409, 422})
    send("reservation with order id %r" % text[:30], "POST", "/v1/reservations",
         json.dumps({"order_id": text, "lines": [{"product_id": "no-such-product", "quantity": 1}]}),
         expect={400, 404, 409, 422})
for path in ["/v1/stock/../../etc/passwd", "/v1/../v1/admin/expire-reservations", "//v1//stock", "/v1/stock/",
             "/v1/stock/%s/../../%s/main" % (product, product), "/etc/passwd", "/v1/stock/%s/main/../restock" % product,
             "/v1/stock?x=../../etc", "/v1/reservations/../../../", "/%2e%2e/%2e%2e/"]:
    send("traversal PUT %s" % path, "PUT", path, "{\"on_hand\": -1}", expect=ANY_4XX)
    send("traversal GET %s" % path, "GET", path, token=reader, content_type=None, expect=NOT_5XX)
for raw in ["not-a-uuid", "00000000-0000-0000-0000-00000000000g", "%00", "'%20OR%20''='"]:
    send("reservation id %s" % raw, "GET", "/v1/reservations/%s" % raw, token=reader, content_type=None,
         expect={400, 404, 422})
    send("confirm reservation id %s" % raw, "POST", "/v1/reservations/%s/confirm" % raw, content_type=None,
         expect={400, 404, 422})

# --- duplicate keys -------------------------------------------------------------------------------
send("duplicate order_id keys", "POST", "/v1/reservations",
     "{\"order_id\": \"a\", \"order_id\": \"b\", \"lines\": [{\"product_id\": \"no-such\", \"quantity\": 1}]}",
     expect={404, 409, 422})
send("duplicate lines keys", "POST", "/v1/reservations",
     "{\"order_id\": \"a\", \"lines\": [], \"lines\": [{\"product_id\": \"no-such\", \"quantity\": 1}]}",
     expect={404, 409, 422})
send("duplicate quantity keys, both refused", "POST", "/v1/reservations",
     "{\"order_id\": \"a\", \"lines\": [{\"product_id\": \"%s\", \"quantity\": -1, \"quantity\": 0}]}" % product)
send("duplicate on_hand keys, both refused", "PUT", "/v1/stock/%s/main" % product, "{\"on_hand\": -2, \"on_hand\": -1}")
send("duplicate restock keys for an unknown product", "POST", "/v1/stock/no-such/main/restock",
     "{\"quantity\": 1, \"quantity\": 2}", expect={404, 422})

# --- content types --------------------------------------------------------------------------------
for content_type in ["text/plain", "application/xml", "multipart/form-data; boundary=x", None, "application/jsonx",
                     "application/x-www-form-urlencoded", "json", "", "application/json\r\nX-Injected: 1"]:
    if content_type is not None and "\r" in content_type:
        send_raw("header injection in Content-Type",
                 ("POST /v1/reservations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: "
                  "application/json\r\nX-Injected: 1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                  % (admin, len(reserve_valid), reserve_valid)).encode(), expect={404, 409, 422})
        continue
    send("reservation as %r" % content_type, "POST", "/v1/reservations", reserve_valid, content_type=content_type,
         expect={415})
send("import as application/json", "POST", "/v1/stock/import", "{\"product_id\": \"x\", \"on_hand\": 1}",
     expect={415})
send("import CSV with a bad row (all or nothing)", "POST", "/v1/stock/import",
     "product_id,warehouse,on_hand\nimport-a,main,5\nimport-b,main,-1\n", content_type="text/csv", expect={400, 422})
send("import CSV without a header", "POST", "/v1/stock/import", "import-a,main,5\n", content_type="text/csv",
     expect={400, 422})
send("import CSV with unbalanced quotes", "POST", "/v1/stock/import",
     "product_id,warehouse,on_hand\n\"import-a,main,5\n", content_type="text/csv", expect={400, 422})
send("import CSV with 5000 columns", "POST", "/v1/stock/import", ",".join(["c"] * 5000) + "\n" + ",".join(["1"] * 5000),
     content_type="text/csv", expect={400, 422})
send("import NDJSON with a NUL line", "POST", "/v1/stock/import",
     "{\"product_id\": \"import-a\", \"on_hand\": 1}\n\x00\n", content_type="application/x-ndjson", expect={400, 422})
send("import NDJSON with a huge number", "POST", "/v1/stock/import",
     "{\"product_id\": \"import-a\", \"on_hand\": 1e400}\n", content_type="application/x-ndjson", expect={400, 422})

# --- sizes and headers ----------------------------------------------------------------------------
send("body over the limit", "POST", "/v1/reservations", "{\"order_id\": \"" + "x" * (300 * 1024) + "\"}",
     expect={413})
send("body far over the buffer", "POST", "/v1/reservations", "x" * (2 * 1024 * 1024), expect={413},
     headers={})
send("8 KiB header", "GET", "/v1/stock/%s" % product, token=reader, content_type=None,
     headers={"X-Junk": "j" * 8192}, expect={200, 400, 413, 431})
send("1000 headers", "GET", "/v1/stock/%s" % product, token=reader, content_type=None,
     headers={"X-Junk-%d" % i: "j" for i in range(1000)}, expect=NOT_5XX)
send("64 KiB Authorization header", "GET", "/v1/stock/%s" % product, token="a" * 65536, content_type=None,
     expect={400, 401, 413, 431})
send("100 KiB path", "GET", "/v1/stock/" + "p" * 100000, token=reader, content_type=None, expect=NOT_5XX)
send("10000 query parameters", "GET", "/v1/stock?" + "&".join("limit=%d" % i for i in range(10000)), token=reader,
     content_type=None, expect=NOT_5XX)
for query in ["limit=-1", "limit=0", "limit=99999999999999999999", "limit=abc", "limit=1e3", "after=%00",
              "after=!!!!", "after=" + "A" * 5000, "low_stock=maybe", "warehouse=%00", "unknown=1", "limit=%"]:
    send("list query %s" % query[:40], "GET", "/v1/stock?" + query, token=reader, content_type=None,
         expect={400, 422})
for query in ["quantity=-1", "quantity=0", "quantity=1e400", "quantity=abc", "quantity=", "warehouse=%00&quantity=1"]:
    send("availability query %s" % query, "GET", "/v1/stock/%s/availability?%s" % (product, query), token=reader,
         content_type=None, expect={400, 422})

# --- credentials on write routes (all with bodies that would otherwise be accepted) ---------------
good_put = "{\"on_hand\": 1}"
for name, token in [("empty bearer", ""), ("garbage bearer", "x.y.z"), ("two dots only", ".."),
                    ("alg none token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwic2NvcGUiOiJpbnZlbnRvcnk6YWRtaW4ifQ."),
                    ("kid traversal", "eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLy4uL2V0Yy9wYXNzd2QifQ.e30.AAAA"),
                    ("kid SQL", "eyJhbGciOiJSUzI1NiIsImtpZCI6IicgT1IgMT0xIC0tIn0.e30.AAAA"),
                    ("jku header", "eyJhbGciOiJSUzI1NiIsImprdSI6Imh0dHA6Ly9ldmlsIn0.e30.AAAA"),
                    ("reader token", reader), ("token with spaces", "a b c"), ("unicode token", "\u00e9.\u00e9.\u00e9")]:
    try:
        token.encode("latin-1")
    except UnicodeEncodeError:
        send_raw("write with %s" % name, ("PUT /v1/stock/%s/main HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                          % product).encode() + token.encode() +
                 ("\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                  % (len(good_put), good_put)).encode(), expect={400, 401})
        continue
    send("write with %s" % name, "PUT", "/v1/stock/%s/main" % product, good_put, token=token, expect={401, 403})
send("write with no Authorization", "PUT", "/v1/stock/%s/main" % product, good_put, token=None, expect={401})
send("write with Basic credentials", "PUT", "/v1/stock/%s/main" % product, good_put, token=None,
     headers={"Authorization": "Basic YWRtaW46YWRtaW4="}, expect={401})
send_raw("two Authorization headers (reader then admin)",
         ("PUT /v1/stock/%s/main HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAuthorization: Bearer %s\r\n"
          "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
          % (product, reader, "x.y.z", len(good_put), good_put)).encode(), expect={400, 401, 403})

# --- broken HTTP ----------------------------------------------------------------------------------
send_raw("not HTTP at all", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100)
send_raw("request line only", b"GET /health\r\n\r\n")
send_raw("HTTP/0.9 request", b"GET /health\r\n")
send_raw("unknown HTTP version", b"GET /health HTTP/7.1\r\nHost: x\r\n\r\n")
send_raw("Content-Length larger than the body", ("POST /v1/reservations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s"
         "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"order_id\"" % admin).encode())
send_raw("negative Content-Length", b"POST /v1/reservations HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}",
         known="Pistache 0.0.5 answers 500 itself for a negative Content-Length, before the service sees the request")
send_raw("non-numeric Content-Length", b"POST /v1/reservations HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n{}")
send_raw("two Content-Length headers", b"POST /v1/reservations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
         b"Content-Length: 40\r\nConnection: close\r\n\r\n{}")
send_raw("malformed chunked body", b"POST /v1/reservations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
         b"Content-Type: application/json\r\nConnection: close\r\n\r\nZZZ\r\n{}\r\n0\r\n\r\n")
send_raw("header without a colon", b"GET /health HTTP/1.1\r\nHost x\r\nConnection: close\r\n\r\n")
send_raw("bare LF line endings", b"GET /health HTTP/1.1\nHost: x\nConnection: close\n\n")
send_raw("NUL in the request line", b"GET /v1/stock/a\x00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
send_raw("space in the path", b"GET /v1/stock/a b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
send_raw("absolute-form target", b"GET http://evil.example/v1/stock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
send_raw("truncated headers then close", b"GET /health HTTP/1.1\r\nHost: x\r\nX-Half: ")
for method in ["TRACE", "OPTIONS", "PATCH", "HEAD", "CONNECT", "FOO", "get"]:
    send_raw("method %s" % method, ("%s /v1/stock/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                    % (method, product)).encode())

passed = sum(1 for ok in results if ok)
print("# %d hostile HTTP requests" % len(results))
sys.exit(0 if passed == len(results) else 1)
