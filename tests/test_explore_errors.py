"""Uncaught kit errors in a real kernel: the kit's table, the traceback one step away.

Each case runs cells in an IPython kernel (nbclient, as JupyterLab runs them) and reads
the outputs JupyterLab would show.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.lab

SETUP = "%load_ext leanrails\nfrom leanrails import LeanRails\nclient = LeanRails.sandbox()\n"
CREATE = (
    "client.checkout_sessions.create(mode='payment', "
    "line_items=[{{'price': {price!r}, 'quantity': 1}}]{rest})"
)


def _run(*cells: str) -> list[Any]:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(notebook, timeout=60, kernel_name="python3", allow_errors=True).execute()
    return [cell.outputs for cell in notebook.cells]


@pytest.mark.timeout(120)
def test_uncaught_errors_show_the_table_then_one_line_with_the_traceback_collapsed() -> None:
    outputs = _run(
        SETUP,
        CREATE.format(price="price_test_tshirt", rest=""),
        CREATE.format(price="price_nope", rest=", success_url='https://example.com/ok'"),
        "%tb",
        "import pydantic\nclass Other(pydantic.BaseModel):\n    x: int\nOther(x='a')",
        "1 / 0",
    )

    # A validation error: the (API path, message, input) table, the traceback collapsed.
    display, error = outputs[1]
    assert display["output_type"] == "display_data"
    page = display["data"]["text/html"]
    assert "leanrails-validation-error" in page
    assert "<code>success_<wbr>url</code>" in page
    assert '<details class="leanrails-traceback"><summary>Traceback' in page
    assert "Cell In[2]" in page  # the reader's own frame, one click away ...
    assert "frames in leanrails" in page  # ... the kit's folded (%tb shows them)
    assert "_resources.py" not in page
    assert "success_url is required" in display["data"]["text/plain"]
    # ... and the cell still fails, with the real exception, in one line.
    assert error["output_type"] == "error"
    assert error["ename"] == "ValidationError"
    assert len(error["traceback"]) == 1
    assert "1 validation error for CheckoutSessionCreateParams" in error["traceback"][0]

    # An API error: status, type, code, param and request id.
    display, error = outputs[2]
    page = display["data"]["text/html"]
    for field in ("400", "invalid_request_error", "resource_missing", "line_items[0].price"):
        assert field in page
        assert field in display["data"]["text/plain"]
    assert "req_" in page
    assert error["ename"] == "InvalidRequestError"
    assert len(error["traceback"]) == 1

    # %tb prints the whole traceback of the last one, as usual.
    tb_text = "".join(
        output.get("text", "") + "".join(output.get("traceback", [])) for output in outputs[3]
    )
    assert "InvalidRequestError" in tb_text
    assert "_base_client.py" in tb_text

    # Errors that are not the kit's keep IPython's own traceback.
    for cell in outputs[4:]:
        (error,) = cell
        assert error["output_type"] == "error"
        assert len(error["traceback"]) > 1


@pytest.mark.timeout(120)
def test_another_librarys_exception_handler_is_kept() -> None:
    (outputs,) = _run(
        "get_ipython().set_custom_exc((KeyError,), lambda *args, **kwargs: None)\n"
        "%load_ext leanrails\n"
        "print(get_ipython().custom_exceptions)"
    )
    assert outputs[0]["text"] == "(<class 'KeyError'>,)\n"


@pytest.mark.timeout(120)
def test_unload_ext_gives_ipython_its_own_tracebacks_back() -> None:
    outputs = _run(SETUP, "%unload_ext leanrails", CREATE.format(price="price_nope", rest=""))

    (error,) = outputs[2]
    assert error["output_type"] == "error"
    assert len(error["traceback"]) > 1


@pytest.mark.timeout(120)
def test_the_collapsed_traceback_folds_other_packages_frames_into_one_line() -> None:
    from _support.sandbox import free_port

    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: the connection is refused
    outputs = _run(
        "%load_ext leanrails\nfrom leanrails import LeanRails\n"
        f"client = LeanRails(api_key='sk_test_sandbox', base_url={closed!r}, max_retries=0)\n",
        CREATE.format(price="price_test_tshirt", rest=", success_url='https://example.com/ok'"),
        "%tb",
    )

    display, error = outputs[1]
    page = display["data"]["text/html"]
    assert error["ename"] == "APIConnectionError"
    assert "leanrails/_client.py" not in page  # the kit's frames are folded too
    assert "httpcore2/" not in page  # httpx2's and httpcore's internals are folded ...
    assert "httpx2/_transports" not in page
    assert "(%tb shows them)" in page  # ... into a line saying how many, and where
    assert "httpcore2" in page
    tb_text = "".join(out.get("text", "") + "".join(out.get("traceback", [])) for out in outputs[2])
    assert "httpcore2/_sync" in tb_text  # %tb still has everything
