"""Exit codes of every readiness command (README: "Exit codes"), in one place."""

OK = 0              # the site passes the gate (or the command did its job)
FINDINGS = 1        # open findings at or above --fail-on remain
USAGE = 2           # a mistake on the command line or in a configuration file
INCONCLUSIVE = 3    # start URL unreachable, crawl blocked, fewer pages than --min-pages
INTERRUPTED = 130   # Ctrl-C; the store is kept and readable
