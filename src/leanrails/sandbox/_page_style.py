"""The hosted page's stylesheet, and its hash for the page's Content-Security-Policy.

The stylesheet is the page's one inline resource; the CSP allows it by hash, so no other
inline style or script can run.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Final

STYLE: Final = """
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1a1a1a;line-height:1.4}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px}
h1{margin:.5rem 0 1rem}
.note{background:#fff4ce;padding:.5rem .75rem;border-radius:4px;font-size:.9rem}
.note p{margin:0}
.note summary{cursor:pointer;margin-top:.25rem}
.note ul{margin:.25rem 0;padding-left:1.25rem}
.cardno{white-space:nowrap;font-variant-numeric:tabular-nums}
table{width:100%;border-collapse:collapse;margin:1rem 0}
caption{text-align:left;font-weight:600;padding-bottom:.25rem}
th,td{padding:.5rem .25rem;text-align:left;border-bottom:1px solid #e3e3e3;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.each{display:block;color:#555;font-size:.875rem}
tfoot th{font-weight:normal}
tfoot tr.total th,tfoot tr.total td{font-weight:bold;border-bottom:0}
fieldset{border:1px solid #ccc;border-radius:4px;margin:1rem 0;padding:0 1rem 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:block;margin-top:.75rem;font-weight:600}
input,button{font:inherit}
input{display:block;width:100%;padding:.5rem;border:1px solid #767676;border-radius:4px}
input[aria-invalid=true]{border:2px solid #b00020}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem}
.pair .hint{display:block}
.error{color:#b00020;margin:.25rem 0 0}
.errors{border:2px solid #b00020;padding:.5rem 1rem;border-radius:4px}
.errors h2{font-size:1.1rem;margin:.25rem 0}
button{margin-top:1.25rem;padding:.75rem 1.5rem;background:#1a56db;color:#fff;
border:2px solid #1a56db;border-radius:4px;cursor:pointer;width:100%}
button.secondary{background:#fff;color:#1a1a1a;border-color:#767676}
button:focus,a:focus,input:focus,summary:focus{outline:3px solid #ffbf47;outline-offset:1px}
.hint{font-weight:normal;color:#555}
@media (max-width:30rem){main{margin:0;border-radius:0;padding:1rem}}
"""
STYLE_HASH: Final = (
    "'sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode() + "'"
)
"""The stylesheet's CSP source: the page's one inline resource, allowed by its hash."""
