"""A gateway's HTML error page becomes its words in the message, not a wall of markup."""

from __future__ import annotations

import httpx

from falwidgets.client._errors import ServerError, error_from_response

PAGE = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def test_html_error_page_is_reduced_to_its_words() -> None:
    response = httpx.Response(504, text=PAGE, headers={"content-type": "text/html"})
    error = error_from_response(response, action="submit to fal-ai/flux/dev")
    assert isinstance(error, ServerError)
    assert "<" not in str(error) and "504 Gateway Time-out" in str(error)
    assert "nginx" in str(error)
    assert error.status_code == 504


def test_json_details_keep_their_text_verbatim() -> None:
    response = httpx.Response(500, json={"detail": "<b>kept</b> as text"})
    error = error_from_response(response, action="result of request r1")
    assert "<b>kept</b> as text" in str(error)  # escaping is the HTML layer's job
