"""Speed of nnedu against PyTorch, measured in the same run (``make bench``)."""
