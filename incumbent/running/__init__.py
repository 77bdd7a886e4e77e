"""Running a baseline: the pipeline, its records, the resume rule and sweep bookkeeping."""
