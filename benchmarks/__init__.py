"""Speed and scale measurements of bizml_nb: `python -m benchmarks` prints the table."""
