"""A line-at-a-time Server-Sent Events decoder (the WHATWG rules, minus reconnection).

The drivers hand lines over one by one so the protocol code can check its deadline on every line,
keep-alive comments included: a server that pings forever must not hold a caller past its wait.
"""

from __future__ import annotations

from httpx_sse import ServerSentEvent

__all__ = ["SSEDecoder", "ServerSentEvent"]


class SSEDecoder:
    """Feed lines (without their newline); a blank line dispatches the event built so far."""

    __slots__ = ("_data", "_event", "_id", "_retry")

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id = ""
        self._retry: int | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        """The event completed by ``line``, if any (comments and partial events give ``None``)."""
        if not line:
            if not self._data and not self._event:
                return None
            event = ServerSentEvent(
                event=self._event or "message",
                data="\n".join(self._data),
                id=self._id,
                retry=self._retry,
            )
            self._event, self._data, self._retry = "", [], None
            return event
        if line[0] == ":":  # comment / keep-alive ping
            return None
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None
