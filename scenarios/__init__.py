"""Problem files, what-if batches and the demo organisation (:mod:`scenarios.demo`)."""
