"""The dataset concern: labels, raw readers, `prepare`, the `datasets` builder, the Hub export and its card."""
