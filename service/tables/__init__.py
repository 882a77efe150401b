"""Decision tables as data: file -> parsed model -> validated policy."""
