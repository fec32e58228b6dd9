"""The hosted checkout page's HTML: plain server-rendered pages, no scripts, no assets.

``GET /pay/{id}`` shows the line items (product, quantity, amount), the totals and a
form: the customer's details, and card fields when there is something to pay (see
:mod:`._cards` for the test cards). The email is prefilled from ``customer_email``.
Address fields are shown, and required, only when the session has
``billing_address_collection=required`` (``auto`` collects none: the sandbox computes no
tax that would need one). The controller (:mod:`._hosted`) decides what a submitted form
does; this module only renders. Invalid input is shown again with an error summary
(``role="alert"``) and each field's message tied to it by ``aria-describedby``. A card
that needs confirmation gets a second page, the bank's step; a session that is complete
shows a receipt; an expired one says so.

The frame every page shares (the document, its stylesheet, escaping, amounts) is
:mod:`._html`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .._rules import COUNTRY_CODE, MAX_CUSTOMER_FIELD_LENGTH, fill_session_id
from ._cards import TEST_CARDS
from ._html import document, escape, format_amount
from ._record import Session, SessionRecord

CUSTOMER_FIELDS: Final[tuple[str, ...]] = (
    "email",
    "name",
    "phone",
    "line1",
    "line2",
    "city",
    "state",
    "postal_code",
    "country",
)
"""The customer's fields, in the order the form shows them."""
CARD_FIELDS: Final[tuple[str, ...]] = ("card_number", "card_expiry", "card_cvc")
FIELDS: Final[tuple[str, ...]] = CUSTOMER_FIELDS + CARD_FIELDS
"""Every field of the form, in the order the error summary lists them."""


def _test_mode_note(with_cards: bool) -> str:
    cards = ""
    if with_cards:
        items = "".join(
            f'<li><span class="cardno">{card.spaced}</span> {escape(card.does)}</li>'
            for card in TEST_CARDS
        )
        cards = (
            "<details><summary>Test cards</summary>"
            f"<ul>{items}</ul><p>With any future expiry date and any 3-digit CVC.</p></details>"
        )
    return (
        '<div class="note" role="note"><p>LeanRails sandbox: test mode. '
        f"No real payment is made.</p>{cards}</div>"
    )


