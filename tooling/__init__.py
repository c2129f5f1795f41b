"""What runs around the suite: the run wrapper and reports, benchmarks, fuzzing, mutation
testing, and the seeding they share."""
