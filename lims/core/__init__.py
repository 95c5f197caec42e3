"""What every domain of the lab system shares: the model base, column types, the write boundary, rule errors."""
