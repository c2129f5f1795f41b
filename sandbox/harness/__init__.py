"""What both gateway stand-ins are built on: the server and its lifecycle, the edge middleware
(faults, auth), the shared control API, counted rules, webhook delivery, standalone runs."""
