"""The release concern: the end-to-end release, the grid runner, resumable steps and the report."""
