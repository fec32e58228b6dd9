"""The hosted checkout page's HTML: plain server-rendered pages, no scripts, no assets.

``GET /pay/{id}`` shows the line items, the totals and a form. The email is prefilled from
``customer_email``. Address fields are shown, and required, only when the session has
``billing_address_collection=required`` (``auto`` collects none: the sandbox computes no
tax that would need one). Submitting the form (``POST /pay/{id}``, form-encoded; no API key
and no Idempotency-Key, as a browser sends neither) completes the session and answers
``303 See Other`` to ``success_url``, with ``{CHECKOUT_SESSION_ID}`` replaced by the session
id (see :mod:`._hosted`, the controller). A cancel link goes to ``cancel_url``. Invalid
input re-renders the form with a 400, an error summary (``role="alert"``) and each field's
message tied to it by ``aria-describedby``. A session that is complete shows a receipt; an
expired one a 410.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from .._rules import COUNTRY_CODE, MAX_CUSTOMER_FIELD_LENGTH, fill_session_id
from ._record import Session, SessionRecord

FIELDS = ("email", "name", "phone", "line1", "line2", "city", "state", "postal_code", "country")
"""The form's fields, in the order the form shows them."""

# Currencies without a minor unit, so 1500 jpy is ¥1500, not ¥15.00.
_ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)

_STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1a1a1a}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px}
.note{background:#fff4ce;padding:.5rem .75rem;border-radius:4px;font-size:.9rem}
table{width:100%;border-collapse:collapse;margin:1rem 0}
th,td{padding:.4rem .25rem;text-align:left;border-bottom:1px solid #e3e3e3}
td.num,th.num{text-align:right}
tfoot th{font-weight:normal}
tfoot tr.total th,tfoot tr.total td{font-weight:bold}
fieldset{border:1px solid #ccc;border-radius:4px;margin:1rem 0}
label{display:block;margin-top:.75rem;font-weight:600}
input{display:block;width:100%;padding:.5rem;font-size:1rem;border:1px solid #888;border-radius:4px}
input[aria-invalid=true]{border-color:#b00020}
.error{color:#b00020;margin:.25rem 0 0}
.errors{border:2px solid #b00020;padding:.5rem 1rem;border-radius:4px}
button{margin-top:1.25rem;padding:.75rem 1.5rem;font-size:1rem;background:#1a56db;color:#fff;
border:0;border-radius:4px;cursor:pointer}
button:focus,a:focus,input:focus{outline:3px solid #ffbf47;outline-offset:1px}
.hint{font-weight:normal;color:#555}
"""


def format_amount(amount: int, currency: str) -> str:
    """``2000, "usd"`` -> ``"USD 20.00"``."""
    code = currency.upper()
    if currency.lower() in _ZERO_DECIMAL:
        return f"{code} {amount:,}"
    return f"{code} {amount // 100:,}.{amount % 100:02d}"


def _document(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _summary(record: SessionRecord) -> str:
    session = record["session"]
    currency = session["currency"]
    rows = "".join(
        "<tr>"
        f"<td>{escape(line['product'])}</td>"
        f'<td class="num">{line["quantity"]}</td>'
        f'<td class="num">{format_amount(line["unit_amount"], currency)}</td>'
        f'<td class="num">{format_amount(line["amount"], currency)}</td>'
        "</tr>\n"
        for line in record["line_items"]
    )
    details = session["total_details"]
    totals = [
        ("Subtotal", session["amount_subtotal"], ""),
        ("Discount", details["amount_discount"], ""),
        ("Shipping", details["amount_shipping"], ""),
        ("Tax", details["amount_tax"], ""),
        ("Total due", session["amount_total"], ' class="total"'),
    ]
    foot = "".join(
        f'<tr{cls}><th scope="row" colspan="3">{label}</th>'
        f'<td class="num" data-total="{label.lower().replace(" ", "-")}">'
        f"{format_amount(value, currency)}</td></tr>\n"
        for label, value, cls in totals
    )
    return (
        '<section aria-labelledby="summary-title">\n'
        '<h2 id="summary-title">Order summary</h2>\n'
        "<table>\n<caption>Items in this order</caption>\n"
        '<thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th>'
        '<th scope="col" class="num">Unit price</th>'
        '<th scope="col" class="num">Amount</th></tr></thead>\n'
        f"<tbody>\n{rows}</tbody>\n<tfoot>\n{foot}</tfoot>\n</table>\n</section>"
    )


def _field(
    name: str,
    label: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    type: str = "text",
    required: bool = False,
    autocomplete: str = "",
    extra: str = "",
) -> str:
    value = values.get(name, "")
    attrs = [
        f'id="{name}"',
        f'name="{name}"',
        f'type="{type}"',
        f'value="{escape(value)}"',
        f'maxlength="{MAX_CUSTOMER_FIELD_LENGTH}"',
    ]
    if autocomplete:
        attrs.append(f'autocomplete="{autocomplete}"')
    if required:
        attrs.append("required")
        attrs.append('aria-required="true"')
    message = ""
    if name in errors:
        attrs.append('aria-invalid="true"')
        attrs.append(f'aria-describedby="{name}-error"')
        message = f'<p class="error" id="{name}-error">{escape(errors[name])}</p>\n'
    hint = "" if required else ' <span class="hint">(optional)</span>'
    return (
        f'<label for="{name}">{escape(label)}{hint}</label>\n'
        f"<input {' '.join(attrs)}{extra}>\n{message}"
    )


def render_checkout(
    record: SessionRecord,
    *,
    action: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The checkout page of an open hosted session."""
    session = record["session"]
    errors = errors or {}
    if values is None:
        values = {"email": session["customer_email"] or ""}
    total = format_amount(session["amount_total"], session["currency"])
    parts = [
        '<p class="note" role="note">LeanRails sandbox: test mode. No real payment is made.</p>',
        f"<h1>Pay {escape(total)}</h1>",
    ]
    if errors:
        items = "".join(
            f'<li><a href="#{name}">{escape(message)}</a></li>'
            if name in FIELDS
            else f"<li>{escape(message)}</li>"
            for name, message in errors.items()
        )
        parts.append(
            '<div class="errors" role="alert" aria-labelledby="errors-title">'
            f'<h2 id="errors-title">There is a problem</h2><ul>{items}</ul></div>'
        )
    parts.append(_summary(record))
    form = [
        f'<form method="post" action="{escape(action)}" aria-labelledby="form-title">',
        '<h2 id="form-title">Your details</h2>',
        _field("email", "Email", values, errors, type="email", required=True, autocomplete="email"),
        _field("name", "Name", values, errors, required=True, autocomplete="name"),
        _field("phone", "Phone", values, errors, type="tel", autocomplete="tel"),
    ]
    if session["billing_address_collection"] == "required":
        form += [
            "<fieldset>",
            "<legend>Billing address</legend>",
            _field(
                "line1",
                "Address line 1",
                values,
                errors,
                required=True,
                autocomplete="address-line1",
            ),
            _field("line2", "Address line 2", values, errors, autocomplete="address-line2"),
            _field("city", "City", values, errors, required=True, autocomplete="address-level2"),
            _field("state", "State or region", values, errors, autocomplete="address-level1"),
            _field(
                "postal_code",
                "Postal code",
                values,
                errors,
                required=True,
                autocomplete="postal-code",
            ),
            _field(
                "country",
                "Country (2-letter code, such as US)",
                values,
                errors,
                required=True,
                autocomplete="country",
                extra=f' pattern="{COUNTRY_CODE}" size="2"',
            ),
            "</fieldset>",
        ]
    form.append(f'<button type="submit">Pay {escape(total)}</button>')
    form.append("</form>")
    parts.append("\n".join(form))
    if session["cancel_url"]:
        parts.append(f'<p><a href="{escape(session["cancel_url"])}">Cancel and return</a></p>')
    return _document(f"Pay {total} - LeanRails sandbox checkout", "\n".join(parts))


def render_closed(session: Session) -> str:
    """The page of a session that is no longer open."""
    if session["status"] == "complete":
        total = format_amount(session["amount_total"], session["currency"])
        link = ""
        if session["success_url"]:
            url = fill_session_id(session["success_url"], session["id"])
            link = f'<p><a href="{escape(url)}">Continue</a></p>'
        body = f"<h1>Payment complete</h1>\n<p>{escape(total)} was paid. Thank you.</p>\n{link}"
        return _document("Payment complete - LeanRails sandbox checkout", body)
    link = ""
    if session["cancel_url"]:
        link = f'<p><a href="{escape(session["cancel_url"])}">Return</a></p>'
    body = f"<h1>This checkout has expired</h1>\n<p>Start again to pay.</p>\n{link}"
    return _document("Checkout expired - LeanRails sandbox checkout", body)


def render_not_found() -> str:
    body = "<h1>Checkout not found</h1>\n<p>There is no hosted checkout at this address.</p>"
    return _document("Not found - LeanRails sandbox checkout", body)


def render_index(test_key: str) -> str:
    body = (
        "<h1>LeanRails sandbox</h1>\n"
        "<p>A stateful LeanRails for tests and notebooks. Test mode only.</p>\n"
        "<ul>\n"
        f"<li>API key: <code>{escape(test_key)}</code> (HTTP Basic username, empty password)</li>\n"
        '<li>Contract: <a href="/openapi.yaml">/openapi.yaml</a></li>\n'
        "<li>Create: <code>POST /v1/checkout_sessions</code></li>\n"
        "</ul>"
    )
    return _document("LeanRails sandbox", body)
