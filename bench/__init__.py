"""`make bench`: measure the pipeline against a floor, a naive baseline and its own targets."""
