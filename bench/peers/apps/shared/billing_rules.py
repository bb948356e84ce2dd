"""The e-shop billing service's behaviour, framework-free, for the Python peers of the benchmark.

`examples/eshop/services/billing` (CoWorks, Rust) answers with these statuses and JSON bodies: the
token check of the runtime (raw or `Bearer` token against `TOKEN`, 401 without, 403 when wrong),
unknown query keys refused (422), path and query values parsed as Rust parses `u64`/`u32` (same
messages), the JSON or form body read into `NewInvoice`. The upstream CoWorks and Chalice apps are
thin adaptors around this module, so the benchmark compares frameworks, not two ways to write the
service. `bench/peers/run.py` checks that every implementation answers alike before it times any.
"""

import hmac
import json
import os
import threading
from urllib.parse import parse_qsl

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
PDF = "application/pdf"

# The query parameters of each entry (by its Rust name) with their Rust types, as the `#[entry]`
# methods of the billing example declare them; entries not listed take none.
QUERY = {"get_invoices": [("page", "Option<u32>"), ("customer", "Option<String>")]}


class Rejection(Exception):
    """An answer other than the entry's normal one: a status and a JSON body."""

    def __init__(self, status, body):
        super().__init__(status)
        self.status = status
        self.body = body


def token_of(header):
    """The token of an `Authorization` value: `Bearer xyz` -> `xyz`, `xyz` -> `xyz`; None if empty."""
    h = (header or "").strip()
    if h.lower() == "bearer":
        return None
    token = h[7:].strip() if h[:7].lower() == "bearer " else h
    return token or None


def token_allowed(token):
    """Whether a token equals `TOKEN`, compared in constant time; False when `TOKEN` is unset or empty."""
    expected = os.environ.get("TOKEN", "")
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def check_token(header):
    """Raises the runtime's 401 (no token) or 403 (refused) for an `Authorization` value."""
    token = token_of(header)
    if token is None:
        raise Rejection(401, {"error": "missing token: send it in the Authorization header"})
    if not token_allowed(token):
        raise Rejection(403, {"error": "invalid token"})


def check_query(entry, pairs):
    """Refuses a query key the entry does not take, and a key given twice (the runtime's 422s)."""
    taken = dict(QUERY.get(entry, []))
    seen = set()
    for key, _ in pairs:
        if key not in taken:
            raise Rejection(
                422,
                {
                    "error": "unknown query parameter",
                    "parameter": key,
                    "in": "query",
                    "expected": [name for name, _ in QUERY.get(entry, [])],
                    "message": f"`{entry}` takes no query parameter `{key}`",
                },
            )
        if key in seen:
            raise _invalid(
                key, "query", taken[key], f"query parameter `{key}` ({taken[key]}) is given more than once"
            )
        seen.add(key)
    return dict(pairs)


def _invalid(name, where, ty, message):
    return Rejection(
        422,
        {"error": "invalid parameter", "parameter": name, "in": where, "expected": ty, "message": message},
    )


def _rust_uint(raw, bits):
    """Rust's `u64::from_str` / `u32::from_str`: the value, or the error text Rust prints."""
    digits = raw.removeprefix("+")
    if raw == "":
        return None, "cannot parse integer from empty string"
    if not digits or not all("0" <= c <= "9" for c in digits):
        return None, "invalid digit found in string"
    value = int(digits)
    if value >= 1 << bits:
        return None, "number too large to fit in target type"
    return value, None


def path_u64(name, raw):
    """A `u64` path parameter, or the runtime's 422."""
    value, err = _rust_uint(raw, 64)
    if err:
        raise _invalid(name, "path", "u64", f"path parameter `{name}` must be u64: `{raw}`: {err}")
    return value


def query_u32(name, raw):
    """An `Option<u32>` query parameter (None when absent), or the runtime's 422."""
    if raw is None:
        return None
    value, err = _rust_uint(raw, 32)
    if err:
        raise _invalid(
            name, "query", "Option<u32>", f"query parameter `{name}` must be Option<u32>: `{raw}`: {err}"
        )
    return value


def new_invoice(content_type, raw):
    """The `NewInvoice` body: form data when the content type says so, JSON otherwise."""
    if (content_type or "").lstrip().lower().startswith("application/x-www-form-urlencoded"):
        return new_invoice_form(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    if not raw:
        raise _invalid("new", "body", "NewInvoice", "a JSON body `new` (NewInvoice) is required")
    try:
        value = json.loads(raw)
    except ValueError as e:
        raise _invalid("new", "body", "NewInvoice", f"JSON body `new` must be NewInvoice: {e}")
    if not isinstance(value, dict):
        raise _invalid("new", "body", "NewInvoice", "JSON body `new` must be NewInvoice: expected an object")
    for field in ("customer", "amount_cents"):
        if field not in value:
            raise _invalid(
                "new", "body", "NewInvoice", f"JSON body `new` must be NewInvoice: missing field `{field}`"
            )
    customer, amount = value["customer"], value["amount_cents"]
    if not isinstance(customer, str):
        raise _invalid(
            "new", "body", "NewInvoice", "JSON body `new` must be NewInvoice: `customer` is no string"
        )
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount < 1 << 64:
        raise _invalid(
            "new", "body", "NewInvoice", "JSON body `new` must be NewInvoice: `amount_cents` is no u64"
        )
    return customer, amount


def new_invoice_form(pairs):
    """The `NewInvoice` body from form pairs (`customer`, `amount_cents`; other keys ignored)."""
    fields = {}
    for key, value in pairs:
        if key in fields and key in ("customer", "amount_cents"):
            raise _invalid(
                "new", "body", "NewInvoice", f"form body `new` must be NewInvoice: duplicate field `{key}`"
            )
        fields[key] = value
    for field in ("customer", "amount_cents"):
        if field not in fields:
            raise _invalid(
                "new", "body", "NewInvoice", f"form body `new` must be NewInvoice: missing field `{field}`"
            )
    amount, err = _rust_uint(fields["amount_cents"], 64)
    if err:
        raise _invalid("new", "body", "NewInvoice", f"form body `new` must be NewInvoice: {err}")
    return fields["customer"], amount


class Billing:
    """The invoices, in memory, as the Rust example keeps them (one lock around a list)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._invoices = []

    def get_invoice(self, id_):
        with self._lock:
            for invoice in self._invoices:
                if invoice["id"] == id_:
                    return dict(invoice)
        raise Rejection(404, {"error": "no such invoice"})

    def get_invoices(self, page, customer):
        with self._lock:
            invoices = [dict(i) for i in self._invoices]
        chosen = [i for i in invoices if customer is None or i["customer"] == customer]
        start = (page or 0) * 20
        return chosen[start : start + 20]

    def post_invoice(self, customer, amount_cents):
        with self._lock:
            invoice = {"id": len(self._invoices) + 1, "customer": customer, "amount_cents": amount_cents}
            self._invoices.append(invoice)
            return dict(invoice)

    @staticmethod
    def get_invoice_pdf(id_):
        return f"%PDF-1.4\n% invoice {id_}\n".encode()

    def delete_invoice(self, id_):
        with self._lock:
            self._invoices = [i for i in self._invoices if i["id"] != id_]

    @staticmethod
    def get_health():
        return "ok"

    def get_debug_state(self):
        with self._lock:
            return f"{len(self._invoices)} invoice(s)"


def stage():
    """The stage, from `CWS_STAGE` as the runtime reads it (entries limited to `dev` need it)."""
    return os.environ.get("CWS_STAGE") or None