def _summary(record: SessionRecord) -> str:
    session = record["session"]
    currency = session["currency"]
    rows = "".join(
        "<tr>"
        f"<td>{escape(line['product'])}"
        f'<span class="each">{format_amount(line["unit_amount"], currency)} each</span></td>'
        f'<td class="num">{line["quantity"]}</td>'
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
        f'<tr{cls}><th scope="row" colspan="2">{label}</th>'
        f'<td class="num" data-total="{label.lower().replace(" ", "-")}">'
        f"{format_amount(value, currency)}</td></tr>\n"
        for label, value, cls in totals
    )
    return (
        '<section aria-labelledby="summary-title">\n'
        '<h2 id="summary-title">Order summary</h2>\n'
        "<table>\n<caption>Items in this order</caption>\n"
        '<thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th>'
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
    maxlength: int = MAX_CUSTOMER_FIELD_LENGTH,
    hint: str = "",
    extra: str = "",
) -> str:
    value = values.get(name, "")
    attrs = [
        f'id="{name}"',
        f'name="{name}"',
        f'type="{type}"',
        f'value="{escape(value)}"',
        f'maxlength="{maxlength}"',
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
    if not hint and not required:
        hint = "(optional)"
    shown = f' <span class="hint">{escape(hint)}</span>' if hint else ""
    return (
        f'<label for="{name}">{escape(label)}{shown}</label>\n'
        f"<input {' '.join(attrs)}{extra}>\n{message}"
    )


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{escape(value)}">'


def _error_summary(errors: Mapping[str, str]) -> str:
    items = "".join(
        f'<li><a href="#{name}">{escape(message)}</a></li>'
        if name in FIELDS
        else f"<li>{escape(message)}</li>"
        for name, message in errors.items()
    )
    return (
        '<div class="errors" role="alert" aria-labelledby="errors-title">'
        f'<h2 id="errors-title">There is a problem</h2><ul>{items}</ul></div>'
    )


def _address_fields(values: Mapping[str, str], errors: Mapping[str, str]) -> list[str]:
    return [
        "<fieldset>",
        "<legend>Billing address</legend>",
        _field(
            "line1", "Address line 1", values, errors, required=True, autocomplete="address-line1"
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
            "Country",
            values,
            errors,
            required=True,
            autocomplete="country",
            hint="(2-letter code, such as US)",
            extra=f' pattern="{COUNTRY_CODE}" size="2"',
        ),
        "</fieldset>",
    ]


def _card_fields(values: Mapping[str, str], errors: Mapping[str, str]) -> list[str]:
    numeric = ' inputmode="numeric"'
    return [
        "<fieldset>",
        "<legend>Card</legend>",
        _field(
            "card_number",
            "Card number",
            values,
            errors,
            required=True,
            autocomplete="cc-number",
            maxlength=23,
            extra=numeric,
        ),
        '<div class="pair"><div>',
        _field(
            "card_expiry",
            "Expiry date",
            values,
            errors,
            required=True,
            autocomplete="cc-exp",
            maxlength=9,
            hint="(MM / YY)",
        ),
        "</div><div>",
        _field(
            "card_cvc",
            "Security code",
            values,
            errors,
            required=True,
            autocomplete="cc-csc",
            maxlength=4,
            hint="(CVC)",
            extra=numeric,
        ),
        "</div></div>",
        "</fieldset>",
    ]


def render_checkout(
    record: SessionRecord,
    *,
    action: str,
    csrf_token: str,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The checkout page of an open hosted session. The CVC is never shown again."""
    session = record["session"]
    errors = errors or {}
    if values is None:
        values = {"email": session["customer_email"] or ""}
    values = {name: value for name, value in values.items() if name != "card_cvc"}
    total = format_amount(session["amount_total"], session["currency"])
    takes_card = session["amount_total"] > 0
    parts = [_test_mode_note(takes_card), f"<h1>Pay {escape(total)}</h1>"]
    if errors:
        parts.append(_error_summary(errors))
    parts.append(_summary(record))
    form = [
        f'<form method="post" action="{escape(action)}" aria-labelledby="form-title">',
        _hidden("csrf_token", csrf_token),
        '<h2 id="form-title">Your details</h2>',
        _field("email", "Email", values, errors, type="email", required=True, autocomplete="email"),
        _field("name", "Name", values, errors, required=True, autocomplete="name"),
        _field("phone", "Phone", values, errors, type="tel", autocomplete="tel"),
    ]
    if session["billing_address_collection"] == "required":
        form += _address_fields(values, errors)
    if takes_card:
        form += _card_fields(values, errors)
    form.append(f'<button type="submit">Pay {escape(total)}</button>')
    form.append("</form>")
    parts.append("\n".join(form))
    if session["cancel_url"]:
        cancel = fill_session_id(session["cancel_url"], session["id"])
        parts.append(f'<p><a href="{escape(cancel)}">Cancel and return</a></p>')
    return document(f"Pay {total} - LeanRails sandbox checkout", "\n".join(parts))


def render_confirm(
    record: SessionRecord,
    *,
    action: str,
    csrf_token: str,
    values: Mapping[str, str],
    proof: str,
    card_ending: str,
) -> str:
    """The bank's confirmation step (3D Secure-like) for a card that asks for one.

    The customer's details travel in hidden fields, signed by ``proof`` so the second
    step pays with exactly what the first one checked.
    """
    session = record["session"]
    total = format_amount(session["amount_total"], session["currency"])
    hidden = [_hidden(name, values[name]) for name in CUSTOMER_FIELDS if name in values]
    body = [
        _test_mode_note(False),
        "<h1>Confirm your payment</h1>",
        f"<p>Your bank asks you to confirm the payment of <strong>{escape(total)}</strong> "
        f"with the card ending in <strong>{escape(card_ending)}</strong>.</p>",
        "<p>In the sandbox, this step stands in for the bank's own check (such as 3D Secure): "
        "choose how it ends.</p>",
        f'<form method="post" action="{escape(action)}" aria-label="Confirm the payment">',
        _hidden("csrf_token", csrf_token),
        _hidden("step", "confirm"),
        _hidden("proof", proof),
        *hidden,
        '<button type="submit" name="confirm" value="complete">Complete authentication</button>',
        '<button type="submit" name="confirm" value="fail" class="secondary">'
        "Fail authentication</button>",
        "</form>",
    ]
    return document("Confirm your payment - LeanRails sandbox checkout", "\n".join(body))


def _notice(title: str, heading: str, *paragraphs: str | None) -> str:
    """A page that only tells something: a heading and its paragraphs (HTML, escaped by the
    caller; an empty or absent one is left out)."""
    lines = [f"<h1>{heading}</h1>", *(f"<p>{text}</p>" for text in paragraphs if text)]
    return document(title, "\n".join(lines))


def _link(url: str | None, session: Session, text: str) -> str | None:
    """A link to a session's ``success_url`` or ``cancel_url``, if it has one."""
    return url and f'<a href="{escape(fill_session_id(url, session["id"]))}">{text}</a>'


def render_refused(action: str) -> str:
    """A form that did not come from this checkout page (another site's, or a forged one)."""
    return _notice(
        "Payment refused - LeanRails sandbox checkout",
        "Payment refused",
        "This payment form was not sent from its own checkout page, so nothing was paid.",
        f'<a href="{escape(action)}">Go to the checkout page</a>',
    )


def render_closed(session: Session) -> str:
    """The page of a session that is no longer open."""
    if session["status"] == "complete":
        total = format_amount(session["amount_total"], session["currency"])
        return _notice(
            "Payment complete - LeanRails sandbox checkout",
            "Payment complete",
            f"{escape(total)} was paid. Thank you.",
            _link(session["success_url"], session, "Continue"),
        )
    return _notice(
        "Checkout expired - LeanRails sandbox checkout",
        "This checkout has expired",
        "Start again to pay.",
        _link(session["cancel_url"], session, "Return"),
    )


_OUTCOMES: Final = {
    ("success", "complete"): "Payment complete",
    ("success", "open"): "Not paid yet",
    ("success", "expired"): "This checkout has expired",
    ("cancel", "complete"): "Already paid",
    ("cancel", "open"): "Checkout cancelled",
    ("cancel", "expired"): "Checkout cancelled",
}


def render_landing(kind: str, session: Session | None) -> str:
    """The sandbox's own success or cancel page (``kind``): the session's outcome."""
    page = "Success page" if kind == "success" else "Cancel page"
    if session is None:
        body = (
            f"{_test_mode_note(False)}\n<h1>Checkout session not found</h1>\n"
            "<p>This page shows a session's outcome: open it as "
            "<code>?session_id=cs_test_…</code>, as success_url and cancel_url do.</p>"
        )
        return document(f"{page}: not found - LeanRails sandbox", body)
    heading = _OUTCOMES[kind, session["status"]]
    total = format_amount(session["amount_total"], session["currency"])
    rows = [
        ("Session", f"<code>{escape(session['id'])}</code>"),
        ("Status", f'<span data-field="status">{escape(session["status"])}</span>'),
        (
            "Payment",
            f'<span data-field="payment_status">{escape(session["payment_status"])}</span>',
        ),
        ("Amount", f'<span data-field="amount_total">{escape(total)}</span>'),
    ]
    items = "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in rows)
    parts = [_test_mode_note(False), f"<h1>{escape(heading)}</h1>", f"<dl>{items}</dl>"]
    if session["status"] == "open" and session["url"]:
        parts.append(f'<p><a href="{escape(session["url"])}">Return to the checkout</a></p>')
    return document(f"{page}: {heading} - LeanRails sandbox", "\n".join(parts))


def render_not_found() -> str:
    return _notice(
        "Not found - LeanRails sandbox checkout",
        "Checkout not found",
        "There is no hosted checkout at this address.",
    )


def render_misdirected(origin: str) -> str:
    """A request whose ``Host`` is not the sandbox's own (see :mod:`._hosted`)."""
    return _notice(
        "Wrong address - LeanRails sandbox",
        "Wrong address",
        "This sandbox serves its pages only at its own address, "
        f"<code>{escape(origin)}</code>. Open the page there.",
    )


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
    return document("LeanRails sandbox", body)
