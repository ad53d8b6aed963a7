"""Qt-free Eden AI client: requests, SSE, typed events and errors, cost."""
