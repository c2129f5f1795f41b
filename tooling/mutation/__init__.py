"""Mutation testing of api_server/ against the Robot suite (make mutation).

cosmic-ray plants the faults and keeps the session database; this package copies the tree to
a throwaway directory, samples the mutants, runs each one's mapped suites against a fresh
stack on one shared PostgreSQL, and writes results/mutation/report.json and index.html.
"""
