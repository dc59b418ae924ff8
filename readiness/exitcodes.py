"""Exit codes of every readiness command (README: "Exit codes"), in one place."""

OK = 0              # the site passes the gate (or the command did its job)
FINDINGS = 1        # open findings at or above --fail-on remain
USAGE = 2           # a mistake on the command line or in a configuration file (also a start
                    # URL outside crawl.include/exclude, a custom rule failing when it runs,
                    # a needed crawl component switched off: finish_reason missing_components)
# Start URL unreachable, crawl blocked, no HTML page, fewer pages than --min-pages, a crawl
# that did not finish (killed), or one stopped by a limit with --fail-on-incomplete.
INCONCLUSIVE = 3
INTERRUPTED = 130   # Ctrl-C, once or twice: nothing analysed or gated; the store is kept
# 128 + SIGPIPE: stdout's reader went away (`readiness rules | head -1`), as a shell reports a
# tool that SIGPIPE ended; nothing more to say (readiness/console.py).
CLOSED_STDOUT = 141
