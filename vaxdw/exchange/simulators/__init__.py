"""Stand-ins for the remote systems, as real HTTP servers on 127.0.0.1 with persistent SQLite stores and
configurable faults (docs/exchange.md §7). Used by ``vaxdw demo`` and the tests; never by production code."""
