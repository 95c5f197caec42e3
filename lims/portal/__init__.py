"""What enterprises see of their own instruments and certificates."""
