"""`python -m tooling.report.trace_check DIR`: see the package's docstring."""

import sys

from tooling.report.trace_check import main

sys.exit(main())
