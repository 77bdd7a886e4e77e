"""Generated reports: papers.md blocks, tables, citations and plots."""
